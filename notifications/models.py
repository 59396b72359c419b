"""Notification rows (the in-app inbox and the e-mail outbox in one table), the daily digest
log."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import db, enum_column
from core.models import User


class EmailStatus(enum.StrEnum):
    NONE = "none"          # in-app only
    PENDING = "pending"    # waiting for the sender job
    DIGEST = "digest"      # waiting for the daily digest
    SENDING = "sending"    # claimed by one sender run
    SENT = "sent"
    FAILED = "failed"      # gave up after the last retry, or delivery unknown; see email_last_error


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # The bell and the inbox's two counts: an index-only scan of one user's rows.
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
        # The inbox's read history, newest first (keyset over (created_at, id)).
        sa.Index("ix_notifications_user_created", "user_id", "created_at", "id"),
        # The unread messages, newest first: only the unread are in it, so it stays small.
        sa.Index("ix_notifications_user_unread", "user_id", "created_at", "id",
                 postgresql_where=sa.text("read_at IS NULL"), sqlite_where=sa.text("read_at IS NULL")),
        sa.Index("ix_notifications_email_status", "email_status", "email_next_attempt_at"),
        sa.Index("ix_notifications_email_claimed_by", "email_claimed_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    """Key of a registered kind (``notifications.kinds``); the text is rendered in the reader's language."""
    context: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    """Values for the kind's texts: a case reference, a date; never household details."""
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    """Path inside the app (e.g. /cases/12), made absolute with APP_BASE_URL in e-mails."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[Optional[datetime]]

    email_status: Mapped[EmailStatus] = mapped_column(enum_column(EmailStatus), default=EmailStatus.NONE)
    email_attempts: Mapped[int] = mapped_column(default=0)
    """Delivery attempts made so far (successful or not)."""
    email_next_attempt_at: Mapped[Optional[datetime]]
    """Not before this time (retry backoff); NULL means as soon as possible."""
    email_claimed_by: Mapped[Optional[str]] = mapped_column(sa.String(64))
    """Token of the sender run that claimed the row (atomic claim); NULL when not claimed."""
    email_claimed_at: Mapped[Optional[datetime]]
    """When that run claimed it; a claim older than MAIL_STALE_AFTER belongs to a dead sender."""
    email_attempt_started_at: Mapped[Optional[datetime]]
    """Set (and committed) just before the SMTP conversation starts, cleared when its outcome is
    recorded. A stale claim with this set may or may not have been delivered, so it is never
    retried automatically (at most once); without it, the message never reached SMTP and is
    safely released."""
    email_sent_at: Mapped[Optional[datetime]]
    email_last_error: Mapped[Optional[str]] = mapped_column(sa.String(500))
    """Why the last attempt failed (exception class and server reply; never credentials)."""

    user: Mapped[User] = relationship()


class NotificationDigest(db.Model):
    """One daily digest e-mail of one user. The unique (user, day) row is taken before sending,
    so two digest runs on the same day never both send; it is removed again if sending fails,
    so a later run may retry."""

    __tablename__ = "notification_digests"
    __table_args__ = (sa.UniqueConstraint("user_id", "day", name="uq_notification_digests_user_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date]
    """The local (team time zone) date the digest belongs to."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]]
    count: Mapped[int] = mapped_column(default=0)
    """How many notifications the e-mail listed."""
