"""Follow-through: each committed organisation confirms, reports done or refuses its action
(with optimistic locking), the team decides on an escalated action, the case follows its
actions, and what comes back on the table at the next meeting; the contact's home."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from casefiles import services as case_services
from casefiles.models import Case, CaseStatus
from core.clock import team_today, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Role, Team, User
from core.people import organisation_contacts, team_members
from meeting.models import Meeting
from notifications.services import notify

from . import permissions, ties
from .lifecycle import (
    NOTE_MAX,
    StaleAction,
    TransitionError,
    action_context,
    action_link,
    audit_step,
    case_link,
    transition_action,
)
from .models import (
    SETTLED_ACTION,
    Action,
    ActionStatus,
    Advice,
    AdviceStatus,
    CaseClosure,
    EscalationKind,
    TeamDecision,
)


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
    _flush_action(action)
    sync_case(action.advice, actor)
    ties.solve_need_for_action(action, now)  # the tied need of the blockage map is solved


def refuse_action(action: Action, actor: User, *, expected_version: int | None, reason: str,
                  now: datetime | None = None) -> None:
    """The organisation refuses, with a reason; the chair is told at once (always by e-mail)
    and the action goes on the next meeting's follow-up list."""
    now = now or utcnow()
    _begin(action, actor, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("A reason is required to refuse an action."))
    if len(reason) > NOTE_MAX:
        raise ServiceError(_("The reason is too long (at most %(max)d characters).", max=NOTE_MAX))
    transition_action(action, ActionStatus.REFUSED, actor,
                      case_services.keep_text(action.advice.case, "action_refused", reason, actor))
    action.refused_at, action.refused_by_id, action.refused_reason = now, actor.id, reason
    action.escalated_at, action.escalation_kind = now, EscalationKind.REFUSED
    _flush_action(action)
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
    action.escalated_at = None
    _flush_action(action)
    audit_step("action.decide", "action", action.id, actor, team.id, details)
    if decision == TeamDecision.EXTEND:
        contacts = organisation_contacts(team.id, [action.organisation_id])[action.organisation_id]
        notify(contacts, "advice.action_assigned", action_context(action), action_link(action))
    sync_case(action.advice, actor)


def sync_case(advice: Advice, actor: User | None) -> None:
    """The case follows its actions: `in_execution` once one is confirmed or done; `completed`
    once every action is done (or dropped by the team)."""
    case = advice.case
    statuses = [a.status for a in advice.actions]
    if case.status not in permissions.CORRECTABLE or not statuses:
        return
    if all(s in SETTLED_ACTION for s in statuses):
        case_services.complete_case(case, actor, advice_id=advice.id)
        notify([case.owner], "advice.case_completed", {"reference": case.reference}, case_link(case))
    elif case.status == CaseStatus.ADVISED and any(s in (ActionStatus.CONFIRMED, ActionStatus.DONE) for s in statuses):
        case_services.start_execution(case, actor, advice_id=advice.id)


@dataclass
class FollowUpItems:
    escalated: list[Action] = field(default_factory=list)
    """Refused actions and actions overdue past the grace period, waiting for the team."""
    followups: list[CaseClosure] = field(default_factory=list)
    """Closed cases due for their three-month evaluation, not yet discussed by the team."""

    def __bool__(self) -> bool:
        return bool(self.escalated or self.followups)


def follow_up_items(team: Team, meeting: Meeting | None = None, now: datetime | None = None) -> FollowUpItems:
    """What goes on the follow-up part of the (next) meeting's agenda. Two queries."""
    if meeting is not None and meeting.team_id != team.id:
        raise ServiceError(_("That meeting belongs to another team."))
    day = team_today(team, meeting.starts_at if meeting is not None else now)
    escalated = db.session.scalars(
        sa.select(Action)
        .join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .where(Case.team_id == team.id, Advice.status == AdviceStatus.ISSUED, Action.escalated_at.is_not(None))
        .order_by(Action.escalated_at, Action.id)
        .options(sa.orm.contains_eager(Action.advice).contains_eager(Advice.case),
                 sa.orm.joinedload(Action.organisation), sa.orm.joinedload(Action.refused_by))
    ).unique().all()
    followups = db.session.scalars(
        sa.select(CaseClosure)
        .where(CaseClosure.team_id == team.id, CaseClosure.followup_due_on <= day, CaseClosure.team_noted_at.is_(None))
        .order_by(CaseClosure.followup_due_on, CaseClosure.id)
        .options(sa.orm.joinedload(CaseClosure.case))
    ).all()
    return FollowUpItems(escalated=list(escalated), followups=list(followups))


def contact_clause(user: User) -> sa.ColumnElement[bool]:
    """SQL filter: actions addressed to one of the user's organisations, in the same team."""
    pairs = {(m.team_id, m.organisation_id) for m in user.memberships
             if m.active and m.role == Role.ORG_CONTACT and m.organisation_id is not None}
    if not pairs:
        return sa.false()
    return sa.or_(*(sa.and_(Case.team_id == t, Action.organisation_id == o) for t, o in sorted(pairs)))


def contact_actions(user: User) -> list[Action]:
    """The actions of the user's organisations on advice in force, deadline first (one query)."""
    return list(
        db.session.scalars(
            sa.select(Action)
            .join(Advice, Advice.id == Action.advice_id)
            .join(Case, Case.id == Advice.case_id)
            .where(contact_clause(user), Advice.status == AdviceStatus.ISSUED)
            .order_by(sa.func.coalesce(Action.deadline_extended_to, Action.deadline), Action.id)
            .options(sa.orm.contains_eager(Action.advice).contains_eager(Advice.case),
                     sa.orm.joinedload(Action.organisation))
        ).unique()
    )


def group_for_contact(actions: Iterable[Action], today: date) -> dict[str, list[Action]]:
    groups: dict[str, list[Action]] = {"overdue": [], "open": [], "confirmed": [], "refused": [], "done": []}
    for a in actions:
        if a.is_overdue(today):
            groups["overdue"].append(a)
        elif a.status == ActionStatus.OPEN:
            groups["open"].append(a)
        elif a.status == ActionStatus.CONFIRMED:
            groups["confirmed"].append(a)
        elif a.status == ActionStatus.REFUSED:
            groups["refused"].append(a)
        else:
            groups["done"].append(a)
    return groups
