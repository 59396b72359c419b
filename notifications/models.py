"""Notification rows: the in-app inbox and the e-mail outbox in one table."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expertteam.extensions import db, utcnow
from expertteam.models import User, enum_column


class EmailStatus(enum.StrEnum):
    NONE = "none"          # in-app only
    PENDING = "pending"    # waiting for the sender job
    DIGEST = "digest"      # waiting for the daily digest
    SENDING = "sending"    # claimed by one sender run
    SENT = "sent"
    FAILED = "failed"      # gave up after the last retry


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
        sa.Index("ix_notifications_email_status", "email_status", "email_next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    """Key into notifications.kinds.KINDS; the text is rendered in the reader's language."""
    context: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    """Values for the kind's texts: a case reference, a date; never household details."""
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    """Path inside the app (e.g. /cases/12), made absolute with APP_BASE_URL in e-mails."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[Optional[datetime]]

    email_status: Mapped[EmailStatus] = mapped_column(enum_column(EmailStatus), default=EmailStatus.NONE)
    email_attempts: Mapped[int] = mapped_column(default=0)
    email_next_attempt_at: Mapped[Optional[datetime]]
    email_claimed_by: Mapped[Optional[str]] = mapped_column(sa.String(64))
    """Token of the sender run that claimed the row (atomic claim)."""
    email_sent_at: Mapped[Optional[datetime]]
    email_last_error: Mapped[Optional[str]] = mapped_column(sa.String(500))

    user: Mapped[User] = relationship()
