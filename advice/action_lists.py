"""The action lists of the follow-through pages: open work in full, history on request.

- **Open work** (overdue, open and confirmed actions) is bounded by real work and shown in full.
  Every action carries its case's team (``Action.team_id``, ``advice.action_team``), so the
  team's lists read the team's actions by status (``ix_advice_actions_team_status``) and a
  contact's lists their organisations' actions (``ix_advice_actions_org_status``), never the
  whole history nor every case of the team.
- **Waiting for the team** (refused, not yet decided) is paged oldest first: the longest waiting
  on top (see ``follow_through.follow_up_items`` for what the team must still decide).
- **History** (done, and dropped by the team's decision) is keyset-paged newest first by the
  moment it was settled (``SETTLED_AT``); its count comes from the per-organisation figures
  (``org_figures``, one grouped statement), never from ``len()`` of a loaded list.

Every function is one statement, whatever the number of cases or actions.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from casefiles.models import Case
from core.audit import AuditEvent
from core.db import db
from core.models import Role, User
from core.paging import PAGE_SIZE, Page, decode_cursor, encode_cursor, keyset

from .models import (
    PENDING_ACTION,
    SETTLED_ACTION,
    Action,
    ActionStatus,
    Advice,
    AdviceStatus,
    with_ladder_level,
)

#: When an action left the open work: reported done, or dropped by the team (indexed with this
#: very expression: ``ix_advice_actions_org_settled``, ``ix_advice_actions_team_settled``).
SETTLED_AT = sa.func.coalesce(Action.done_at, Action.decided_at)
EFFECTIVE_DEADLINE = sa.func.coalesce(Action.deadline_extended_to, Action.deadline)
GROUPS = ("overdue", "open", "confirmed")


def status_in(statuses) -> sa.ColumnElement[bool]:
    """``Action.status IN (...)`` with the values as literals in the SQL text, so the planner
    matches the partial indexes (their predicates name the same values) in every plan."""
    values = sorted(str(s) for s in statuses)
    return Action.status.in_(sa.bindparam("st_" + "_".join(values), values, expanding=True, literal_execute=True))


def contact_pairs(user: User) -> list[tuple[int, int]]:
    """(team id, organisation id) of each active contact membership of the user."""
    return sorted({(m.team_id, m.organisation_id) for m in user.memberships
                   if m.active and m.role == Role.ORG_CONTACT and m.organisation_id is not None})


def contact_clause(user: User) -> sa.ColumnElement[bool]:
    """SQL filter: actions addressed to one of the user's organisations, in the same team."""
    pairs = contact_pairs(user)
    if not pairs:
        return sa.false()
    return sa.or_(*(sa.and_(Action.team_id == t, Action.organisation_id == o) for t, o in pairs))


def team_clause(team_id: int, organisation_id: int | None = None) -> sa.ColumnElement[bool]:
    """SQL filter: actions of one team (optionally of one organisation)."""
    clause = Action.team_id == team_id
    if organisation_id is not None:
        clause = sa.and_(clause, Action.organisation_id == organisation_id)
    return clause


def _in_force(query: sa.Select) -> sa.Select:
    """Actions of advice in force, with their advice, case and organisation in the same row."""
    return (
        query.join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .where(Advice.status == AdviceStatus.ISSUED)
        # Only what a list row shows: never the advice's or the intake's texts.
        .options(sa.orm.contains_eager(Action.advice).load_only(Advice.id, Advice.case_id, Advice.status),
                 sa.orm.contains_eager(Action.advice, Advice.case).load_only(
                     Case.id, Case.team_id, Case.status, Case.reference, Case.household_pseudonym),
                 sa.orm.joinedload(Action.organisation),
                 # The ladder's level in the same row (``escalation.levels_of`` needs no statement).
                 with_ladder_level())
    )


#: Rows per group of open work on a page (most urgent first); the rest on request.
OPEN_PAGE = 25


def open_work(where, today: date, *, cursors: dict[str, str | None] | None = None,
              size: int = OPEN_PAGE) -> dict[str, Page]:
    """Overdue, open and confirmed actions matching ``where``: each group a page at a time, the
    earliest (effective) deadline first, with the group's count — one statement for all three.

    Open work is real work, but a busy team carries thousands of pending actions: each group shows
    the most urgent ``size`` and says how many there are; ``cursors[group]`` (the page's query
    argument of the same name) asks for the next page of that group.
    """
    cursors = cursors or {}
    group = sa.case(
        (EFFECTIVE_DEADLINE < today, sa.literal("overdue")),
        (Action.status == ActionStatus.OPEN, sa.literal("open")),
        else_=sa.literal("confirmed"),
    )
    counted = (
        sa.select(Action.id.label("id"), group.label("grp"), EFFECTIVE_DEADLINE.label("due"),
                  sa.func.count().over(partition_by=group).label("total"))
        .join(Advice, Advice.id == Action.advice_id)
        .where(where, status_in(PENDING_ACTION), Advice.status == AdviceStatus.ISSUED)
        .subquery("counted")
    )
    c = counted.c
    after = []
    for name in GROUPS:
        position = decode_cursor(cursors.get(name))
        if position is not None:
            after.append(sa.or_(c.grp != name, sa.tuple_(c.due, c.id) > position))
    numbered = (
        sa.select(c.id, c.grp, c.total,
                  sa.func.row_number().over(partition_by=c.grp, order_by=(c.due, c.id)).label("rn"))
        .where(*after)
        .subquery("numbered")
    )
    # The page's rows, at most size + 1 per group: the LIMIT tells the planner how few they are,
    # so it fetches them by primary key instead of hashing the whole actions table.
    shown = (
        sa.select(numbered.c.id, numbered.c.grp, numbered.c.total)
        .where(numbered.c.rn <= size + 1)
        .limit(len(GROUPS) * (size + 1))
        .subquery("shown")
    )
    n = shown.c
    rows = db.session.execute(
        _in_force(sa.select(Action, n.grp, n.total)).join(shown, n.id == Action.id)
        .order_by(n.grp, EFFECTIVE_DEADLINE, Action.id)
    ).unique().all()
    items: dict[str, list[Action]] = {g: [] for g in GROUPS}
    totals: dict[str, int] = {g: 0 for g in GROUPS}
    for action, name, total in rows:
        items[name].append(action)
        totals[name] = total
    pages = {}
    for name in GROUPS:
        shown, cursor = items[name], cursors.get(name) if decode_cursor(cursors.get(name)) else None
        next_cursor = None
        if len(shown) > size:
            shown = shown[:size]
            last = shown[-1]
            next_cursor = encode_cursor(last.deadline_extended_to or last.deadline, last.id)
        # On a later page the window counts what is left; the count of the group is only exact
        # on its first page (the page says "more" either way).
        pages[name] = Page(items=shown, next_cursor=next_cursor, cursor=cursor,
                           total=totals[name] if cursor is None else None)
    return pages


def open_cursors(args) -> dict[str, str | None]:
    """The cursors of the open-work groups from a request's query arguments."""
    return {name: args.get(name) for name in GROUPS}


def refused_waiting(where, *, cursor: str | None = None, size: int = PAGE_SIZE, total: int | None = None) -> Page:
    """Refused actions waiting for the team's decision, oldest first, counted in the same
    statement unless ``total`` is known (one statement)."""
    refused = status_in([ActionStatus.REFUSED])
    query = _in_force(sa.select(Action)).where(where, refused)
    count = None
    if total is None:
        count = (sa.select(sa.func.count(Action.id)).join(Advice, Advice.id == Action.advice_id)
                 .where(where, refused, Advice.status == AdviceStatus.ISSUED))
    return keyset(query, Action.refused_at, Action.id, cursor=cursor, size=size, newest_first=False, total=total,
                  count=count)


def history(where, *, cursor: str | None = None, size: int = PAGE_SIZE, total: int | None = None,
            period=None) -> Page:
    """Done and dropped actions matching ``where``, newest first by when they were settled
    (one statement). ``period`` (``core.period.Period`` or alike) keeps the actions assigned
    in it, like the figures of that period (so their counts agree)."""
    query = _in_force(sa.select(Action)).where(where, status_in(SETTLED_ACTION))
    if period is not None:
        query = query.where(period.contains(Action.assigned_at))
    return keyset(query, SETTLED_AT, Action.id, cursor=cursor, size=size, total=total,
                  key_of=lambda a: (a.done_at or a.decided_at, a.id))


#: The steps of an action's history, in words (audit actions on the action).
HISTORY_STEPS = {
    "action.confirm": _l("Confirmed"),
    "action.complete": _l("Reported done"),
    "action.refuse": _l("Refused"),
    "action.reopen": _l("The team upheld the action"),
    "action.drop": _l("Dropped by the team"),
    "action.decide": _l("The team decided"),
    "action.remind": _l("Reminder sent: the deadline is near"),
    "action.overdue": _l("Past its deadline: the organisation was told"),
    "action.escalate": _l("Escalated to the chair"),
}
#: Steps the app takes (the scheduler, or as the consequence of a refusal): no person is named.
BY_THE_SYSTEM = {"action.remind", "action.overdue", "action.escalate"}
#: An action's history is short by nature (a handful of steps); a cap keeps it bounded anyway.
HISTORY_MAX = 50


def action_history(action: Action) -> list[tuple]:
    """(moment, step in words, who) for each step of ``action``, oldest first, starting with the
    moment it was assigned: one statement on the audit trail (``ix_audit_events_object``)."""
    rows = db.session.execute(
        sa.select(AuditEvent.at, AuditEvent.action, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == "action", AuditEvent.object_id == action.id,
               AuditEvent.action.in_(list(HISTORY_STEPS)))
        .order_by(AuditEvent.id).limit(HISTORY_MAX)
    ).all()
    assigned = [(action.assigned_at, _l("Assigned to %(organisation)s", organisation=action.organisation.name), None)]
    return assigned + [(at, HISTORY_STEPS[step], None if step in BY_THE_SYSTEM else name) for at, step, name in rows]
