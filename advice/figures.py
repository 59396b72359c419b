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
and to complete reuse ``advice.overview`` (average of the middle one or two values), so the two
pages agree. Trend: actions confirmed and reported done per month of the period.

Outcomes: closures recorded in the period, by outcome, crossed with the three-month follow-up
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

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from casefiles.models import Case, CaseDomain, CaseOrganisation, CaseStatus
from core.audit import AuditEvent
from core.db import db
from core.models import Domain, Organisation, Team
from meeting.models import AgendaItem, Meeting, Outcome

from .models import (
    DEFAULT_WAITING_NORM_DAYS,
    Action,
    ActionStatus,
    Advice,
    AdviceSettings,
    AdviceStatus,
    CaseClosure,
    ClosureOutcome,
    CostLine,
    CostSide,
    FollowupResult,
)
from .overview import _days_between, _median, _scope

A = ActionStatus

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


# --- period -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Calendar days ``start`` .. ``end`` (inclusive) in time zone ``tz``."""

    start: date
    end: date
    tz: str = "Europe/Amsterdam"

    def _utc(self, day: date) -> datetime:
        local = datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(self.tz))
        return local.astimezone(timezone.utc)

    @property
    def start_utc(self) -> datetime:
        """Aware UTC (the columns store UTC on both databases)."""
        return self._utc(self.start)

    @property
    def end_utc(self) -> datetime:
        """Exclusive end: local midnight after the last day, in UTC."""
        return self._utc(self.end + timedelta(days=1))

    def contains(self, column) -> sa.ColumnElement[bool]:
        return sa.and_(column >= self.start_utc, column < self.end_utc)

    def months(self) -> list[str]:
        """Every 'YYYY-MM' the period touches, in order."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def quarter_of(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    nxt = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, nxt - timedelta(days=1)


def preset(name: str, today: date) -> tuple[date, date] | None:
    """The named period around ``today``: this/last quarter, this/last year."""
    if name == "this_quarter":
        return quarter_of(today)
    if name == "last_quarter":
        start, _end = quarter_of(today)
        return quarter_of(start - timedelta(days=1))
    if name == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if name == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return None


# --- dialect helpers --------------------------------------------------------------------------

def _dialect() -> str:
    return db.engine.dialect.name


def days(later, earlier):
    """Days (fractional) from ``earlier`` to ``later``, per dialect (shared with the overview)."""
    return _days_between(later, earlier, _dialect())


def month_of(column):
    """'YYYY-MM' of a timestamp column (UTC), per dialect."""
    if _dialect() == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def _count_if(cond):
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def waiting_norm_days(team_id: int) -> int:
    value = db.session.scalar(sa.select(AdviceSettings.waiting_norm_days).where(AdviceSettings.team_id == team_id))
    return value if value is not None else DEFAULT_WAITING_NORM_DAYS


# --- building blocks: first moments per case (subqueries) ------------------------------------

def _discussed(team_id: int):
    """case_id → the moment it was first marked discussed at a meeting."""
    at = sa.func.min(sa.func.coalesce(AgendaItem.outcome_at, Meeting.starts_at))
    return (
        sa.select(AgendaItem.case_id.label("case_id"), at.label("at"))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(Meeting.team_id == team_id, AgendaItem.outcome == Outcome.DISCUSSED)
        .group_by(AgendaItem.case_id)
        .subquery("discussed")
    )


def _first_issued(team_id: int):
    """case_id → the first issuing of any advice version."""
    return (
        sa.select(Advice.case_id.label("case_id"), sa.func.min(Advice.issued_at).label("at"))
        .join(Case, Case.id == Advice.case_id)
        .where(Case.team_id == team_id, Advice.issued_at.is_not(None))
        .group_by(Advice.case_id)
        .subquery("first_issued")
    )


def _completed(team_id: int):
    """case_id → the first 'case.complete' audit event."""
    return (
        sa.select(AuditEvent.object_id.label("case_id"), sa.func.min(AuditEvent.at).label("at"))
        .join(Case, Case.id == AuditEvent.object_id)
        .where(Case.team_id == team_id, AuditEvent.object_type == "case", AuditEvent.action == "case.complete")
        .group_by(AuditEvent.object_id)
        .subquery("completed")
    )


# --- the figures ------------------------------------------------------------------------------

@dataclass
class Flow:
    counts: dict[str, int]
    waiting_now: int
    waiting_over_norm_now: int


def flow(team_id: int, period: Period, now: datetime, norm_days: int) -> Flow:
    """Two queries: the audit-trail transitions, and the case table (submitted, queue now)."""
    rows = db.session.execute(
        sa.select(AuditEvent.action, sa.func.count(sa.distinct(AuditEvent.object_id)))
        .join(Case, Case.id == AuditEvent.object_id)
        .where(
            Case.team_id == team_id,
            AuditEvent.object_type == "case",
            AuditEvent.action.in_(list(FLOW_ACTIONS)),
            period.contains(AuditEvent.at),
            sa.or_(AuditEvent.action != "case.withdraw", Case.submitted_at.is_not(None)),
        )
        .group_by(AuditEvent.action)
    ).all()
    counts = dict.fromkeys(FLOW_KINDS, 0)
    for action, n in rows:
        counts[FLOW_ACTIONS[action]] = int(n)
    queued = Case.status == CaseStatus.ACCEPTED
    submitted, waiting, over = db.session.execute(
        sa.select(
            _count_if(period.contains(Case.submitted_at)),
            _count_if(queued),
            _count_if(sa.and_(queued, Case.submitted_at < now - timedelta(days=norm_days))),
        ).where(Case.team_id == team_id)
    ).one()
    counts["submitted"] = int(submitted)
    return Flow(counts=counts, waiting_now=int(waiting), waiting_over_norm_now=int(over))


@dataclass
class LeadTime:
    kind: str
    count: int = 0
    median: float | None = None
    p90: float | None = None
    over_norm: int = 0


def lead_times(team_id: int, period: Period, norm_days: int) -> dict[str, LeadTime]:
    """One query: the five durations as (kind, days) rows, ranked per kind with window
    functions, then the nearest-rank median and 90th percentile picked per kind."""
    discussed, issued, completed = _discussed(team_id), _first_issued(team_id), _completed(team_id)
    mine = Case.team_id == team_id
    arms = [
        sa.select(sa.literal("intake").label("kind"), days(Case.intake_at, Case.submitted_at).label("d"))
        .where(mine, Case.submitted_at.is_not(None), period.contains(Case.intake_at)),
        sa.select(sa.literal("meeting"), days(discussed.c.at, Case.intake_at))
        .join(discussed, discussed.c.case_id == Case.id)
        .where(mine, Case.intake_at.is_not(None), period.contains(discussed.c.at)),
        sa.select(sa.literal("advice"), days(issued.c.at, discussed.c.at))
        .select_from(issued).join(discussed, discussed.c.case_id == issued.c.case_id)
        .where(period.contains(issued.c.at)),
        sa.select(sa.literal("completed"), days(completed.c.at, issued.c.at))
        .select_from(completed).join(issued, issued.c.case_id == completed.c.case_id)
        .where(period.contains(completed.c.at)),
        sa.select(sa.literal("waiting"), days(discussed.c.at, Case.submitted_at))
        .join(discussed, discussed.c.case_id == Case.id)
        .where(mine, Case.submitted_at.is_not(None), period.contains(discussed.c.at)),
    ]
    union = sa.union_all(*arms).subquery("durations")
    ranked = sa.select(
        union.c.kind,
        union.c.d,
        sa.func.row_number().over(partition_by=union.c.kind, order_by=union.c.d).label("rn"),
        sa.func.count().over(partition_by=union.c.kind).label("n"),
    ).subquery("ranked")
    # "More than the norm", to the second (float day differences are not exact).
    threshold = norm_days + 0.5 / 86400
    rows = db.session.execute(
        sa.select(
            ranked.c.kind,
            sa.func.max(ranked.c.n),
            sa.func.max(sa.case((ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.d))),
            sa.func.max(sa.case((ranked.c.rn == (9 * ranked.c.n + 9) // 10, ranked.c.d))),
            _count_if(ranked.c.d > threshold),
        ).group_by(ranked.c.kind)
    ).all()
    out = {kind: LeadTime(kind) for kind in LEAD_KINDS}
    for kind, n, median, p90, over in rows:
        out[kind] = LeadTime(kind, int(n), _round(median), _round(p90), int(over))
    return out


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


@dataclass
class OrgFollowThrough:
    organisation_id: int | None
    organisation: str
    total: int = 0
    confirmed: int = 0
    done_on_time: int = 0
    done_late: int = 0
    refused: int = 0
    open: int = 0
    overdue: int = 0
    dropped: int = 0
    median_days_to_confirm: float | None = None
    median_days_to_complete: float | None = None


def follow_through(team_id: int, period: Period, today: date) -> tuple[list[OrgFollowThrough], OrgFollowThrough]:
    """Per organisation and in total, for the actions assigned in the period. Three queries
    (counts, and the two medians through ``advice.overview._median``)."""
    assigned = period.contains(Action.assigned_at)
    effective = sa.func.coalesce(Action.deadline_extended_to, Action.deadline)
    pending = Action.status.in_([A.OPEN, A.CONFIRMED])
    done = Action.status == A.DONE
    rows = db.session.execute(
        sa.select(
            Action.organisation_id, Organisation.name, sa.func.count(Action.id),
            _count_if(Action.confirmed_at.is_not(None)),
            _count_if(sa.and_(done, Action.done_on <= Action.deadline)),
            _count_if(sa.and_(done, Action.done_on > Action.deadline)),
            _count_if(Action.status == A.REFUSED),
            _count_if(sa.and_(pending, effective >= today)),
            _count_if(sa.and_(pending, effective < today)),
            _count_if(Action.status == A.DROPPED),
        )
        .join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .join(Organisation, Organisation.id == Action.organisation_id)
        .where(*_scope(team_id, None), assigned)
        .group_by(Action.organisation_id, Organisation.name)
        .order_by(Organisation.name)
    ).all()
    dialect = _dialect()
    to_confirm = _median(_days_between(Action.confirmed_at, Action.assigned_at, dialect),
                         sa.and_(assigned, Action.confirmed_at.is_not(None)), team_id, None)
    to_complete = _median(_days_between(Action.done_on, Action.assigned_at, dialect, dates=True),
                          sa.and_(assigned, done, Action.done_on.is_not(None)), team_id, None)
    orgs = [
        OrgFollowThrough(org_id, name, *(int(v) for v in values),
                         median_days_to_confirm=to_confirm.get(org_id),
                         median_days_to_complete=to_complete.get(org_id))
        for org_id, name, *values in rows
    ]
    total = OrgFollowThrough(None, "")
    for f in ("total", "confirmed", "done_on_time", "done_late", "refused", "open", "overdue", "dropped"):
        setattr(total, f, sum(getattr(o, f) for o in orgs))
    return orgs, total


def trend(team_id: int, period: Period) -> list[dict]:
    """Actions confirmed and reported done per month of the period (one query; months without
    any are filled with zeros)."""
    confirmed = (
        sa.select(month_of(Action.confirmed_at).label("month"), sa.literal("confirmed").label("kind"))
        .select_from(Action).join(Advice, Advice.id == Action.advice_id).join(Case, Case.id == Advice.case_id)
        .where(*_scope(team_id, None), period.contains(Action.confirmed_at))
    )
    done = (
        sa.select(month_of(Action.done_at), sa.literal("done"))
        .select_from(Action).join(Advice, Advice.id == Action.advice_id).join(Case, Case.id == Advice.case_id)
        .where(*_scope(team_id, None), Action.status == A.DONE, period.contains(Action.done_at))
    )
    events = sa.union_all(confirmed, done).subquery("events")
    rows = db.session.execute(
        sa.select(events.c.month, events.c.kind, sa.func.count()).group_by(events.c.month, events.c.kind)
    ).all()
    months = {m: {"month": m, "confirmed": 0, "done": 0} for m in period.months()}
    for month, kind, n in rows:
        if month in months:
            months[month][kind] = int(n)
    return list(months.values())


@dataclass
class Outcomes:
    #: outcome → follow-up result ('held', 'partly', 'not', 'unknown') → count
    table: dict[str, dict[str, int]]

    def total(self, outcome: str) -> int:
        return sum(self.table[outcome].values())

    @property
    def closed(self) -> int:
        return sum(self.total(o) for o in self.table)


FOLLOWUP_KEYS = tuple(r.value for r in FollowupResult) + ("unknown",)


def outcomes(team_id: int, period: Period) -> Outcomes:
    rows = db.session.execute(
        sa.select(CaseClosure.outcome, CaseClosure.followup_result, sa.func.count())
        .where(CaseClosure.team_id == team_id, period.contains(CaseClosure.closed_at))
        .group_by(CaseClosure.outcome, CaseClosure.followup_result)
    ).all()
    table = {o.value: dict.fromkeys(FOLLOWUP_KEYS, 0) for o in ClosureOutcome}
    for outcome, result, n in rows:
        table[outcome.value][result.value if result is not None else "unknown"] += int(n)
    return Outcomes(table)


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
    listed = sa.select(
        CaseOrganisation.case_id.label("case_id"), CaseOrganisation.organisation_id.label("org"),
        sa.literal(0).label("acted"),
    )
    acted = (
        sa.select(Advice.case_id, Action.organisation_id, sa.literal(1))
        .join(Advice, Advice.id == Action.advice_id)
        .where(Advice.status == AdviceStatus.ISSUED)
    )
    pairs = sa.union_all(listed, acted).subquery("pairs")
    n_cases = sa.func.count(sa.distinct(pairs.c.case_id))
    rows = db.session.execute(
        sa.select(Organisation.name, n_cases.label("n"),
                  sa.func.count(sa.distinct(sa.case((pairs.c.acted == 1, pairs.c.case_id)))))
        .select_from(pairs)
        .join(Case, Case.id == pairs.c.case_id)
        .join(Organisation, Organisation.id == pairs.c.org)
        .where(_submitted_cases(team_id, period))
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


def costs(team_id: int, period: Period) -> Costs:
    """Sums over the cases first advised in the period (their advice version in force)."""
    issued = _first_issued(team_id)
    amount = (CostLine.unit_cost_cents * CostLine.quantity_hundredths + 50) // 100
    cases, current, breakthrough = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(Advice.case_id)),
            sa.func.coalesce(sa.func.sum(sa.case((CostLine.side == CostSide.CURRENT, amount), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((CostLine.side == CostSide.BREAKTHROUGH, amount), else_=0)), 0),
        )
        .select_from(Advice)
        .join(issued, issued.c.case_id == Advice.case_id)
        .outerjoin(CostLine, CostLine.advice_id == Advice.id)
        .where(Advice.status == AdviceStatus.ISSUED, period.contains(issued.c.at))
    ).one()
    return Costs(int(cases), int(current), int(breakthrough))


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


def compute(team: Team, period: Period, now: datetime) -> Figures:
    """All figures of the dashboard: twelve queries, whatever the number of cases."""
    norm = waiting_norm_days(team.id)
    today = now.astimezone(ZoneInfo(team.timezone)).date() if now.tzinfo else now.date()
    orgs, total = follow_through(team.id, period, today)
    return Figures(
        team=team, period=period, norm_days=norm,
        flow=flow(team.id, period, now, norm),
        lead_times=lead_times(team.id, period, norm),
        follow_through=orgs, follow_through_total=total,
        trend=trend(team.id, period),
        outcomes=outcomes(team.id, period),
        domains=domain_combinations(team.id, period),
        organisations=organisations(team.id, period),
        costs=costs(team.id, period),
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
