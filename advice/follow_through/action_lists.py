"""The action lists of the follow-through pages: open work in full, history on request.

- **Open work** (overdue, open and confirmed actions) is bounded by real work and shown in full.
  Every action carries its case's team (``Action.team_id``, ``advice.action_team``), so the
  team's lists read the team's actions by status (``ix_advice_actions_team_status``) and a
  contact's lists their organisations' actions (``ix_advice_actions_org_status``), never the
  whole history nor every case of the team.
- **Waiting for the team** (refused, not yet decided) is paged oldest first: the longest waiting
  on top (see ``follow_through.back_on_table`` for what the team must still decide).
- **History** (done, and dropped by the team's decision) is keyset-paged newest first by the
  moment it was settled (``SETTLED_AT``); its count comes from the per-organisation figures
  (``org_figures``, one grouped statement), never from ``len()`` of a loaded list.

Every function is one statement, whatever the number of cases or actions.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from advice.escalation.models import Level
from advice.escalation.services import levels_of
from advice.models import (
    PENDING_ACTION,
    SETTLED_ACTION,
    Action,
    ActionStatus,
    Advice,
)
from casefiles.models import Case
from core.audit import AuditEvent
from core.db import db
from core.models import Role, User
from core.paging import PAGE_SIZE, Page, decode_cursor, encode_cursor, keyset

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
        .where(Action.in_force)
        # Only what a list row shows: never the advice's or the intake's texts.
        .options(sa.orm.contains_eager(Action.advice).load_only(Advice.id, Advice.case_id, Advice.status),
                 sa.orm.contains_eager(Action.advice, Advice.case).load_only(
                     Case.id, Case.team_id, Case.status, Case.reference, Case.household_pseudonym),
                 # The ladder's level is the action's own column (``escalation.levels_of``).
                 sa.orm.joinedload(Action.organisation))
    )


#: Rows per group of open work on a page (most urgent first); the rest on request.
OPEN_PAGE = 25


def list_levels(*lists) -> dict[int, Level]:
    """The ladder level of every action of the open lists a page shows, by id, for its tables
    (``_macros.html``): per list, without a statement for actions loaded with their level."""
    levels: dict[int, Level] = {}
    for actions in lists:
        levels.update(levels_of(actions))
    return levels


def open_work(where, today: date, *, cursors: dict[str, str | None] | None = None,
              size: int = OPEN_PAGE) -> dict[str, Page]:
    """Overdue, open and confirmed actions matching ``where``: each group a page at a time, the
    earliest (effective) deadline first, with the group's count — one statement for all three.

    Open work is real work, but a busy team carries thousands of pending actions: each group shows
    the most urgent ``size`` and says how many there are; ``cursors[group]`` (the page's query
    argument of the same name) asks for the next page of that group. Each group's page is the
    first ``size + 1`` rows by deadline of a range of a partial index that holds only pending
    actions in force (``ix_advice_actions_team_pending``, ``..._org_pending``), and the three counts
    are one pass over the same range: no look-up of any action's advice.
    """
    cursors = cursors or {}
    pending = sa.and_(where, Action.in_force, status_in(PENDING_ACTION))
    groups = {
        "overdue": EFFECTIVE_DEADLINE < today,
        "open": sa.and_(Action.status == ActionStatus.OPEN, EFFECTIVE_DEADLINE >= today),
        "confirmed": sa.and_(Action.status == ActionStatus.CONFIRMED, EFFECTIVE_DEADLINE >= today),
    }
    pages = []
    for name in GROUPS:
        query = sa.select(Action.id.label("id"), sa.literal(name).label("grp")).where(pending, groups[name])
        position = decode_cursor(cursors.get(name))
        if position is not None:
            query = query.where(sa.tuple_(EFFECTIVE_DEADLINE, Action.id) > position)
        # size + 1 rows tell whether there is a next page.
        pages.append(sa.select(query.order_by(EFFECTIVE_DEADLINE, Action.id).limit(size + 1).subquery(name)))
    shown = sa.union_all(*pages).subquery("shown")
    counts = sa.select(*(sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0).label(name)
                         for name, cond in groups.items())).where(pending).subquery("counts")
    rows = db.session.execute(
        _in_force(sa.select(Action, shown.c.grp, *(counts.c[name] for name in GROUPS)))
        .join(shown, shown.c.id == Action.id).join(counts, sa.true())
        .order_by(shown.c.grp, EFFECTIVE_DEADLINE, Action.id)
    ).unique().all()
    items: dict[str, list[Action]] = {g: [] for g in GROUPS}
    # The counts come with every row; with no row at all they are 0, unless a cursor skipped some.
    totals: dict[str, int | None] = dict.fromkeys(GROUPS, None if any(cursors.values()) else 0)
    for action, name, *group_totals in rows:
        items[name].append(action)
        totals = dict(zip(GROUPS, map(int, group_totals)))
    result = {}
    for name in GROUPS:
        shown_items, cursor = items[name], cursors.get(name) if decode_cursor(cursors.get(name)) else None
        next_cursor = None
        if len(shown_items) > size:
            shown_items = shown_items[:size]
            last = shown_items[-1]
            next_cursor = encode_cursor(last.deadline_extended_to or last.deadline, last.id)
        result[name] = Page(items=shown_items, next_cursor=next_cursor, cursor=cursor, total=totals[name])
    return result


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
        count = sa.select(sa.func.count(Action.id)).where(where, refused, Action.in_force)
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
