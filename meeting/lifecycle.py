"""The meeting's one state machine and what every part of the meeting shares.

``TRANSITIONS`` lists every allowed move of a meeting's status; ``transition()`` is the only
place a meeting's status changes. Services check who may do it, change objects, flush, write the
audit record (``audit_step``) and queue notifications; the caller (view, job, CLI) owns the
commit. Times are aware UTC; the team's rule (Tuesday 09:00 Europe/Amsterdam) is applied in
local time, so 09:00 stays 09:00 across the daylight-saving changes.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from core import audit
from core.clock import team_zone
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import User

from . import permissions
from .models import AgendaItem, Meeting, MeetingStatus

S = MeetingStatus


#: Every allowed (from, to) pair of a meeting's status and the action that makes it.
TRANSITIONS: dict[tuple[MeetingStatus, MeetingStatus], str] = {
    (S.PLANNED, S.PUBLISHED): "publish",
    (S.PLANNED, S.CANCELLED): "cancel",
    (S.PUBLISHED, S.CANCELLED): "cancel",
    (S.PUBLISHED, S.HELD): "hold",
    (S.HELD, S.CLOSED): "close",
}


#: Meeting states whose open items count as "on an agenda" (such cases are not proposed again).
ACTIVE_STATUSES = (S.PLANNED, S.PUBLISHED, S.HELD)


class TransitionError(ServiceError):
    """The meeting is not in a state from which this step is allowed."""


class VersionConflict(ServiceError):
    """A save based on an older version was refused; carries the current text and version."""

    def __init__(self, message: str, current_text: str, current_version: int):
        super().__init__(message)
        self.current_text = current_text
        self.current_version = current_version


def transition(meeting: Meeting, to: MeetingStatus, actor: User | None, *, details: dict[str, Any] | None = None) -> None:
    """Move ``meeting`` to ``to`` if the table allows it; write the audit record."""
    key = (meeting.status, to)
    if key not in TRANSITIONS:
        raise TransitionError(
            _("This meeting is %(state)s; it cannot become %(target)s.", state=meeting.status.label, target=to.label)
        )
    previous = meeting.status
    meeting.status = to
    audit_step(f"meeting.{TRANSITIONS[key]}", meeting, actor, {"from": previous.value, "to": to.value, **(details or {})})
    db.session.flush()


# --- shared by the parts of the meeting ------------------------------------------------------

def audit_step(action: str, meeting: Meeting, actor: User | None, details: dict[str, Any] | None = None) -> None:
    audit.record(action, object_type="meeting", object_id=meeting.id, actor=actor, team_id=meeting.team_id,
                 details=details or {})


def require_lead(actor: User | None, team_id: int) -> None:
    if not permissions.is_lead(actor, team_id):
        raise PermissionDenied(_("Only the chair or secretary can do this."))


def local_strings(meeting: Meeting, at: datetime | None = None) -> dict[str, str]:
    """Local date and time for notification texts (language-neutral numbers)."""
    local = (at or meeting.starts_at).astimezone(team_zone(meeting.team))
    return {"date": local.strftime("%d-%m-%Y"), "time": local.strftime("%H:%M"), "team": meeting.team.name}


def meeting_link(meeting: Meeting) -> str:
    return f"/meetings/{meeting.id}"


def invited_owners(meeting: Meeting) -> list[tuple[AgendaItem, User]]:
    return [(i, i.case.owner) for i in meeting.items if i.presenter_invited and i.outcome is None]
