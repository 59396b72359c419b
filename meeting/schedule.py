"""The schedule: the team's regular meetings kept in place week by week, extra meetings,
cancelling and moving a meeting, and the day-before reminder."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from casefiles.models import Case
from core import audit
from core.clock import team_zone, utcnow
from core.db import db, insert_or_skip
from core.errors import ServiceError
from core.models import TEAM_ROLES, Team, User
from core.people import team_members
from notifications.services import notify

from .agenda import back_to_queue, reslot
from .lifecycle import (
    S,
    TransitionError,
    audit_step,
    invited_owners,
    local_strings,
    meeting_link,
    require_lead,
    transition,
)
from .models import AgendaItem, Meeting, MeetingKind, MeetingStatus

REASON_MAX = 500


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time on ``day`` as aware UTC (09:00 stays 09:00 across DST)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(timezone.utc)


def cutoff_for(team: Team, meeting_day: date) -> datetime:
    """The agenda cut-off: the last ``cutoff_weekday`` strictly before the meeting day."""
    days_back = (meeting_day.weekday() - team.cutoff_weekday) % 7 or 7
    return local_to_utc(meeting_day - timedelta(days=days_back), team.cutoff_time, team_zone(team))


def regular_slots(team: Team, now: datetime, weeks: int = 8) -> list[dict[str, Any]]:
    """Rows for the team's regular meetings in the next ``weeks`` weeks that start after ``now``."""
    zone = team_zone(team)
    today = now.astimezone(zone).date()
    first = today + timedelta(days=(team.meeting_weekday - today.weekday()) % 7)
    rows = []
    for week in range(weeks):
        day = first + timedelta(weeks=week)
        starts_at = local_to_utc(day, team.meeting_start, zone)
        if starts_at <= now:
            continue
        rows.append(
            {
                "team_id": team.id,
                "kind": MeetingKind.REGULAR,
                "status": MeetingStatus.PLANNED,
                "starts_at": starts_at,
                "ends_at": local_to_utc(day, team.meeting_end, zone),
                "slot_at": starts_at,
                "cutoff_at": cutoff_for(team, day),
                "location": team.location or "",
            }
        )
    return rows


def ensure_meetings(team: Team, now: datetime, weeks: int = 8) -> int:
    """Create the team's regular meetings for the next ``weeks`` weeks; return how many were new.

    Set-based and idempotent: one INSERT that skips slots that exist (the unique constraints on
    (team, start) and (team, slot) make a duplicate impossible, even with two schedulers). A
    cancelled or moved meeting keeps its slot, so it is not created again.
    """
    rows = regular_slots(team, now, weeks)
    if not rows:
        return 0
    table = Meeting.__table__
    stmt = insert_or_skip(table).returning(table.c.id)
    created = db.session.execute(stmt, rows).scalars().all()
    if created:
        audit.record("meeting.ensure", object_type="team", object_id=team.id, actor=None, team_id=team.id,
                     details={"created": len(created)})
    return len(created)


def _check_times(team: Team, starts_at: datetime, ends_at: datetime, now: datetime, exclude_id: int | None = None) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("meeting times must be aware datetimes")
    if ends_at <= starts_at:
        raise ServiceError(_("The end time must be after the start time."))
    if ends_at - starts_at > timedelta(hours=12):
        raise ServiceError(_("A meeting cannot last longer than 12 hours."))
    if starts_at <= now:
        raise ServiceError(_("The meeting must start in the future."))
    clash = sa.select(Meeting.id).where(
        Meeting.team_id == team.id,
        sa.or_(Meeting.starts_at == starts_at, Meeting.slot_at == starts_at),
    )
    if exclude_id is not None:
        clash = clash.where(Meeting.id != exclude_id)
    if db.session.scalar(clash.limit(1)) is not None:
        raise ServiceError(_("This team already has a meeting at that time."))


def add_extra_meeting(team: Team, actor: User, *, starts_at: datetime, ends_at: datetime, location: str = "",
                      now: datetime | None = None) -> Meeting:
    require_lead(actor, team.id)
    now = now or utcnow()
    _check_times(team, starts_at, ends_at, now)
    local_day = starts_at.astimezone(team_zone(team)).date()
    meeting = Meeting(
        team=team, kind=MeetingKind.EXTRA, starts_at=starts_at, ends_at=ends_at, slot_at=starts_at,
        cutoff_at=cutoff_for(team, local_day), location=(location or team.location or "").strip()[:200],
    )
    try:
        with db.session.begin_nested():
            db.session.add(meeting)
    except sa.exc.IntegrityError:  # another request took the slot between check and insert
        raise ServiceError(_("This team already has a meeting at that time.")) from None
    audit_step("meeting.add_extra", meeting, actor, {"starts_at": starts_at.isoformat()})
    return meeting


def cancel_meeting(meeting: Meeting, actor: User, *, reason: str) -> None:
    """Cancel (e.g. a holiday). The cases on it go back to the head of the queue."""
    require_lead(actor, meeting.team_id)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("A reason is required to cancel a meeting."))
    if len(reason) > REASON_MAX:
        raise ServiceError(_("The reason is too long (at most %(max)d characters).", max=REASON_MAX))
    was_published = meeting.agenda_published_at is not None
    owners = invited_owners(meeting) if was_published else []
    transition(meeting, S.CANCELLED, actor)  # the reason is on the meeting, never in the audit row
    for item in meeting.items:
        if item.outcome is None:
            back_to_queue(item.case, actor, meeting, "meeting cancelled")
    meeting.cancel_reason = reason
    meeting.sequence += 1
    context = {**local_strings(meeting), "reason": reason}
    recipients = team_members(meeting.team_id, *TEAM_ROLES) + [owner for _item, owner in owners]
    notify([u for u in recipients if u.id != actor.id], "meeting.cancelled", context, meeting_link(meeting))
    db.session.flush()


def move_meeting(meeting: Meeting, actor: User, *, starts_at: datetime, ends_at: datetime,
                 location: str | None = None, now: datetime | None = None) -> None:
    """Move to another time (and place); the slots follow and invitees are told."""
    require_lead(actor, meeting.team_id)
    if meeting.status not in (S.PLANNED, S.PUBLISHED):
        raise TransitionError(_("Only a planned meeting can be moved."))
    now = now or utcnow()
    _check_times(meeting.team, starts_at, ends_at, now, exclude_id=meeting.id)
    old = local_strings(meeting)
    previous = {"starts_at": meeting.starts_at.isoformat(), "ends_at": meeting.ends_at.isoformat()}
    meeting.starts_at = starts_at
    meeting.ends_at = ends_at
    meeting.cutoff_at = cutoff_for(meeting.team, starts_at.astimezone(team_zone(meeting.team)).date())
    if location is not None:
        meeting.location = location.strip()[:200]
    meeting.sequence += 1
    reslot(meeting)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise ServiceError(_("This team already has a meeting at that time.")) from None
    audit_step("meeting.move", meeting, actor, {"from": previous, "to": {"starts_at": starts_at.isoformat(),
                                                                      "ends_at": ends_at.isoformat()}})
    if meeting.agenda_published_at is not None:
        context = {**local_strings(meeting), "old_date": old["date"]}
        recipients = team_members(meeting.team_id, *TEAM_ROLES) + [owner for _item, owner in invited_owners(meeting)]
        notify([u for u in recipients if u.id != actor.id], "meeting.moved", context, meeting_link(meeting))


def send_reminder(meeting: Meeting) -> None:
    """The day-before reminder to the team and the invited case owners (the job claims it once)."""
    base = local_strings(meeting)
    notify(team_members(meeting.team_id, *TEAM_ROLES), "meeting.reminder", base, meeting_link(meeting))
    for item, owner in invited_owners(meeting):
        notify([owner], "meeting.reminder_presenter",
               {**local_strings(meeting, item.starts_at), "team": meeting.team.name, "reference": item.case.reference},
               meeting_link(meeting))
    audit_step("meeting.remind", meeting, None)


# --- list queries (the meeting list) ----------------------------------------------------------

def agenda_counts(meeting_ids: list[int]) -> dict[int, int]:
    """Items on each meeting's agenda: one grouped statement."""
    if not meeting_ids:
        return {}
    return dict(db.session.execute(
        sa.select(AgendaItem.meeting_id, sa.func.count()).where(AgendaItem.meeting_id.in_(meeting_ids))
        .group_by(AgendaItem.meeting_id)
    ).all())


def presenting_items_of(user: User, meetings: list[Meeting]) -> dict[int, list[AgendaItem]]:
    """For meetings the user sees only as a presenter: their own invited items (with the case),
    per meeting; one statement (``permissions.presenting_items`` for a list)."""
    published = [m.id for m in meetings if m.agenda_published_at is not None]
    if not published:
        return {}
    items = db.session.scalars(
        sa.select(AgendaItem).join(Case, Case.id == AgendaItem.case_id)
        .where(AgendaItem.meeting_id.in_(published), AgendaItem.presenter_invited.is_(True), Case.owner_id == user.id)
        .order_by(AgendaItem.meeting_id, AgendaItem.position)
        .options(sa.orm.contains_eager(AgendaItem.case))
    ).all()
    result: dict[int, list[AgendaItem]] = {}
    for item in items:
        result.setdefault(item.meeting_id, []).append(item)
    return result
