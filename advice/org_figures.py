"""Follow-through figures per organisation, computed in SQL on both databases: the one place
they are computed, for the chair's overview, the contact's home and the pilot dashboard.

Counts come from one GROUP BY with CASE sums; medians from a window-function query
(ROW_NUMBER and COUNT per organisation, then the average of the middle one or two rows), which
works the same on PostgreSQL and SQLite. Only actions of advice in force (issued) count.

Definitions (shown on the pages too):
- open: open or confirmed and not past the (possibly extended) deadline;
- overdue: open or confirmed and past that deadline;
- refused: currently refused (waiting for the team);
- done on time: done on or before the advice's own deadline; done late: after it;
- follow-through rate: done ÷ (all actions − dropped), as a percentage;
- days to confirm: from the moment the organisation got the action to its confirmation;
- days to complete: from that day to the day it was done (as reported).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from casefiles.models import Case
from core.db import days_between, db, month_of
from core.models import Organisation

from .models import Action, ActionStatus, Advice, AdviceStatus

A = ActionStatus
#: The counted columns, in the order of the query.
COUNTS = ("total", "confirmed", "open", "overdue", "refused", "done", "done_on_time", "done_late", "dropped")


@dataclass
class OrgFollowThrough:
    organisation_id: int | None
    """None for the total over every organisation."""
    organisation: str
    total: int = 0
    confirmed: int = 0
    """Confirmed at some moment (also when done or refused later)."""
    open: int = 0
    overdue: int = 0
    refused: int = 0
    done: int = 0
    done_on_time: int = 0
    done_late: int = 0
    dropped: int = 0
    median_days_to_confirm: float | None = None
    median_days_to_complete: float | None = None

    @property
    def follow_through_rate(self) -> float | None:
        """Done as a percentage of the actions that still count (not dropped)."""
        counted = self.total - self.dropped
        return round(100 * self.done / counted, 1) if counted else None


def _scope(team_id: int, organisation_ids: set[int] | None, period) -> list:
    conds = [Case.team_id == team_id, Advice.status == AdviceStatus.ISSUED]
    if organisation_ids is not None:
        conds.append(Action.organisation_id.in_(organisation_ids or {-1}))
    if period is not None:
        conds.append(period.contains(Action.assigned_at))
    return conds


def _median(days_expr, where, scope) -> dict[int, float]:
    inner = (
        sa.select(
            Action.organisation_id.label("org"),
            days_expr.label("days"),
            sa.func.row_number().over(partition_by=Action.organisation_id, order_by=days_expr).label("rn"),
            sa.func.count().over(partition_by=Action.organisation_id).label("cnt"),
        )
        .join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .where(*scope, where)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(inner.c.org, sa.func.avg(inner.c.days))
        .where(sa.or_(inner.c.rn == (inner.c.cnt + 1) // 2, inner.c.rn == (inner.c.cnt + 2) // 2))
        .group_by(inner.c.org)
    ).all()
    return {org: round(float(value), 1) for org, value in rows}


def _count_if(cond):
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def follow_through(team_id: int, today: date, *, period=None,
                   organisation_ids: set[int] | None = None) -> tuple[list[OrgFollowThrough], OrgFollowThrough]:
    """One row per organisation with actions in the team, and their total. ``period`` (anything
    with ``contains(column)``, e.g. ``reports.period.Period``) keeps the actions assigned in it;
    ``organisation_ids`` keeps those organisations. Three queries, whatever the number of
    organisations or actions."""
    scope = _scope(team_id, organisation_ids, period)
    effective = sa.func.coalesce(Action.deadline_extended_to, Action.deadline)
    pending = Action.status.in_([A.OPEN, A.CONFIRMED])
    done = Action.status == A.DONE
    rows = db.session.execute(
        sa.select(
            Action.organisation_id,
            Organisation.name,
            sa.func.count(Action.id),
            _count_if(Action.confirmed_at.is_not(None)),
            _count_if(sa.and_(pending, effective >= today)),
            _count_if(sa.and_(pending, effective < today)),
            _count_if(Action.status == A.REFUSED),
            _count_if(done),
            _count_if(sa.and_(done, Action.done_on <= Action.deadline)),
            _count_if(sa.and_(done, Action.done_on > Action.deadline)),
            _count_if(Action.status == A.DROPPED),
        )
        .join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .join(Organisation, Organisation.id == Action.organisation_id)
        .where(*scope)
        .group_by(Action.organisation_id, Organisation.name)
        .order_by(Organisation.name)
    ).all()
    to_confirm = _median(days_between(Action.confirmed_at, Action.assigned_at), Action.confirmed_at.is_not(None), scope)
    to_complete = _median(days_between(Action.done_on, Action.assigned_at, dates=True),
                          sa.and_(done, Action.done_on.is_not(None)), scope)
    orgs = [
        OrgFollowThrough(org_id, name, *(int(v or 0) for v in counts),
                         median_days_to_confirm=to_confirm.get(org_id),
                         median_days_to_complete=to_complete.get(org_id))
        for org_id, name, *counts in rows
    ]
    total = OrgFollowThrough(None, "", **{f: sum(getattr(o, f) for o in orgs) for f in COUNTS})
    return orgs, total


def monthly_trend(team_id: int, period) -> list[dict]:
    """Actions confirmed and reported done per month of ``period`` (a ``reports.period.Period``)
    (one query; months without any are filled with zeros)."""
    confirmed = (
        sa.select(month_of(Action.confirmed_at).label("month"), sa.literal("confirmed").label("kind"))
        .select_from(Action).join(Advice, Advice.id == Action.advice_id).join(Case, Case.id == Advice.case_id)
        .where(*_scope(team_id, None, None), period.contains(Action.confirmed_at))
    )
    done = (
        sa.select(month_of(Action.done_at), sa.literal("done"))
        .select_from(Action).join(Advice, Advice.id == Action.advice_id).join(Case, Case.id == Advice.case_id)
        .where(*_scope(team_id, None, None), Action.status == A.DONE, period.contains(Action.done_at))
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


def team_actions(team_id: int) -> list[Action]:
    """Every action of the team's advice in force, by organisation then deadline (one query)."""
    return list(
        db.session.scalars(
            sa.select(Action)
            .join(Advice, Advice.id == Action.advice_id)
            .join(Case, Case.id == Advice.case_id)
            .join(Organisation, Organisation.id == Action.organisation_id)
            .where(*_scope(team_id, None, None))
            .order_by(Organisation.name, sa.func.coalesce(Action.deadline_extended_to, Action.deadline), Action.id)
            .options(sa.orm.contains_eager(Action.advice).contains_eager(Advice.case),
                     sa.orm.contains_eager(Action.organisation))
        ).unique()
    )
