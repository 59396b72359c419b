"""Meeting services: the weekly schedule, the agenda, attendance, the live session and minutes.

Services check who may do it, change objects, flush, write the audit record and queue
notifications; the caller (view, job, CLI) owns the commit. Times are aware UTC; the team's
rule (Tuesday 09:00 Europe/Amsterdam) is applied in local time, so 09:00 stays 09:00 across the
daylight-saving changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from casefiles import services as case_services
from casefiles.models import Case, CaseStatus
from core import audit
from core.clock import utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import LEAD_ROLES, TEAM_ROLES, Domain, Membership, Role, Team, User
from core.people import team_members
from notifications.services import notify

from . import permissions
from .models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Outcome,
)

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
#: Limits on what people type.
NOTES_MAX = 50_000
MINUTES_MAX = 100_000
REASON_MAX = 500
DURATION_MIN, DURATION_MAX = 5, 240
#: The session may start this long before its planned start.
MAY_START_EARLY = timedelta(hours=1)


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
    _audit(f"meeting.{TRANSITIONS[key]}", meeting, actor, {"from": previous.value, "to": to.value, **(details or {})})
    db.session.flush()


# --- helpers ----------------------------------------------------------------------------------

def _audit(action: str, meeting: Meeting, actor: User | None, details: dict[str, Any] | None = None) -> None:
    audit.record(action, object_type="meeting", object_id=meeting.id, actor=actor, team_id=meeting.team_id,
                 details=details or {})


def _require_lead(actor: User | None, team_id: int) -> None:
    if not permissions.is_lead(actor, team_id):
        raise PermissionDenied(_("Only the chair or secretary can do this."))


def _require_editable(meeting: Meeting) -> None:
    if meeting.status not in (S.PLANNED, S.PUBLISHED):
        raise TransitionError(_("The agenda of this meeting can no longer be changed."))


def team_zone(team: Team) -> ZoneInfo:
    return ZoneInfo(team.timezone)


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time on ``day`` as aware UTC (09:00 stays 09:00 across DST)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(timezone.utc)


def cutoff_for(team: Team, meeting_day: date) -> datetime:
    """The agenda cut-off: the last ``cutoff_weekday`` strictly before the meeting day."""
    days_back = (meeting_day.weekday() - team.cutoff_weekday) % 7 or 7
    return local_to_utc(meeting_day - timedelta(days=days_back), team.cutoff_time, team_zone(team))


def default_duration(meeting: Meeting, team: Team) -> int:
    """The meeting's length divided by the capacity, rounded down to 5 minutes."""
    per_item = meeting.duration_minutes // max(team.capacity, 1)
    return max(DURATION_MIN, min(DURATION_MAX, per_item - per_item % 5))


def local_strings(meeting: Meeting, at: datetime | None = None) -> dict[str, str]:
    """Local date and time for notification texts (language-neutral numbers)."""
    local = (at or meeting.starts_at).astimezone(team_zone(meeting.team))
    return {"date": local.strftime("%d-%m-%Y"), "time": local.strftime("%H:%M"), "team": meeting.team.name}


def _link(meeting: Meeting) -> str:
    return f"/meetings/{meeting.id}"


def _invited_owners(meeting: Meeting) -> list[tuple[AgendaItem, User]]:
    return [(i, i.case.owner) for i in meeting.items if i.presenter_invited and i.outcome is None]


def _on_active_agenda():
    """Correlated EXISTS: the case is an open item of a planned, published or running meeting."""
    return sa.exists(
        sa.select(AgendaItem.id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.case_id == Case.id,
            AgendaItem.outcome.is_(None),
            Meeting.status.in_(list(ACTIVE_STATUSES)),
        )
    )


def candidates_query(team_id: int):
    """The team's queue (head of the queue, urgency, waiting time) without cases already on an agenda."""
    return case_services.queue_query(team_id).where(sa.not_(_on_active_agenda()))


def reslot(meeting: Meeting) -> None:
    """Number the items 1..n and give each a slot: the meeting start plus the items before it."""
    cursor = meeting.starts_at
    for position, item in enumerate(sorted(meeting.items, key=lambda i: (i.position, i.id or 0)), start=1):
        item.position = position
        item.starts_at = cursor
        cursor += timedelta(minutes=item.duration_minutes)


def _mark_changed(meeting: Meeting) -> None:
    if meeting.status == S.PUBLISHED:
        meeting.agenda_changed_at = utcnow()


def _back_to_queue(case: Case, actor: User | None, meeting: Meeting, reason: str) -> None:
    """A case leaves a meeting unhandled: back to the queue at its head, keeping its waiting time."""
    case_services.return_to_queue(case, actor, meeting_id=meeting.id, reason=reason)


# --- the schedule -----------------------------------------------------------------------------

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


def _insert_ignoring_duplicates(table: sa.Table):
    """INSERT that skips rows violating a unique constraint (ON CONFLICT DO NOTHING)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only PostgreSQL and SQLite are supported
        raise RuntimeError(f"unsupported database {dialect}")
    return insert(table).on_conflict_do_nothing()


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
    stmt = _insert_ignoring_duplicates(table).returning(table.c.id)
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
    _require_lead(actor, team.id)
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
    _audit("meeting.add_extra", meeting, actor, {"starts_at": starts_at.isoformat()})
    return meeting


def cancel_meeting(meeting: Meeting, actor: User, *, reason: str) -> None:
    """Cancel (e.g. a holiday). The cases on it go back to the head of the queue."""
    _require_lead(actor, meeting.team_id)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("A reason is required to cancel a meeting."))
    if len(reason) > REASON_MAX:
        raise ServiceError(_("The reason is too long (at most %(max)d characters).", max=REASON_MAX))
    was_published = meeting.agenda_published_at is not None
    owners = _invited_owners(meeting) if was_published else []
    transition(meeting, S.CANCELLED, actor, details={"reason": reason})
    for item in meeting.items:
        if item.outcome is None:
            _back_to_queue(item.case, actor, meeting, "meeting cancelled")
    meeting.cancel_reason = reason
    meeting.sequence += 1
    context = {**local_strings(meeting), "reason": reason}
    recipients = team_members(meeting.team_id, *TEAM_ROLES) + [owner for _item, owner in owners]
    notify([u for u in recipients if u.id != actor.id], "meeting.cancelled", context, _link(meeting))
    db.session.flush()


def move_meeting(meeting: Meeting, actor: User, *, starts_at: datetime, ends_at: datetime,
                 location: str | None = None, now: datetime | None = None) -> None:
    """Move to another time (and place); the slots follow and invitees are told."""
    _require_lead(actor, meeting.team_id)
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
    _audit("meeting.move", meeting, actor, {"from": previous, "to": {"starts_at": starts_at.isoformat(),
                                                                      "ends_at": ends_at.isoformat()}})
    if meeting.agenda_published_at is not None:
        context = {**local_strings(meeting), "old_date": old["date"]}
        recipients = team_members(meeting.team_id, *TEAM_ROLES) + [owner for _item, owner in _invited_owners(meeting)]
        notify([u for u in recipients if u.id != actor.id], "meeting.moved", context, _link(meeting))


# --- the agenda -------------------------------------------------------------------------------

def propose_agenda(meeting: Meeting, now: datetime, actor: User | None = None) -> list[AgendaItem]:
    """Fill the agenda from the queue up to the team's capacity: head of the queue, urgency
    (crisis, high, normal), then waiting time. Items already on it stay. ``actor`` is None for
    the cut-off job."""
    if actor is not None:
        _require_lead(actor, meeting.team_id)
    if meeting.status != S.PLANNED:
        raise TransitionError(_("An agenda is proposed only for a planned meeting."))
    team = meeting.team
    free = team.capacity - len(meeting.items)
    added: list[AgendaItem] = []
    if free > 0:
        cases = db.session.scalars(candidates_query(team.id).limit(free)).all()
        duration = default_duration(meeting, team)
        next_position = max((i.position for i in meeting.items), default=0) + 1
        for offset, case in enumerate(cases):
            item = AgendaItem(case=case, position=next_position + offset, duration_minutes=duration,
                              starts_at=meeting.starts_at)
            meeting.items.append(item)
            added.append(item)
        reslot(meeting)
    meeting.agenda_proposed_at = now
    db.session.flush()
    _audit("meeting.propose_agenda", meeting, actor, {"cases": [i.case_id for i in added]})
    return added


def add_item(meeting: Meeting, case: Case, actor: User, *, duration: int | None = None) -> AgendaItem:
    _require_lead(actor, meeting.team_id)
    _require_editable(meeting)
    if case.team_id != meeting.team_id or case.status != CaseStatus.ACCEPTED:
        raise ServiceError(_("Only cases waiting in this team's queue can be put on the agenda."))
    if db.session.scalar(sa.select(_on_active_agenda()).select_from(Case).where(Case.id == case.id)):
        raise ServiceError(_("Case %(reference)s is already on an agenda.", reference=case.reference))
    duration = duration or default_duration(meeting, meeting.team)
    _check_duration(duration)
    item = AgendaItem(case=case, duration_minutes=duration, starts_at=meeting.starts_at,
                      position=max((i.position for i in meeting.items), default=0) + 1)
    meeting.items.append(item)
    reslot(meeting)
    _mark_changed(meeting)
    db.session.flush()
    _audit("meeting.add_item", meeting, actor, {"case": case.id, "item": item.id})
    return item


def remove_item(item: AgendaItem, actor: User) -> None:
    """Take a case off the agenda; once published it goes back to the head of the queue."""
    meeting = item.meeting
    _require_lead(actor, meeting.team_id)
    _require_editable(meeting)
    case = item.case
    was_scheduled = case.status == CaseStatus.SCHEDULED
    if meeting.agenda_published_at is not None:
        _back_to_queue(case, actor, meeting, "removed from the agenda")
    meeting.items.remove(item)
    db.session.delete(item)
    reslot(meeting)
    _mark_changed(meeting)
    db.session.flush()
    _audit("meeting.remove_item", meeting, actor, {"case": case.id})
    if was_scheduled and item.presenter_invited:
        notify([case.owner], "meeting.item_removed", {**local_strings(meeting), "reference": case.reference},
               f"/cases/{case.id}")


def move_item(item: AgendaItem, actor: User, *, by: int) -> None:
    """Move an item up (by=-1) or down (by=+1); the slots follow."""
    meeting = item.meeting
    _require_lead(actor, meeting.team_id)
    _require_editable(meeting)
    items = sorted(meeting.items, key=lambda i: i.position)
    index = items.index(item)
    target = index + by
    if by not in (-1, 1) or not 0 <= target < len(items):
        raise ServiceError(_("This item cannot move further."))
    items[index], items[target] = items[target], items[index]
    for position, it in enumerate(items, start=1):
        it.position = position
    reslot(meeting)
    _mark_changed(meeting)
    db.session.flush()
    _audit("meeting.move_item", meeting, actor, {"item": item.id, "position": item.position})


def _check_duration(minutes: int) -> None:
    if not DURATION_MIN <= minutes <= DURATION_MAX:
        raise ServiceError(_("A duration is between %(min)d and %(max)d minutes.", min=DURATION_MIN, max=DURATION_MAX))


def set_item(item: AgendaItem, actor: User, *, duration: int | None = None, presenter_invited: bool | None = None) -> None:
    """Change an item's duration (the slots after it follow) or whether its owner is invited."""
    meeting = item.meeting
    _require_lead(actor, meeting.team_id)
    _require_editable(meeting)
    changes: dict[str, Any] = {}
    if duration is not None and duration != item.duration_minutes:
        _check_duration(duration)
        item.duration_minutes = duration
        changes["duration"] = duration
    if presenter_invited is not None and presenter_invited != item.presenter_invited:
        item.presenter_invited = presenter_invited
        changes["presenter_invited"] = presenter_invited
    if not changes:
        return
    reslot(meeting)
    _mark_changed(meeting)
    db.session.flush()
    _audit("meeting.update_item", meeting, actor, {"item": item.id, **changes})


def agenda_overrun(meeting: Meeting) -> int:
    """Minutes the agenda runs past the meeting's end (0 if it fits)."""
    if not meeting.items:
        return 0
    end = max(i.ends_at for i in meeting.items)
    return max(0, int((end - meeting.ends_at).total_seconds() // 60))


def publish_agenda(meeting: Meeting, actor: User) -> None:
    """Publish (or re-publish after a change): cases go to `scheduled`, the team and each
    invited case owner (with their slot) are notified, and calendars get a new SEQUENCE."""
    _require_lead(actor, meeting.team_id)
    if meeting.status not in (S.PLANNED, S.PUBLISHED):
        raise TransitionError(_("The agenda of this meeting can no longer be published."))
    republish = meeting.status == S.PUBLISHED
    if republish and meeting.agenda_changed_at is None:
        raise ServiceError(_("The agenda has not changed since it was published."))
    if not meeting.items:
        raise ServiceError(_("Put at least one case on the agenda before publishing it."))
    stale = [i.case.reference for i in meeting.items if i.case.status not in (CaseStatus.ACCEPTED, CaseStatus.SCHEDULED)]
    if stale:
        raise ServiceError(
            _("These cases are no longer waiting; take them off the agenda first: %(references)s.",
              references=", ".join(stale))
        )
    for item in meeting.items:
        case_services.schedule_case(item.case, actor, meeting_id=meeting.id)
    now = utcnow()
    if republish:
        _audit("meeting.republish", meeting, actor, {"cases": [i.case_id for i in meeting.items]})
    else:
        transition(meeting, S.PUBLISHED, actor, details={"cases": [i.case_id for i in meeting.items]})
        meeting.agenda_published_at = now
    meeting.agenda_changed_at = None
    meeting.sequence += 1
    base = local_strings(meeting)
    notify(
        [u for u in team_members(meeting.team_id, *TEAM_ROLES) if u.id != actor.id],
        "meeting.agenda_changed" if republish else "meeting.agenda_published",
        {**base, "count": len(meeting.items)},
        _link(meeting),
    )
    for item, owner in _invited_owners(meeting):
        notify(
            [owner],
            "meeting.presenting",
            {**local_strings(meeting, item.starts_at), "reference": item.case.reference,
             "minutes": item.duration_minutes},
            _link(meeting),
        )
    db.session.flush()


# --- attendance and quorum --------------------------------------------------------------------

def record_attendance(meeting: Meeting, actor: User, user_id: int, status: AttendanceStatus | str,
                      deputy_name: str = "") -> Attendance:
    _require_lead(actor, meeting.team_id)
    if meeting.status in (S.CANCELLED, S.CLOSED):
        raise TransitionError(_("Attendance of this meeting can no longer be changed."))
    try:
        status = AttendanceStatus(status)
    except ValueError:
        raise ServiceError(_("Unknown attendance status.")) from None
    member = db.session.get(User, user_id)
    if member is None or not member.has_role(meeting.team_id, *TEAM_ROLES):
        raise ServiceError(_("This person is not a member of the team."))
    deputy_name = (deputy_name or "").strip()
    if status == AttendanceStatus.DEPUTY and not deputy_name:
        raise ServiceError(_("Name the deputy."))
    if len(deputy_name) > 120:
        raise ServiceError(_("The deputy's name is too long."))
    if status != AttendanceStatus.DEPUTY:
        deputy_name = ""
    row = next((a for a in meeting.attendances if a.user_id == user_id), None)
    if row is None:
        row = Attendance(user_id=user_id, status=status, deputy_name=deputy_name, recorded_by_id=actor.id)
        meeting.attendances.append(row)
    else:
        row.status, row.deputy_name, row.recorded_by_id = status, deputy_name, actor.id
    db.session.flush()
    _audit("meeting.attendance", meeting, actor, {"user": user_id, "status": status.value})
    return row


@dataclass
class QuorumStatus:
    required: int
    present: int
    """Experts present or represented by a deputy."""
    missing_domains: list[Domain] = field(default_factory=list)
    """Team domains that no present (or represented) expert covers."""

    @property
    def met(self) -> bool:
        return self.present >= self.required


def team_experts(team_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.team_id == team_id, Membership.role == Role.EXPERT,
                   Membership.active.is_(True), User.active.is_(True))
            .order_by(Membership.domain, User.name)
            .options(sa.orm.contains_eager(Membership.user))
        )
    )


def quorum_status(meeting: Meeting) -> QuorumStatus:
    counting = {a.user_id for a in meeting.attendances if a.status in (AttendanceStatus.PRESENT, AttendanceStatus.DEPUTY)}
    experts = team_experts(meeting.team_id)
    present_users = {m.user_id for m in experts if m.user_id in counting}
    covered = {m.domain for m in experts if m.user_id in counting}
    missing = [d for d in meeting.team.domain_values if d not in covered]
    return QuorumStatus(required=meeting.team.quorum, present=len(present_users), missing_domains=missing)


# --- the live session -------------------------------------------------------------------------

def save_notes(item: AgendaItem, actor: User, text: str, expected_version: int) -> AgendaItem:
    """Save an item's notes if nobody saved since ``expected_version``; otherwise refuse with the
    current text (nothing is overwritten). Atomic: one conditional UPDATE."""
    meeting = item.meeting
    _require_lead(actor, meeting.team_id)
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
    _audit("meeting.notes", meeting, actor, {"item": item.id, "version": item.notes_version})
    return item


def _require_session(item: AgendaItem, actor: User, now: datetime) -> Meeting:
    meeting = item.meeting
    _require_lead(actor, meeting.team_id)
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
    _audit("meeting.item_outcome", item.meeting, actor, {"item": item.id, "case": item.case_id, "outcome": outcome.value})


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
    _back_to_queue(item.case, actor, meeting, "postponed")
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
    _require_lead(actor, meeting.team_id)
    if meeting.status not in (S.PUBLISHED, S.HELD):
        raise TransitionError(_("Only a running session can be ended."))
    if now < meeting.starts_at - MAY_START_EARLY:
        raise TransitionError(_("The session has not started yet."))
    for item in meeting.open_items:
        postpone_item(item, actor, now)
    _start_session(meeting, actor, now)
    if not meeting.minutes_text:
        compile_minutes(meeting, actor)
    _audit("meeting.end_session", meeting, actor)


# --- minutes ----------------------------------------------------------------------------------

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
    lines += ["", _("Quorum: %(present)d of %(required)d experts present (%(verdict)s).",
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
    _require_lead(actor, meeting.team_id)
    if meeting.status != S.HELD:
        raise TransitionError(_("Minutes are compiled after the session and before they are closed."))
    meeting.minutes_text = _minutes_markdown(meeting)
    meeting.minutes_version += 1
    db.session.flush()
    _audit("meeting.compile_minutes", meeting, actor, {"version": meeting.minutes_version})


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
    _audit("meeting.update_minutes", meeting, actor, {"version": meeting.minutes_version})


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


# --- reminders --------------------------------------------------------------------------------

def send_reminder(meeting: Meeting) -> None:
    """The day-before reminder to the team and the invited case owners (the job claims it once)."""
    base = local_strings(meeting)
    notify(team_members(meeting.team_id, *TEAM_ROLES), "meeting.reminder", base, _link(meeting))
    for item, owner in _invited_owners(meeting):
        notify([owner], "meeting.reminder_presenter",
               {**local_strings(meeting, item.starts_at), "team": meeting.team.name, "reference": item.case.reference},
               _link(meeting))
    _audit("meeting.remind", meeting, None)
