"""The weekly meeting: sessions, agenda items, attendance, minutes and calendar feeds."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casefiles.models import Case
from core.clock import utcnow
from core.db import db, enum_column
from core.models import Team, User


class MeetingStatus(enum.StrEnum):
    PLANNED = "planned"
    """In the calendar; the agenda is being prepared."""
    PUBLISHED = "published"
    """The agenda is published; cases on it are scheduled."""
    HELD = "held"
    """The session has started or taken place; minutes are being written."""
    CANCELLED = "cancelled"
    CLOSED = "closed"
    """Minutes closed; nothing changes any more."""

    @property
    def label(self) -> str:
        return str(MEETING_STATUS_LABELS[self])


MEETING_STATUS_LABELS = {
    MeetingStatus.PLANNED: _l("Planned"),
    MeetingStatus.PUBLISHED: _l("Agenda published"),
    MeetingStatus.HELD: _l("Held"),
    MeetingStatus.CANCELLED: _l("Cancelled"),
    MeetingStatus.CLOSED: _l("Minutes closed"),
}

#: Meetings whose agenda may still change and whose cases count as "on an agenda".
OPEN_STATUSES = frozenset({MeetingStatus.PLANNED, MeetingStatus.PUBLISHED})


class MeetingKind(enum.StrEnum):
    REGULAR = "regular"
    """Created by the scheduler from the team's weekly rule."""
    EXTRA = "extra"
    """Added by the chair or secretary."""

    @property
    def label(self) -> str:
        return str(_l("Extra meeting") if self is MeetingKind.EXTRA else _l("Regular meeting"))


class Outcome(enum.StrEnum):
    DISCUSSED = "discussed"
    POSTPONED = "postponed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])


OUTCOME_LABELS = {
    Outcome.DISCUSSED: _l("Discussed"),
    Outcome.POSTPONED: _l("Postponed"),
    Outcome.WITHDRAWN: _l("Withdrawn"),
}


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    DEPUTY = "deputy"
    """Absent, but represented by a named deputy (who counts for the quorum)."""

    @property
    def label(self) -> str:
        return str(ATTENDANCE_LABELS[self])


ATTENDANCE_LABELS = {
    AttendanceStatus.PRESENT: _l("Present"),
    AttendanceStatus.ABSENT: _l("Absent"),
    AttendanceStatus.DEPUTY: _l("Represented by a deputy"),
}


class Meeting(db.Model):
    """One session of a team's expert meeting."""

    __tablename__ = "meetings"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "starts_at", name="uq_meetings_team_starts_at"),
        sa.UniqueConstraint("team_id", "slot_at", name="uq_meetings_team_slot_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_meetings_status_cutoff", "status", "cutoff_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind), default=MeetingKind.REGULAR)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    slot_at: Mapped[datetime]
    """The weekly-rule slot this meeting fills: its original start. It stays when the meeting is
    moved, so the scheduler does not create the slot again (unique per team)."""
    cutoff_at: Mapped[datetime]
    """Agenda cut-off (default Friday 12:00 local time before the meeting); the agenda is
    proposed from the queue once it has passed."""
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    """Room or video link."""
    status: Mapped[MeetingStatus] = mapped_column(enum_column(MeetingStatus), default=MeetingStatus.PLANNED)
    cancel_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    sequence: Mapped[int] = mapped_column(default=0)
    """iCalendar SEQUENCE: raised on every change calendar clients should pick up."""
    agenda_proposed_at: Mapped[Optional[datetime]]
    """When the agenda was proposed from the queue (by the cut-off job or by hand); the job
    proposes only once."""
    agenda_published_at: Mapped[Optional[datetime]]
    """First publication of the agenda."""
    agenda_changed_at: Mapped[Optional[datetime]]
    """Set when the agenda changes after publication; cleared by the (notified) re-publish."""
    reminded_at: Mapped[Optional[datetime]]
    """When the day-before reminder went out (the job sends it once)."""
    held_at: Mapped[Optional[datetime]]
    """When the session started (the first item was decided or the session was ended)."""
    minutes_text: Mapped[str] = mapped_column(sa.Text, default="")
    """The minutes (markdown), compiled from the items and edited by the secretary."""
    minutes_version: Mapped[int] = mapped_column(default=0)
    """Optimistic-locking counter of the minutes: a stale edit is refused."""
    minutes_closed_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    team: Mapped[Team] = relationship()
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    attendances: Mapped[list["Attendance"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def open_items(self) -> list["AgendaItem"]:
        return [i for i in self.items if i.outcome is None]

    @property
    def current_item(self) -> Optional["AgendaItem"]:
        """The first item without an outcome: the one being discussed."""
        return next(iter(self.open_items), None)

    def __repr__(self) -> str:
        return f"<Meeting {self.id} team={self.team_id} {self.starts_at:%Y-%m-%d %H:%M}Z {self.status}>"


class AgendaItem(db.Model):
    """A case on a meeting's agenda, with its time slot, notes and outcome."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "case_id", name="uq_agenda_items_meeting_case"),
        sa.CheckConstraint("duration_minutes > 0", name="positive_duration"),
        # The pilot figures (reports.figures): the items marked discussed in a period, by when.
        sa.Index("ix_agenda_items_discussed", "outcome_at", "meeting_id", "case_id",
                 postgresql_where=sa.text("outcome = 'discussed'"), sqlite_where=sa.text("outcome = 'discussed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    position: Mapped[int]
    """1-based order on the agenda."""
    starts_at: Mapped[datetime]
    """Start of the item's time slot: the meeting start plus the durations of the items before."""
    duration_minutes: Mapped[int]
    presenter_invited: Mapped[bool] = mapped_column(default=True)
    """The case owner is invited to present this item (and only this item)."""
    outcome: Mapped[Optional[Outcome]] = mapped_column(enum_column(Outcome))
    """Set during the session; NULL while the item is still open."""
    outcome_at: Mapped[Optional[datetime]]
    outcome_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    """Notes taken during the session (markdown)."""
    notes_version: Mapped[int] = mapped_column(default=0)
    """Raised on every notes save; a save based on an older version is refused."""
    notes_updated_at: Mapped[Optional[datetime]]
    notes_updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    case: Mapped[Case] = relationship()
    notes_updated_by: Mapped[Optional[User]] = relationship(foreign_keys=[notes_updated_by_id])

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} meeting={self.meeting_id} case={self.case_id} #{self.position}>"


class Attendance(db.Model):
    """Whether one team member attends one meeting."""

    __tablename__ = "meeting_attendances"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_attendances_meeting_user"),
        sa.CheckConstraint("(status <> 'deputy') OR (deputy_name <> '')", name="deputy_has_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus))
    deputy_name: Mapped[str] = mapped_column(sa.String(120), default="")
    """Name of the person standing in (deputy only)."""
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="attendances")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CalendarFeed(db.Model):
    """A user's private iCalendar feed. The token in the URL is the only key; only its SHA-256
    is stored (someone who reads the database cannot subscribe as the user), so the address is
    shown once, when it is made; renewing it makes the old URL stop working."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    """SHA-256 (hex) of the long random URL-safe token (secrets.token_urlsafe(32)) in the URL."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    renewed_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()
