"""The live session: notes per item (saved against a version, never overwriting), each item's
outcome (discussed, postponed, withdrawn) and the end of the session."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from casefiles import services as case_services
from casefiles.models import CaseStatus
from core.clock import utcnow
from core.db import db
from core.errors import ServiceError
from core.models import User
from notifications.services import notify

from .agenda import back_to_queue
from .lifecycle import (
    ACTIVE_STATUSES,
    S,
    TransitionError,
    VersionConflict,
    audit_step,
    local_strings,
    require_lead,
    transition,
)
from .minutes import compile_minutes
from .models import AgendaItem, Meeting, Outcome

#: Limits on what people type.
NOTES_MAX = 50_000


#: The session may start this long before its planned start.
MAY_START_EARLY = timedelta(hours=1)


def save_notes(item: AgendaItem, actor: User, text: str, expected_version: int) -> AgendaItem:
    """Save an item's notes if nobody saved since ``expected_version``; otherwise refuse with the
    current text (nothing is overwritten). Atomic: one conditional UPDATE."""
    meeting = item.meeting
    require_lead(actor, meeting.team_id)
    if meeting.status not in ACTIVE_STATUSES:
        raise TransitionError(_("The notes of this meeting can no longer be changed."))
    text = (text or "").replace("\r\n", "\n")
    if len(text) > NOTES_MAX:
        raise ServiceError(_("The notes are too long (at most %(max)d characters).", max=NOTES_MAX))
    result = db.session.execute(
        sa.update(AgendaItem)
        .where(AgendaItem.id == item.id, AgendaItem.notes_version == expected_version)
        .values(notes=text, notes_version=AgendaItem.notes_version + 1, notes_updated_at=utcnow(),
                notes_updated_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(item)
    if result.rowcount != 1:
        raise VersionConflict(
            _("Someone else saved these notes in the meantime. Your text was not saved; the other text is shown."),
            item.notes, item.notes_version,
        )
    audit_step("meeting.notes", meeting, actor, {"item": item.id, "version": item.notes_version})
    return item


def _require_session(item: AgendaItem, actor: User, now: datetime) -> Meeting:
    meeting = item.meeting
    require_lead(actor, meeting.team_id)
    if meeting.status not in (S.PUBLISHED, S.HELD):
        raise TransitionError(_("Items are decided during the session of a published meeting."))
    if now < meeting.starts_at - MAY_START_EARLY:
        raise TransitionError(_("The session has not started yet."))
    if item.outcome is not None:
        raise TransitionError(_("This item has already been decided."))
    return meeting


def _start_session(meeting: Meeting, actor: User, now: datetime) -> None:
    if meeting.status == S.PUBLISHED:
        transition(meeting, S.HELD, actor)
        meeting.held_at = now


def _set_outcome(item: AgendaItem, outcome: Outcome, actor: User, now: datetime) -> None:
    item.outcome, item.outcome_at, item.outcome_by_id = outcome, now, actor.id
    db.session.flush()
    audit_step("meeting.item_outcome", item.meeting, actor, {"item": item.id, "case": item.case_id, "outcome": outcome.value})


def mark_discussed(item: AgendaItem, actor: User, now: datetime | None = None) -> None:
    """Discussed: the case goes to `discussed`, and the advice takes over."""
    now = now or utcnow()
    meeting = _require_session(item, actor, now)
    if item.case.status != CaseStatus.SCHEDULED:
        raise TransitionError(_("Publish the changed agenda before deciding this item."))
    _start_session(meeting, actor, now)
    case_services.discuss_case(item.case, actor, meeting_id=meeting.id)
    _set_outcome(item, Outcome.DISCUSSED, actor, now)


def postpone_item(item: AgendaItem, actor: User, now: datetime | None = None) -> None:
    """Postponed: back to the head of the queue, keeping its waiting time."""
    now = now or utcnow()
    meeting = _require_session(item, actor, now)
    _start_session(meeting, actor, now)
    back_to_queue(item.case, actor, meeting, "postponed")
    _set_outcome(item, Outcome.POSTPONED, actor, now)
    if item.presenter_invited:
        notify([item.case.owner], "meeting.item_postponed",
               {**local_strings(meeting), "reference": item.case.reference}, f"/cases/{item.case_id}")


def withdraw_item(item: AgendaItem, actor: User, *, reason: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    meeting = _require_session(item, actor, now)
    _start_session(meeting, actor, now)
    case_services.withdraw_case(item.case, actor, reason=reason)
    _set_outcome(item, Outcome.WITHDRAWN, actor, now)


def end_session(meeting: Meeting, actor: User, now: datetime | None = None) -> None:
    """End the session: items not reached are postponed (head of the queue); the minutes are
    compiled from the items if there are none yet."""
    now = now or utcnow()
    require_lead(actor, meeting.team_id)
    if meeting.status not in (S.PUBLISHED, S.HELD):
        raise TransitionError(_("Only a running session can be ended."))
    if now < meeting.starts_at - MAY_START_EARLY:
        raise TransitionError(_("The session has not started yet."))
    for item in meeting.open_items:
        postpone_item(item, actor, now)
    _start_session(meeting, actor, now)
    if not meeting.minutes_text:
        compile_minutes(meeting, actor)
    audit_step("meeting.end_session", meeting, actor)
