"""The advice's two state machines and what every part of the advice shares.

``ADVICE_TRANSITIONS`` (a version: draft -> issued -> superseded) and ``ACTION_TRANSITIONS`` (an
organisation's action) list every allowed move; ``transition_advice()`` and
``transition_action()`` are the only places those statuses change, each writing its audit row;
the case follows its actions (``sync_case``: in execution, completed). Services check who may do it, change objects, flush, write the audit record and queue
notifications; the caller (view, job, CLI) owns the commit. An issued version is never edited:
a correction is a new version (and ``advice.guard`` refuses any other path).
"""
from __future__ import annotations

import calendar
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from casefiles import services as case_services
from casefiles.models import Case, CaseStatus
from core import audit
from core.db import db
from core.errors import ServiceError
from core.models import User
from meeting.models import AgendaItem
from meeting.models import Outcome as ItemOutcome
from notifications.services import notify

from .models import SETTLED_ACTION, Action, ActionStatus, Advice, AdviceStatus
from .permissions import CORRECTABLE

#: The longest note or description anyone types on an action.
NOTE_MAX = 5_000

#: Every allowed (from, to) pair of an advice version and the action that makes it.
ADVICE_TRANSITIONS: dict[tuple[AdviceStatus, AdviceStatus], str] = {
    (AdviceStatus.DRAFT, AdviceStatus.ISSUED): "issue",
    (AdviceStatus.ISSUED, AdviceStatus.SUPERSEDED): "supersede",
}
#: Every allowed (from, to) pair of an action and the action that makes it.
ACTION_TRANSITIONS: dict[tuple[ActionStatus, ActionStatus], str] = {
    (ActionStatus.OPEN, ActionStatus.CONFIRMED): "confirm",
    (ActionStatus.OPEN, ActionStatus.DONE): "complete",
    (ActionStatus.CONFIRMED, ActionStatus.DONE): "complete",
    (ActionStatus.OPEN, ActionStatus.REFUSED): "refuse",
    (ActionStatus.CONFIRMED, ActionStatus.REFUSED): "refuse",
    (ActionStatus.REFUSED, ActionStatus.OPEN): "reopen",  # the team upholds the action (new deadline)
    (ActionStatus.OPEN, ActionStatus.DROPPED): "drop",
    (ActionStatus.CONFIRMED, ActionStatus.DROPPED): "drop",
    (ActionStatus.REFUSED, ActionStatus.DROPPED): "drop",
}
class TransitionError(ServiceError):
    """The advice or action is not in a state from which this step is allowed."""


class StaleDraft(ServiceError):
    """The draft was saved by someone else since the form was loaded; nothing was saved."""


class StaleAction(ServiceError):
    """Someone else acted on this action since the page was loaded; nothing was changed."""


def transition_advice(advice: Advice, to: AdviceStatus, actor: User | None, details: dict | None = None) -> None:
    key = (advice.status, to)
    if key not in ADVICE_TRANSITIONS:
        raise TransitionError(
            _("This advice is %(state)s; it cannot become %(target)s.", state=advice.status.label, target=to.label)
        )
    advice.status = to
    audit_step(f"advice.{ADVICE_TRANSITIONS[key]}", "advice", advice.id, actor, advice.case.team_id,
           {"from": key[0].value, "to": to.value, "case": advice.case_id, "version": advice.version, **(details or {})})


def transition_action(action: Action, to: ActionStatus, actor: User | None, details: dict | None = None) -> None:
    key = (action.status, to)
    if key not in ACTION_TRANSITIONS:
        raise TransitionError(
            _("This action is %(state)s; it cannot become %(target)s.", state=action.status.label, target=to.label)
        )
    action.status = to
    audit_step(f"action.{ACTION_TRANSITIONS[key]}", "action", action.id, actor, action.advice.case.team_id,
           {"from": key[0].value, "to": to.value, "case": action.advice.case_id, **(details or {})})


# --- the case follows its actions ------------------------------------------------------------

def sync_case(advice: Advice, actor: User | None) -> None:
    """The case follows its actions: `in_execution` once one is confirmed or done; `completed`
    once every action is done (or dropped by the team)."""
    case = advice.case
    statuses = [a.status for a in advice.actions]
    if case.status not in CORRECTABLE or not statuses:
        return
    if all(s in SETTLED_ACTION for s in statuses):
        case_services.complete_case(case, actor, advice_id=advice.id)
        notify([case.owner], "advice.case_completed", {"reference": case.reference}, case_link(case))
    elif case.status == CaseStatus.ADVISED and any(s in (ActionStatus.CONFIRMED, ActionStatus.DONE) for s in statuses):
        case_services.start_execution(case, actor, advice_id=advice.id)


# --- shared by the parts of the advice -------------------------------------------------------

def audit_step(action: str, obj_type: str, obj_id: int | None, actor: User | None, team_id: int,
           details: dict[str, Any] | None = None) -> None:
    audit.record(action, object_type=obj_type, object_id=obj_id, actor=actor, team_id=team_id, details=details or {})


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def case_link(case: Case) -> str:
    return f"/cases/{case.id}"


def advice_link(advice: Advice) -> str:
    return f"/advice/{advice.id}"


def action_link(action: Action) -> str:
    return f"/advice/actions/{action.id}"


def action_context(action: Action) -> dict[str, Any]:
    return {
        "reference": action.advice.case.reference,
        "organisation": action.organisation.name,
        "deadline": action.effective_deadline.strftime("%d-%m-%Y"),
    }


def versions(case: Case) -> list[Advice]:
    """All versions of the case's advice, newest first."""
    return list(db.session.scalars(sa.select(Advice).where(Advice.case_id == case.id).order_by(Advice.version.desc())))


def current_advice(case: Case) -> Advice | None:
    """The issued version in force (None before issuing)."""
    return db.session.scalar(
        sa.select(Advice).where(Advice.case_id == case.id, Advice.status == AdviceStatus.ISSUED)
    )


def draft_of(case: Case) -> Advice | None:
    return db.session.scalar(
        sa.select(Advice).where(Advice.case_id == case.id, Advice.status == AdviceStatus.DRAFT)
    )


def discussed_meeting_id(case: Case) -> int | None:
    """The meeting where the case was (last) discussed."""
    return db.session.scalar(
        sa.select(AgendaItem.meeting_id)
        .where(AgendaItem.case_id == case.id, AgendaItem.outcome == ItemOutcome.DISCUSSED)
        .order_by(AgendaItem.outcome_at.desc(), AgendaItem.id.desc())
        .limit(1)
    )
