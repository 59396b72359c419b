"""Pilot figures for a team and a period: flow, lead times, follow-through, outcomes, domain
combinations, involved organisations, the societal cost-benefit sums and a monthly trend.

Every figure is computed in the database with grouped queries (a fixed number of queries,
whatever the number of cases), on PostgreSQL and SQLite alike. Python only reshapes the
aggregated rows.

The period is a range of calendar days in the team's time zone, both ends included
(``Period.start`` .. ``Period.end``); it is turned into a half-open UTC range
[``start_utc``, ``end_utc``) once, and every timestamp is compared with that. The monthly trend
groups by UTC month (an event in the first hour of a month, Amsterdam time, counts in the
previous month).

Definitions (the dashboard and the report show them too):

Flow (events in the period, each case counted once per kind):
- submitted: cases whose first submission (``Case.submitted_at``) falls in the period;
- accepted, returned, declined, withdrawn, advised, completed, closed: cases with that
  transition in the audit trail in the period (withdrawn: only cases that had been submitted);
- waiting now: cases in the queue (accepted, not yet scheduled) at this moment, and how many of
  them have waited longer than the team's norm since their submission.

Lead times (days; each case counted in the period in which the end point falls):
- submission → intake: ``submitted_at`` to ``intake_at`` (accepted or declined);
- intake → meeting: ``intake_at`` to the moment the case was marked discussed (the agenda item's
  ``outcome_at``, else the meeting's start; the first discussion if there were several);
- meeting → advice: that moment to the first issuing of an advice version;
- advice → completed: the first issuing to the case's 'case.complete' audit event;
- submission → meeting (total waiting), with the number of cases that waited more than the
  team's norm (``AdviceSettings.waiting_norm_days``, default 28).
Median and 90th percentile use the nearest-rank method: sort the n values, take the value at
rank ceil(p × n) (so the median of 4 values is the 2nd, the p90 of 4 values the 4th); no
interpolation, so every figure is an actual case's duration.

Follow-through (the cohort of actions the organisations got in the period, ``assigned_at``, of
advice in force; status as of now): confirmed (ever), done on time / late (against the advice's
own deadline, as the follow-through overview counts), refused (now), open (pending, not past the
possibly extended deadline), overdue (pending and past it), dropped. The median days to confirm
and to complete are the average of the middle one or two values. Computed once, by
``advice.follow_through.org_figures.follow_through`` (the chair's overview uses the same), for the cohort. Trend: actions confirmed and reported done per month of the period.

Outcomes: closures recorded in the period, by outcome, crossed with the three-month evaluation
result (held / partly / not / not yet known).

Domains and organisations: the cases submitted in the period; a case's domain combination is its
sorted set of domains; an organisation is involved in a case when it is listed on the case or has
an action in its advice in force.

Costs: the cases whose first advice was issued in the period, summed over the advice version now
in force: carrying on (current path) and breaking through (the proposed steps); net = carrying
on − breaking through (positive: the breakthrough saves money). Each line is unit cost ×
quantity rounded half up to cents, as ``CostLine.amount_cents`` does.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from advice.closure.models import CaseClosure, ClosureOutcome, EvaluationResult
from advice.follow_through.org_figures import OrgFollowThrough, follow_through, monthly_trend
from advice.models import (
    Action,
    ActionStatus,
    Advice,
    AdviceStatus,
    CostLine,
    CostSide,
)
from advice.settings import DEFAULT_WAITING_NORM_DAYS, AdviceSettings
from casefiles.models import Case, CaseDomain, CaseOrganisation, CaseStatus
from core.audit import AuditEvent
from core.db import days_between, db
from core.models import Domain, Organisation, Team
from core.period import Period

from . import ladder_figures
from .moments import (
    discussed_of,
    first_completed_in,
    first_discussed_in,
    first_issued_in,
    issued_of,
)

A = ActionStatus
log = logging.getLogger(__name__)

#: Counts below this are shown as "< 5" in anything that leaves the team.
SUPPRESS_BELOW = 5

FLOW_KINDS = ("submitted", "accepted", "returned", "declined", "withdrawn", "advised", "completed", "closed")
#: Audit actions behind the flow figures (submitted comes from ``Case.submitted_at``).
FLOW_ACTIONS = {
    "case.accept": "accepted", "case.return": "returned", "case.decline": "declined",
    "case.withdraw": "withdrawn", "case.advise": "advised", "case.complete": "completed",
    "case.close": "closed",
}
LEAD_KINDS = ("intake", "meeting", "advice", "completed", "waiting")


# --- dialect helpers --------------------------------------------------------------------------

def _dialect() -> str:
    return db.engine.dialect.name


def days(later, earlier):
    """Days (fractional) from ``earlier`` to ``later``, per dialect."""
    return days_between(later, earlier)


def _count_if(cond):
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def waiting_norm_days(team_id: int) -> int:
    value = db.session.scalar(sa.select(AdviceSettings.waiting_norm_days).where(AdviceSettings.team_id == team_id))
    return value if value is not None else DEFAULT_WAITING_NORM_DAYS


# --- the figures ------------------------------------------------------------------------------

@dataclass
class Flow:
    counts: dict[str, int]
    waiting_now: int
    waiting_over_norm_now: int


def flow(team_id: int, period: Period, now: datetime, norm_days: int) -> Flow:
    """One statement: the audit-trail transitions of the period (the team's rows of the
    ``(team_id, action, at)`` index; a case's events carry its team) and the case table
    (submitted, the queue now), as (kind, count) rows of one UNION ALL."""
    withdrawn_unsubmitted = sa.exists().where(
        Case.id == AuditEvent.object_id, Case.submitted_at.is_(None))
    events = (
        sa.select(AuditEvent.action.label("kind"), sa.func.count(sa.distinct(AuditEvent.object_id)).label("n"))
        .where(
            AuditEvent.team_id == team_id,
            # An expression, not the bare column: the rows of the index range above are checked
            # one by one instead of being combined with the country-wide object-type index.
            sa.func.coalesce(AuditEvent.object_type, "") == "case",
            AuditEvent.action.in_(list(FLOW_ACTIONS)),
            period.contains(AuditEvent.at),
            sa.or_(AuditEvent.action != "case.withdraw", ~withdrawn_unsubmitted),
        )
        .group_by(AuditEvent.action)
    )
    queued = Case.status == CaseStatus.ACCEPTED
    mine = Case.team_id == team_id
    cases = [
        sa.select(sa.literal("submitted"), sa.func.count()).where(mine, period.contains(Case.submitted_at)),
        sa.select(sa.literal("waiting"), sa.func.count()).where(mine, queued),
        sa.select(sa.literal("over"), sa.func.count())
        .where(mine, queued, Case.submitted_at < now - timedelta(days=norm_days)),
    ]
    rows = db.session.execute(sa.union_all(events, *cases)).all()
    counts = dict.fromkeys(FLOW_KINDS, 0)
    found = {kind: int(n) for kind, n in rows}
    for action, kind in FLOW_ACTIONS.items():
        counts[kind] = found.get(action, 0)
    counts["submitted"] = found.get("submitted", 0)
    return Flow(counts=counts, waiting_now=found.get("waiting", 0), waiting_over_norm_now=found.get("over", 0))


@dataclass
class LeadTime:
    kind: str
    count: int = 0
    median: float | None = None
    p90: float | None = None
    over_norm: int = 0
    invalid: int = 0
    """Durations that come out negative (the end recorded before the start): a data error, left
    out of every figure and counted so the page can say so."""


def lead_times(team_id: int, period: Period, norm_days: int) -> dict[str, LeadTime]:
    """One query: the five durations as (kind, days) rows, ranked per kind with window
    functions, then the nearest-rank median and 90th percentile picked per kind."""
    discussed, issued, completed = (first_discussed_in(team_id, period), first_issued_in(team_id, period),
                                    first_completed_in(team_id, period))
    # The start of the advice and completed arms, for their cases only.
    discussed_before = discussed_of(team_id, sa.select(issued.c.case_id))
    issued_before = issued_of(team_id, sa.select(completed.c.case_id))
    mine = Case.team_id == team_id
    arms = [
        sa.select(sa.literal("intake").label("kind"), days(Case.intake_at, Case.submitted_at).label("d"))
        .where(mine, Case.submitted_at.is_not(None), period.contains(Case.intake_at)),
        sa.select(sa.literal("meeting"), days(discussed.c.at, Case.intake_at))
        .select_from(discussed).join(Case, Case.id == discussed.c.case_id)
        .where(mine, Case.intake_at.is_not(None)),
        sa.select(sa.literal("advice"), days(issued.c.at, discussed_before.c.at))
        .select_from(issued).join(discussed_before, discussed_before.c.case_id == issued.c.case_id),
        sa.select(sa.literal("completed"), days(completed.c.at, issued_before.c.at))
        .select_from(completed).join(issued_before, issued_before.c.case_id == completed.c.case_id),
        sa.select(sa.literal("waiting"), days(discussed.c.at, Case.submitted_at))
        .select_from(discussed).join(Case, Case.id == discussed.c.case_id)
        .where(mine, Case.submitted_at.is_not(None)),
    ]
    union = sa.union_all(*arms).subquery("durations")
    # A negative duration is a data error (the end recorded before the start): ranked apart, so it
    # never enters a count, median or percentile, and counted. Tolerance: one second.
    bad = sa.case((union.c.d < -1 / 86400, 1), else_=0)
    ranked = sa.select(
        union.c.kind,
        union.c.d,
        bad.label("bad"),
        sa.func.row_number().over(partition_by=(union.c.kind, bad), order_by=union.c.d).label("rn"),
        sa.func.count().over(partition_by=(union.c.kind, bad)).label("n"),
    ).subquery("ranked")
    good = ranked.c.bad == 0
    # "More than the norm", to the second (float day differences are not exact).
    threshold = norm_days + 0.5 / 86400
    rows = db.session.execute(
        sa.select(
            ranked.c.kind,
            sa.func.max(sa.case((good, ranked.c.n))),
            sa.func.max(sa.case((sa.and_(good, ranked.c.rn == (ranked.c.n + 1) // 2), ranked.c.d))),
            sa.func.max(sa.case((sa.and_(good, ranked.c.rn == (9 * ranked.c.n + 9) // 10), ranked.c.d))),
            _count_if(sa.and_(good, ranked.c.d > threshold)),
            _count_if(ranked.c.bad == 1),
        ).group_by(ranked.c.kind)
    ).all()
    out = {kind: LeadTime(kind) for kind in LEAD_KINDS}
    for kind, n, median, p90, over, invalid in rows:
        out[kind] = LeadTime(kind, int(n or 0), _nonnegative(median), _nonnegative(p90), int(over), int(invalid))
    if any(lt.invalid for lt in out.values()):
        log.warning("team %s: durations left out of the figures as data errors (end before start): %s", team_id,
                    ", ".join(f"{k} {lt.invalid}" for k, lt in out.items() if lt.invalid))
    return out


def _nonnegative(value) -> float | None:
    """A rounded duration; a negative value never reaches a page (the ``bad`` rows are apart,
    and rounding a value within the one-second tolerance gives 0.0)."""
    value = _round(value)
    return None if value is None else max(value, 0.0)


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


@dataclass
class Outcomes:
    #: outcome → evaluation result ('held', 'partly', 'not', 'unknown') → count
    table: dict[str, dict[str, int]]

    def total(self, outcome: str) -> int:
        return sum(self.table[outcome].values())

    @property
    def closed(self) -> int:
        return sum(self.total(o) for o in self.table)


EVALUATION_KEYS = tuple(r.value for r in EvaluationResult) + ("unknown",)


def _outcome_rows(team_id: int, period: Period) -> sa.Select:
    """(kind 'outcome', outcome, evaluation result, count, 0, 0) per group of the closures."""
    return (
        sa.select(sa.literal("outcome").label("kind"), sa.type_coerce(CaseClosure.outcome, sa.String).label("a"),
                  sa.type_coerce(CaseClosure.evaluation_result, sa.String).label("b"), sa.func.count().label("n1"),
                  sa.literal(0).label("n2"), sa.literal(0).label("n3"))
        .where(CaseClosure.team_id == team_id, period.contains(CaseClosure.closed_at))
        .group_by(CaseClosure.outcome, CaseClosure.evaluation_result)
    )


def _outcomes_from(rows) -> Outcomes:
    table = {o.value: dict.fromkeys(EVALUATION_KEYS, 0) for o in ClosureOutcome}
    for outcome, result, n in rows:
        table[outcome][result if result is not None else "unknown"] += int(n)
    return Outcomes(table)


def outcomes(team_id: int, period: Period) -> Outcomes:
    rows = db.session.execute(_outcome_rows(team_id, period)).all()
    return _outcomes_from((a, b, n1) for _kind, a, b, n1, _n2, _n3 in rows)


def _submitted_cases(team_id: int, period: Period):
    return sa.and_(Case.team_id == team_id, period.contains(Case.submitted_at))


def domain_combinations(team_id: int, period: Period) -> list[tuple[tuple[Domain, ...], int]]:
    """Cases submitted in the period per sorted combination of domains, most frequent first."""
    domain = sa.type_coerce(CaseDomain.domain, sa.String)
    if _dialect() == "postgresql":
        combo = sa.func.string_agg(domain, postgresql.aggregate_order_by(sa.literal_column("'+'"), domain))
        per_case = (
            sa.select(CaseDomain.case_id, combo.label("combo"))
            .join(Case, Case.id == CaseDomain.case_id)
            .where(_submitted_cases(team_id, period))
            .group_by(CaseDomain.case_id)
        ).subquery("combos")
    else:
        # SQLite's group_concat follows the order of an ordered subquery.
        ordered = (
            sa.select(CaseDomain.case_id.label("case_id"), domain.label("domain"))
            .join(Case, Case.id == CaseDomain.case_id)
            .where(_submitted_cases(team_id, period))
            .order_by(CaseDomain.case_id, CaseDomain.domain)
        ).subquery("ordered")
        per_case = (
            sa.select(ordered.c.case_id, sa.func.group_concat(ordered.c.domain, "+").label("combo"))
            .group_by(ordered.c.case_id)
        ).subquery("combos")
    rows = db.session.execute(
        sa.select(per_case.c.combo, sa.func.count().label("n"))
        .group_by(per_case.c.combo)
        .order_by(sa.desc("n"), per_case.c.combo)
    ).all()
    return [(tuple(Domain(d) for d in combo.split("+")), int(n)) for combo, n in rows]


@dataclass
class OrgInvolvement:
    organisation: str
    cases: int
    with_actions: int


def organisations(team_id: int, period: Period, limit: int = 15) -> list[OrgInvolvement]:
    """Organisations by the number of cases submitted in the period they are involved in."""
    # Both arms start from the team's cases submitted in the period (not every pair in the country).
    period_cases = _submitted_cases(team_id, period)
    listed = (
        sa.select(CaseOrganisation.case_id.label("case_id"), CaseOrganisation.organisation_id.label("org"),
                  sa.literal(0).label("acted"))
        .join(Case, Case.id == CaseOrganisation.case_id).where(period_cases)
    )
    acted = (
        sa.select(Advice.case_id, Action.organisation_id, sa.literal(1))
        .join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .where(Advice.status == AdviceStatus.ISSUED, period_cases)
    )
    pairs = sa.union_all(listed, acted).subquery("pairs")
    n_cases = sa.func.count(sa.distinct(pairs.c.case_id))
    rows = db.session.execute(
        sa.select(Organisation.name, n_cases.label("n"),
                  sa.func.count(sa.distinct(sa.case((pairs.c.acted == 1, pairs.c.case_id)))))
        .select_from(pairs)
        .join(Organisation, Organisation.id == pairs.c.org)
        .group_by(Organisation.id, Organisation.name)
        .order_by(sa.desc("n"), Organisation.name)
        .limit(limit)
    ).all()
    return [OrgInvolvement(name, int(n), int(w)) for name, n, w in rows]


@dataclass
class Costs:
    cases: int = 0
    current_cents: int = 0
    breakthrough_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.current_cents - self.breakthrough_cents


def _cost_row(team_id: int, period: Period) -> sa.Select:
    """('costs', -, -, cases, current cents, breakthrough cents) over the cases first advised in
    the period (their advice version in force)."""
    issued = first_issued_in(team_id, period)
    amount = (CostLine.unit_cost_cents * CostLine.quantity_hundredths + 50) // 100
    return (
        sa.select(
            sa.literal("costs"), sa.null(), sa.null(),
            sa.func.count(sa.distinct(Advice.case_id)),
            sa.func.coalesce(sa.func.sum(sa.case((CostLine.side == CostSide.CURRENT, amount), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((CostLine.side == CostSide.BREAKTHROUGH, amount), else_=0)), 0),
        )
        .select_from(Advice)
        .join(issued, issued.c.case_id == Advice.case_id)
        .outerjoin(CostLine, CostLine.advice_id == Advice.id)
        .where(Advice.status == AdviceStatus.ISSUED)
    )


def costs(team_id: int, period: Period) -> Costs:
    """Sums over the cases first advised in the period (their advice version in force)."""
    _kind, _a, _b, cases, current, breakthrough = db.session.execute(_cost_row(team_id, period)).one()
    return Costs(int(cases), int(current), int(breakthrough))


def outcomes_and_costs(team_id: int, period: Period) -> tuple[Outcomes, Costs]:
    """Both in one statement (a UNION ALL of the closures' groups and the one cost row)."""
    rows = db.session.execute(sa.union_all(_outcome_rows(team_id, period), _cost_row(team_id, period))).all()
    cost = next((r for r in rows if r[0] == "costs"), None)
    found = Costs(int(cost[3]), int(cost[4]), int(cost[5])) if cost else Costs()
    return _outcomes_from((a, b, n1) for kind, a, b, n1, _n2, _n3 in rows if kind == "outcome"), found


# --- everything at once -----------------------------------------------------------------------

@dataclass
class Figures:
    team: Team
    period: Period
    norm_days: int
    flow: Flow
    lead_times: dict[str, LeadTime]
    follow_through: list[OrgFollowThrough]
    follow_through_total: OrgFollowThrough
    trend: list[dict]
    outcomes: Outcomes
    domains: list[tuple[tuple[Domain, ...], int]]
    organisations: list[OrgInvolvement]
    costs: Costs
    notes: dict = field(default_factory=dict)
    ladder: object = None
    """Escalations per level and organisation, repeat referrals (``reports.ladder_figures``)."""


def compute(team: Team, period: Period, now: datetime, norm_days: int | None = None) -> Figures:
    """All figures of the dashboard: eight statements (nine without ``norm_days``), whatever the
    number of cases."""
    norm = waiting_norm_days(team.id) if norm_days is None else norm_days
    today = now.astimezone(ZoneInfo(team.timezone)).date() if now.tzinfo else now.date()
    orgs, total = follow_through(team.id, today, period=period)
    closed, cost = outcomes_and_costs(team.id, period)
    return Figures(
        team=team, period=period, norm_days=norm,
        flow=flow(team.id, period, now, norm),
        lead_times=lead_times(team.id, period, norm),
        follow_through=orgs, follow_through_total=total,
        trend=monthly_trend(team.id, period),
        outcomes=closed,
        domains=domain_combinations(team.id, period),
        organisations=organisations(team.id, period),
        costs=cost,
        ladder=ladder_figures.compute(team.id, period),
    )


# --- small-number suppression -----------------------------------------------------------------

def suppress(n: int | None) -> str:
    """A count for anything that leaves the team: 1 to 4 become "< 5" so no household can be
    recognised; 0 stays 0 (nothing to recognise) and larger counts are exact."""
    if n is None:
        return ""
    if 0 < n < SUPPRESS_BELOW:
        return "< 5"
    return str(n)


def enough(n: int | None) -> bool:
    """Whether a statistic over ``n`` cases may leave the team (medians, sums): n is 0 or ≥ 5."""
    return not n or n >= SUPPRESS_BELOW
