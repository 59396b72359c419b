"""Follow-through figures per organisation, computed in SQL on both databases: the one place
they are computed, for the chair's overview, the contact's home and the pilot dashboard.

One statement per call: the actions in scope are read once and grouped by organisation, with CASE
sums for the counts; the medians are PostgreSQL's ``percentile_cont(0.5)``, and on SQLite the
average of the middle one or two rows numbered by window functions (the same figure, tested on
both). Only actions of advice in force (``Action.in_force``) count. No per-organisation query and no
Python loop over actions: the pages get one row per organisation.

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

from advice.models import Action, ActionStatus, Advice
from core.db import days_between, db, month_of
from core.models import Organisation

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


def advice_status():
    """The status of the action's advice, looked up per action by the advice's primary key (for
    what ``Action.in_force`` does not say, e.g. whether it was ever issued)."""
    return sa.select(Advice.status).where(Advice.id == Action.advice_id).scalar_subquery()


def _scope(team_id: int, organisation_ids: set[int] | None, period) -> list:
    # The team's actions by their own team column (``ix_advice_actions_team_assigned``), never
    # walking the team's cases; only actions of advice in force (``Action.in_force``: no look-up
    # of each action's advice).
    conds = [Action.team_id == team_id, Action.in_force]
    if organisation_ids is not None:
        conds.append(Action.organisation_id.in_(organisation_ids or {-1}))
    if period is not None:
        conds.append(period.contains(Action.assigned_at))
    return conds


def _count_if(cond):
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def _flag(cond):
    return sa.case((cond, 1), else_=0)


def _figures(where, today: date) -> list[OrgFollowThrough]:
    """One statement: every count and both medians per organisation of the actions matching
    ``where`` (a clause over Action, which says what is in force).

    On PostgreSQL the medians are ``percentile_cont(0.5)`` per organisation (an ordered-set
    aggregate: a sort per group, no window over all rows). SQLite has no such aggregate: there the
    inner query numbers each action within its organisation (per median, among the rows that
    median counts) by window functions, and the outer query averages the middle one or two rows,
    which is the same median.
    """
    effective = sa.func.coalesce(Action.deadline_extended_to, Action.deadline)
    to_confirm = days_between(Action.confirmed_at, Action.assigned_at)
    to_complete = days_between(Action.done_on, Action.assigned_at, dates=True)
    confirmed = _flag(Action.confirmed_at.is_not(None))
    completed = _flag(sa.and_(Action.status == A.DONE, Action.done_on.is_not(None)))
    postgres = db.session.get_bind().dialect.name == "postgresql"
    columns = [
        Action.organisation_id.label("org"),
        Action.status.label("status"),
        effective.label("effective"),
        Action.deadline.label("deadline"),
        Action.done_on.label("done_on"),
        confirmed.label("fc"),
        completed.label("fd"),
        to_confirm.label("dc"),
        to_complete.label("dd"),
    ]
    if not postgres:
        columns += [
            sa.func.row_number().over(partition_by=(Action.organisation_id, confirmed), order_by=to_confirm).label("rc"),
            sa.func.count().over(partition_by=(Action.organisation_id, confirmed)).label("nc"),
            sa.func.row_number().over(partition_by=(Action.organisation_id, completed), order_by=to_complete).label("rd"),
            sa.func.count().over(partition_by=(Action.organisation_id, completed)).label("nd"),
        ]
    inner = sa.select(*columns).where(where).subquery("scoped")
    c = inner.c
    pending = c.status.in_([A.OPEN, A.CONFIRMED])
    done = c.status == A.DONE

    def middle(rn, n):
        return sa.or_(rn == (n + 1) // 2, rn == (n + 2) // 2)

    if postgres:
        medians = [sa.func.percentile_cont(0.5).within_group(c.dc).filter(c.fc == 1),
                   sa.func.percentile_cont(0.5).within_group(sa.cast(c.dd, sa.Float)).filter(c.fd == 1)]
    else:
        medians = [sa.func.avg(sa.case((sa.and_(c.fc == 1, middle(c.rc, c.nc)), c.dc))),
                   sa.func.avg(sa.case((sa.and_(c.fd == 1, middle(c.rd, c.nd)), c.dd)))]
    # The name per organisation row (a look-up by primary key), not a join with every organisation.
    name = sa.select(Organisation.name).where(Organisation.id == c.org).scalar_subquery()
    rows = db.session.execute(
        sa.select(
            c.org,
            name,
            sa.func.count(),
            _count_if(c.fc == 1),
            _count_if(sa.and_(pending, c.effective >= today)),
            _count_if(sa.and_(pending, c.effective < today)),
            _count_if(c.status == A.REFUSED),
            _count_if(done),
            _count_if(sa.and_(done, c.done_on <= c.deadline)),
            _count_if(sa.and_(done, c.done_on > c.deadline)),
            _count_if(c.status == A.DROPPED),
            *medians,
        )
        .group_by(c.org)
        .order_by(name, c.org)
    ).all()
    return [
        OrgFollowThrough(org_id, name, *(int(v or 0) for v in counts),
                         median_days_to_confirm=_days(m_confirm), median_days_to_complete=_days(m_complete))
        for org_id, name, *counts, m_confirm, m_complete in rows
    ]


def _days(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _total(orgs: list[OrgFollowThrough]) -> OrgFollowThrough:
    return OrgFollowThrough(None, "", **{f: sum(getattr(o, f) for o in orgs) for f in COUNTS})


def follow_through(team_id: int, today: date, *, period=None,
                   organisation_ids: set[int] | None = None) -> tuple[list[OrgFollowThrough], OrgFollowThrough]:
    """One row per organisation with actions in the team, and their total. ``period`` (anything
    with ``contains(column)``, e.g. ``core.period.Period``) keeps the actions assigned in it;
    ``organisation_ids`` keeps those organisations. One statement, whatever the number of
    organisations or actions."""
    orgs = _figures(sa.and_(*_scope(team_id, organisation_ids, period)), today)
    return orgs, _total(orgs)


def follow_through_where(where, today: date) -> tuple[list[OrgFollowThrough], OrgFollowThrough]:
    """The same figures for any scope over Action, e.g. a contact's organisations in their
    teams (``advice.follow_through.action_lists.contact_clause``); only advice in force counts. One statement."""
    orgs = _figures(sa.and_(where, Action.in_force), today)
    return orgs, _total(orgs)


def monthly_trend(team_id: int, period) -> list[dict]:
    """Actions confirmed and reported done per month of ``period`` (a ``core.period.Period``)
    (one query; months without any are filled with zeros)."""
    # The period's rows of two indexes: ``ix_advice_actions_team_confirmed`` and the settled
    # actions' ``ix_advice_actions_team_settled`` (for a done action ``coalesce(done_at,
    # decided_at)`` is ``done_at`` when that is set); in force by the action's own flag.
    in_force = Action.in_force
    confirmed = (
        sa.select(month_of(Action.confirmed_at).label("month"), sa.literal("confirmed").label("kind"))
        .where(Action.team_id == team_id, period.contains(Action.confirmed_at), in_force)
    )
    done = (
        sa.select(month_of(Action.done_at), sa.literal("done"))
        .where(Action.team_id == team_id, Action.status == A.DONE,
               period.contains(sa.func.coalesce(Action.done_at, Action.decided_at)),
               period.contains(Action.done_at), in_force)
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
