"""The minutes: compiled from attendance and the items after the session, edited by the
secretary against a version (never overwriting), then closed."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from core.clock import team_zone, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import LEAD_ROLES, User
from core.people import team_members

from . import permissions
from .attendance import quorum_status, team_experts
from .lifecycle import (
    S,
    TransitionError,
    VersionConflict,
    audit_step,
    require_lead,
    transition,
)
from .models import AttendanceStatus, Meeting, Outcome

MINUTES_MAX = 100_000


def _minutes_markdown(meeting: Meeting) -> str:
    team = meeting.team
    zone = team_zone(team)
    start, end = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
    lines = [
        _("Minutes of %(team)s, %(date)s %(start)s–%(end)s",
          team=team.name, date=start.strftime("%d-%m-%Y"), start=start.strftime("%H:%M"), end=end.strftime("%H:%M")),
        "",
        "### " + _("Present"),
    ]
    by_user = {a.user_id: a for a in meeting.attendances}
    experts = team_experts(meeting.team_id)
    leads = [u for u in team_members(meeting.team_id, *LEAD_ROLES)]
    people: dict[int, str] = {}
    for user in leads:
        people[user.id] = user.name
    for m in experts:
        people[m.user_id] = f"{m.user.name} ({m.domain.label})"
    present, absent = [], []
    for user_id, label in people.items():
        a = by_user.get(user_id)
        if a is None or a.status == AttendanceStatus.ABSENT:
            absent.append(label)
        elif a.status == AttendanceStatus.DEPUTY:
            present.append(_("%(deputy)s (deputy for %(person)s)", deputy=a.deputy_name, person=label))
        else:
            present.append(label)
    lines += [f"- {p}" for p in present] or ["- " + _("nobody recorded")]
    lines += ["", "### " + _("Absent")] + ([f"- {p}" for p in absent] or ["- " + _("nobody")])
    quorum = quorum_status(meeting)
    lines += ["", _("%(present)d experts present (quorum %(required)d): %(verdict)s.",
                     present=quorum.present, required=quorum.required,
                     verdict=_("met") if quorum.met else _("not met"))]
    if quorum.missing_domains:
        lines.append(_("Domains not represented: %(domains)s.", domains=", ".join(d.label for d in quorum.missing_domains)))
    lines += ["", "### " + _("Items")]
    open_points = []
    for item in meeting.items:
        outcome = item.outcome.label if item.outcome else _("not decided")
        lines += ["", f"#### {item.position}. {item.case.reference} — {outcome}", ""]
        lines.append(item.notes.strip() or _("(no notes)"))
        if item.outcome in (Outcome.POSTPONED, None):
            open_points.append(_("%(reference)s: to the next meeting (head of the queue).", reference=item.case.reference))
    lines += ["", "### " + _("Open points")] + ([f"- {p}" for p in open_points] or ["- " + _("none")])
    return "\n".join(lines) + "\n"


def compile_minutes(meeting: Meeting, actor: User) -> None:
    """(Re)compile the minutes from attendance and the items (replaces the text)."""
    require_lead(actor, meeting.team_id)
    if meeting.status != S.HELD:
        raise TransitionError(_("Minutes are compiled after the session and before they are closed."))
    meeting.minutes_text = _minutes_markdown(meeting)
    meeting.minutes_version += 1
    db.session.flush()
    audit_step("meeting.compile_minutes", meeting, actor, {"version": meeting.minutes_version})


def update_minutes(meeting: Meeting, actor: User, text: str, expected_version: int) -> None:
    if not permissions.can_edit_minutes(actor, meeting):
        if meeting.status != S.HELD:
            raise TransitionError(_("These minutes can no longer be changed."))
        raise PermissionDenied(_("Only the secretary edits the minutes."))
    text = (text or "").replace("\r\n", "\n")
    if len(text) > MINUTES_MAX:
        raise ServiceError(_("The minutes are too long (at most %(max)d characters).", max=MINUTES_MAX))
    result = db.session.execute(
        sa.update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.minutes_version == expected_version,
               Meeting.status == S.HELD)
        .values(minutes_text=text, minutes_version=Meeting.minutes_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(meeting)
    if result.rowcount != 1:
        raise VersionConflict(
            _("Someone else saved the minutes in the meantime. Your text was not saved; the other text is shown."),
            meeting.minutes_text, meeting.minutes_version,
        )
    audit_step("meeting.update_minutes", meeting, actor, {"version": meeting.minutes_version})


def close_minutes(meeting: Meeting, actor: User, now: datetime | None = None) -> None:
    if not permissions.can_edit_minutes(actor, meeting):
        if meeting.status != S.HELD:
            raise TransitionError(_("These minutes can no longer be changed."))
        raise PermissionDenied(_("Only the secretary closes the minutes."))
    if meeting.open_items:
        raise ServiceError(_("End the session first: some items have not been decided."))
    if not meeting.minutes_text.strip():
        raise ServiceError(_("The minutes are empty."))
    transition(meeting, S.CLOSED, actor)
    meeting.minutes_closed_at = now or utcnow()
