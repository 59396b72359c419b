"""The hard cases: a case put on hold (the client does not cooperate, or there is no contact),
and the request to committed organisations to signal when a client who dropped off the radar
turns up.

A hold does **not** change the case's lifecycle state (``Case.status``): a case on hold is still
e.g. ``accepted`` or ``in_execution``; the hold is a marker beside it, shown as a badge, with a
date to try again. The owner is reminded on that date (job ``casefiles.hold_reminders``) and
held cases are listed in the back-on-the-table part of the team's next meeting. The meeting queue is not
filtered: the chair decides whether a held case is scheduled (it carries the badge there).
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casefiles.models import Case
from core.clock import utcnow
from core.db import db, enum_column
from core.models import Organisation, User

NOTE_MAX = 2_000


class HoldReason(enum.StrEnum):
    NOT_COOPERATING = "not_cooperating"
    NO_CONTACT = "no_contact"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(HOLD_REASON_LABELS[self])


HOLD_REASON_LABELS = {
    HoldReason.NOT_COOPERATING: _l("The client does not cooperate"),
    HoldReason.NO_CONTACT: _l("No contact with the client"),
    HoldReason.OTHER: _l("Other reason"),
}


class CaseHold(db.Model):
    """A period in which the case is on hold. At most one open hold per case (``ended_at`` NULL)."""

    __tablename__ = "case_holds"
    __table_args__ = (sa.Index("ix_case_holds_retry", "ended_at", "retry_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reason: Mapped[HoldReason] = mapped_column(enum_column(HoldReason))
    note: Mapped[str] = mapped_column(sa.String(NOTE_MAX), default="")
    """What happened (no more household detail than needed)."""
    retry_on: Mapped[date]
    """The date to try again; the owner is reminded on it."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    ended_at: Mapped[Optional[datetime]]
    """When the case was resumed; NULL while on hold."""
    ended_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    reminded_at: Mapped[Optional[datetime]]
    """When the owner was reminded of ``retry_on`` (once per date: cleared when the date changes)."""

    case: Mapped[Case] = relationship()
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id])

    @property
    def active(self) -> bool:
        return self.ended_at is None


class ContactSignalRequest(db.Model):
    """'Lost contact': the owner asks a committed organisation to signal when the client turns up.

    Its contacts see only the reference, the pseudonym and whom to call. Ends when the owner
    resumes the case."""

    __tablename__ = "case_signal_requests"
    __table_args__ = (sa.Index("ix_case_signal_requests_org_open", "organisation_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    whom_to_call: Mapped[str] = mapped_column(sa.String(300))
    """Who to call when the client is seen (name and phone of the owner or a colleague)."""
    last_contact_on: Mapped[date]
    """The last time the owner had contact with the client."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    ended_at: Mapped[Optional[datetime]]
    """When the request ended (the owner resumed the case); NULL while open."""

    case: Mapped[Case] = relationship()
    organisation: Mapped[Organisation] = relationship()
    signals: Mapped[list["Signal"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Signal.seen_at"
    )

    @property
    def active(self) -> bool:
        return self.ended_at is None


class Signal(db.Model):
    """A contact of the organisation reports the client was seen."""

    __tablename__ = "case_signals"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("case_signal_requests.id", ondelete="CASCADE"), index=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(sa.String(NOTE_MAX), default="")
    """Where and how (briefly)."""
    reported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    request: Mapped[ContactSignalRequest] = relationship(back_populates="signals")
    reported_by: Mapped[User] = relationship()
