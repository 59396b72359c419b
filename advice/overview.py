"""Follow-through figures per organisation, computed in SQL on both databases.

Counts come from one GROUP BY with CASE sums; medians from a window-function query
(ROW_NUMBER and COUNT per organisation, then the average of the middle one or two rows), which
works the same on PostgreSQL and SQLite. Only actions of advice in force (issued) count.

Definitions (shown on the page too):
- open: open or confirmed and not past the (possibly extended) deadline;
- overdue: open or confirmed and past that deadline;
- refused: currently refused (waiting for the team);
- done on time: done on or before the advice's own deadline;
- follow-through rate: done ÷ (all actions − dropped), as a percentage;
- days to confirm: from the moment the organisation got the action to its confirmation;
- days to complete: from that day to the day it was done (as reported).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from casefiles.models import Case
from core.db import db
from core.models import Organisation

from .models import Action, ActionStatus, Advice, AdviceStatus

A = ActionStatus


@dataclass
class OrgFigures:
    organisation_id: int
    organisation: str
    total: int = 0
    open: int = 0
    overdue: int = 0
    refused: int = 0
    done: int = 0
    done_on_time: int = 0
    dropped: int = 0
    median_days_to_confirm: float | None = None
    median_days_to_complete: float | None = None

    @property
    def follow_through_rate(self) -> float | None:
        """Done as a percentage of the actions that still count (not dropped)."""
        counted = self.total - self.dropped
        return round(100 * self.done / counted, 1) if counted else None


def _days_between(later, earlier, dialect: str, *, dates: bool = False):
    """Days from ``earlier`` to ``later`` as a number, per dialect."""
    if dialect == "postgresql":
        if dates:
            return later - sa.cast(earlier, sa.Date)
        return sa.extract("epoch", later - earlier) / 86400.0
    if dates:
        return sa.func.julianday(later) - sa.func.julianday(sa.func.date(earlier))
    return sa.func.julianday(later) - sa.func.julianday(earlier)


def _scope(team_id: int, organisation_ids: set[int] | None):
    conds = [Case.team_id == team_id, Advice.status == AdviceStatus.ISSUED]
    if organisation_ids is not None:
        conds.append(Action.organisation_id.in_(organisation_ids or {-1}))
    return conds


def _median(days_expr, where, team_id: int, organisation_ids: set[int] | None) -> dict[int, float]:
    inner = (
        sa.select(
            Action.organisation_id.label("org"),
            days_expr.label("days"),
            sa.func.row_number().over(partition_by=Action.organisation_id, order_by=days_expr).label("rn"),
            sa.func.count().over(partition_by=Action.organisation_id).label("cnt"),
        )
        .join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .where(*_scope(team_id, organisation_ids), where)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(inner.c.org, sa.func.avg(inner.c.days))
        .where(sa.or_(inner.c.rn == (inner.c.cnt + 1) // 2, inner.c.rn == (inner.c.cnt + 2) // 2))
        .group_by(inner.c.org)
    ).all()
    return {org: round(float(value), 1) for org, value in rows}


def figures(team_id: int, today: date, organisation_ids: set[int] | None = None) -> list[OrgFigures]:
    """One row per organisation with actions in the team (optionally only ``organisation_ids``).
    Three queries, whatever the number of organisations or actions."""
    dialect = db.engine.dialect.name
    effective = sa.func.coalesce(Action.deadline_extended_to, Action.deadline)
    pending = Action.status.in_([A.OPEN, A.CONFIRMED])

    def count_if(cond):
        return sa.func.sum(sa.case((cond, 1), else_=0))

    rows = db.session.execute(
        sa.select(
            Action.organisation_id,
            Organisation.name,
            sa.func.count(Action.id),
            count_if(sa.and_(pending, effective >= today)),
            count_if(sa.and_(pending, effective < today)),
            count_if(Action.status == A.REFUSED),
            count_if(Action.status == A.DONE),
            count_if(sa.and_(Action.status == A.DONE, Action.done_on <= Action.deadline)),
            count_if(Action.status == A.DROPPED),
        )
        .join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .join(Organisation, Organisation.id == Action.organisation_id)
        .where(*_scope(team_id, organisation_ids))
        .group_by(Action.organisation_id, Organisation.name)
        .order_by(Organisation.name)
    ).all()
    to_confirm = _median(_days_between(Action.confirmed_at, Action.assigned_at, dialect),
                         Action.confirmed_at.is_not(None), team_id, organisation_ids)
    to_complete = _median(_days_between(Action.done_on, Action.assigned_at, dialect, dates=True),
                          sa.and_(Action.status == A.DONE, Action.done_on.is_not(None)), team_id, organisation_ids)
    return [
        OrgFigures(
            organisation_id=org_id, organisation=name, total=total, open=int(open_ or 0), overdue=int(overdue or 0),
            refused=int(refused or 0), done=int(done or 0), done_on_time=int(on_time or 0), dropped=int(dropped or 0),
            median_days_to_confirm=to_confirm.get(org_id), median_days_to_complete=to_complete.get(org_id),
        )
        for org_id, name, total, open_, overdue, refused, done, on_time, dropped in rows
    ]


def team_actions(team_id: int) -> list[Action]:
    """Every action of the team's advice in force, by organisation then deadline (one query)."""
    return list(
        db.session.scalars(
            sa.select(Action)
            .join(Advice, Advice.id == Action.advice_id)
            .join(Case, Case.id == Advice.case_id)
            .join(Organisation, Organisation.id == Action.organisation_id)
            .where(*_scope(team_id, None))
            .order_by(Organisation.name, sa.func.coalesce(Action.deadline_extended_to, Action.deadline), Action.id)
            .options(sa.orm.contains_eager(Action.advice).contains_eager(Advice.case),
                     sa.orm.contains_eager(Action.organisation))
        ).unique()
    )
