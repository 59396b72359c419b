"""Follow-through: each committed organisation confirms, reports done or refuses its action
(with optimistic locking), the team decides on an escalated action, the case follows its
actions, and what comes back on the table at the next meeting (``back_on_table``). The lists
of the contact's home and the chair's overview are in ``advice.follow_through.action_lists``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from advice import permissions
from advice.closure.models import CaseClosure
from advice.drafting import ties
from advice.escalation import ladder
from advice.events import action_event
from advice.lifecycle import (
    NOTE_MAX,
    StaleAction,
    TransitionError,
    action_context,
    action_link,
    audit_step,
    sync_case,
    transition_action,
)
from advice.models import (
    Action,
    ActionStatus,
    Advice,
    AdviceStatus,
    EscalationKind,
    TeamDecision,
)
from casefiles import services as case_services
from casefiles.models import Case, CaseStatus
from core.clock import team_today, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Role, Team, User
from core.paging import Page, keyset
from core.people import organisation_contacts, team_members
from meeting.models import Meeting
from notifications.services import notify

from .action_lists import status_in


def _state_message(action: Action) -> str:
    who = {
        ActionStatus.CONFIRMED: action.confirmed_by,
        ActionStatus.DONE: action.done_by,
        ActionStatus.REFUSED: action.refused_by,
    }.get(action.status)
    if who is not None:
        return _("It is now: %(state)s (by %(name)s).", state=action.status.label, name=who.name)
    return _("It is now: %(state)s.", state=action.status.label)


def _refresh_for_message(action: Action) -> str:
    db.session.rollback()
    db.session.refresh(action)
    return _state_message(action)


def _begin(action: Action, actor: User, expected_version: int | None) -> None:
    if expected_version is not None and action.version != expected_version:
        raise StaleAction(
            _("Someone else acted on this action in the meantime; nothing was changed.") + " " + _state_message(action)
        )
    if action.advice.status != AdviceStatus.ISSUED:
        raise TransitionError(_("This advice was corrected; act on the current version."))
    if not permissions.is_contact_for(actor, action):
        raise PermissionDenied(_("Only a contact of %(organisation)s can do this.", organisation=action.organisation.name))


def _flush_action(action: Action) -> None:
    """Flush the change; if another session changed the row in between (the version column
    no longer matches), nothing is written and the user gets the current state."""
    try:
        db.session.flush()
    except StaleDataError:
        message = _refresh_for_message(action)
        raise StaleAction(
            _("Someone else acted on this action in the meantime; nothing was changed.") + " " + message
        ) from None


def confirm_action(action: Action, actor: User, *, expected_version: int | None, now: datetime | None = None) -> None:
    """The organisation will carry out the action."""
    now = now or utcnow()
    _begin(action, actor, expected_version)
    transition_action(action, ActionStatus.CONFIRMED, actor)
    action.confirmed_at, action.confirmed_by_id = now, actor.id
    _flush_action(action)
    action_event("action.changed", action)
    sync_case(action.advice, actor)


def complete_action(action: Action, actor: User, *, expected_version: int | None, note: str, done_on: date | None,
                    now: datetime | None = None) -> None:
    """The organisation reports the action done: what was done, and when."""
    now = now or utcnow()
    _begin(action, actor, expected_version)
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Say briefly what was done."))
    if len(note) > NOTE_MAX:
        raise ServiceError(_("The note is too long (at most %(max)d characters).", max=NOTE_MAX))
    today = team_today(action.advice.case.team, now)
    if done_on is None:
        raise ServiceError(_("Give the date it was done."))
    if done_on > today:
        raise ServiceError(_("The date it was done cannot be in the future."))
    first = action.advice
    while first.supersedes is not None:
        first = first.supersedes
    if done_on < team_today(action.advice.case.team, first.issued_at):
        raise ServiceError(_("The date it was done cannot be before the advice was issued."))
    transition_action(action, ActionStatus.DONE, actor)
    action.done_at, action.done_on, action.done_by_id, action.done_note = now, done_on, actor.id, note
    ladder.settle(action)  # an overdue escalation is settled: it leaves the list back on the table
    _flush_action(action)
    action_event("action.changed", action)
    sync_case(action.advice, actor)
    ties.solve_need_for_action(action, now)  # the tied need of the blockage map is solved


def refuse_action(action: Action, actor: User, *, expected_version: int | None, reason: str,
                  now: datetime | None = None) -> None:
    """The organisation refuses, with a reason; the chair is told at once (always by e-mail)
    and the action goes on the list back on the table at the next meeting."""
    now = now or utcnow()
    _begin(action, actor, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("A reason is required to refuse an action."))
    if len(reason) > NOTE_MAX:
        raise ServiceError(_("The reason is too long (at most %(max)d characters).", max=NOTE_MAX))
    # The reason lives on the action alone (``refused_reason``, cleared by retention): the audit
    # row holds no text and points to the action.
    transition_action(action, ActionStatus.REFUSED, actor)
    action.refused_at, action.refused_by_id, action.refused_reason = now, actor.id, reason
    ladder.enter_team(action, EscalationKind.REFUSED, now, actor.id)
    _flush_action(action)
    action_event("action.changed", action)
    audit_step("action.escalate", "action", action.id, actor, action.advice.case.team_id, {"kind": "refused"})
    notify(team_members(action.advice.case.team_id, Role.CHAIR), "advice.action_refused",
           action_context(action), action_link(action))


def record_team_decision(action: Action, actor: User, *, decision: TeamDecision | str, note: str,
                         new_deadline: date | None = None, meeting: Meeting | None = None,
                         now: datetime | None = None) -> None:
    """What the team decided on an escalated action (refused, or overdue past the grace period):

    - ``extend``: the action stands, with a new deadline (a refused action is reopened; the
      reminder, overdue and escalation jobs start again for the new deadline);
    - ``drop``: the action is no longer needed and no longer holds up completion.

    Giving the action to another organisation or changing what it says is a correction of the
    advice (a new version), not a decision here.
    """
    now = now or utcnow()
    if not permissions.can_decide(actor, action):
        if action.escalated_at is None:
            raise TransitionError(_("This action is not waiting for a decision of the team."))
        raise PermissionDenied(_("Only the chair or secretary records the team's decision."))
    try:
        decision = TeamDecision(decision)
    except ValueError:
        raise ServiceError(_("Choose a decision.")) from None
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Record what the team decided and why."))
    team = action.advice.case.team
    if meeting is not None and meeting.team_id != team.id:
        raise ServiceError(_("That meeting belongs to another team."))
    details: dict[str, Any] = {"decision": decision.value,
                               **case_services.keep_text(action.advice.case, "team_decision", note, actor)}
    if decision == TeamDecision.EXTEND:
        if new_deadline is None or new_deadline <= team_today(team, now):
            raise ServiceError(_("Give a new deadline in the future."))
        if action.status == ActionStatus.REFUSED:
            transition_action(action, ActionStatus.OPEN, actor, details)
        action.deadline_extended_to = new_deadline
        action.reminded_at = action.overdue_notified_at = None
        details["deadline"] = new_deadline.isoformat()
    else:
        transition_action(action, ActionStatus.DROPPED, actor, details)
    action.team_decision, action.team_decision_note = decision, note
    action.decided_at, action.decided_by_id = now, actor.id
    action.decided_meeting_id = meeting.id if meeting is not None else None
    ladder.settle(action)
    _flush_action(action)
    action_event("action.changed", action)
    audit_step("action.decide", "action", action.id, actor, team.id, details)
    if decision == TeamDecision.EXTEND:
        contacts = organisation_contacts(team.id, [action.organisation_id])[action.organisation_id]
        notify(contacts, "advice.action_assigned", action_context(action), action_link(action))
    sync_case(action.advice, actor)


@dataclass
class BackOnTable:
    """What comes back on the table: each list a page, oldest first, with its count in SQL."""

    escalated: Page
    """Refused actions and actions overdue past the grace period, waiting for the team."""
    evaluations: Page
    """Closed cases due for their three-month evaluation, not yet discussed by the team."""

    def __bool__(self) -> bool:
        return bool(self.escalated or self.evaluations)

    @property
    def total(self) -> int:
        return (self.escalated.total or 0) + (self.evaluations.total or 0)


#: Items per page of each list back on the table (the meeting page shows the first page).
BACK_ON_TABLE_PAGE = 25


def escalated_clause(team_id: int) -> sa.ColumnElement[bool]:
    """An escalated action waiting for the team: escalated, not decided (the decision clears
    ``escalated_at``), not done or dropped, of advice in force, on a case of the team in
    advice or execution (the case follows its actions)."""
    return sa.and_(
        Action.escalated_at.is_not(None),
        status_in([ActionStatus.OPEN, ActionStatus.CONFIRMED, ActionStatus.REFUSED]),
        Action.in_force,
        Action.team_id == team_id,
        Case.status.in_([CaseStatus.ADVISED, CaseStatus.IN_EXECUTION]),
    )


def evaluation_due_clause(team_id: int, day: date) -> sa.ColumnElement[bool]:
    """A closure waiting for the team: its evaluation is due and the team has not noted it."""
    return sa.and_(CaseClosure.team_id == team_id, CaseClosure.team_noted_at.is_(None), CaseClosure.evaluation_due_on <= day)


def back_on_table(team: Team, meeting: Meeting | None = None, now: datetime | None = None, *,
                    escalated_cursor: str | None = None, evaluations_cursor: str | None = None,
                    size: int = BACK_ON_TABLE_PAGE) -> BackOnTable:
    """What goes on the back-on-the-table part of the (next) meeting's agenda: only what awaits a
    decision of the team.

    - An escalated action (refused, or overdue past the grace period) stays until the team
      records its decision or the action is reported done (or the advice is corrected: only
      advice in force counts).
    - A closed case comes on the table once its three-month evaluation is due, and stays until
      the team notes its conclusion.
    - Old undecided items do not expire: nothing the team must decide disappears unseen. Both
      lists are shown oldest first (the longest waiting on top), a page at a time
      (``size`` items, keyset on the escalation moment / the due date), each with its count.

    Two statements (each page with its count), whatever the history.
    """
    if meeting is not None and meeting.team_id != team.id:
        raise ServiceError(_("That meeting belongs to another team."))
    day = team_today(team, meeting.starts_at if meeting is not None else now)
    escalated_where = escalated_clause(team.id)
    evaluations_where = evaluation_due_clause(team.id, day)
    escalated = keyset(
        sa.select(Action)
        .join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .where(escalated_where)
        .options(sa.orm.contains_eager(Action.advice).load_only(Advice.id, Advice.case_id, Advice.status),
                 sa.orm.contains_eager(Action.advice, Advice.case).load_only(Case.id, Case.team_id, Case.reference),
                 sa.orm.joinedload(Action.organisation)),
        Action.escalated_at, Action.id, cursor=escalated_cursor, size=size, newest_first=False,
        count=sa.select(sa.func.count(Action.id)).join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id).where(escalated_where),
    )
    evaluations = keyset(
        sa.select(CaseClosure).where(evaluations_where)
        .options(sa.orm.joinedload(CaseClosure.case).load_only(Case.id, Case.team_id, Case.reference)),
        CaseClosure.evaluation_due_on, CaseClosure.id, cursor=evaluations_cursor, size=size, newest_first=False,
        count=sa.select(sa.func.count(CaseClosure.id)).where(evaluations_where),
    )
    return BackOnTable(escalated=escalated, evaluations=evaluations)
