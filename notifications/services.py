"""The one call other packages make to tell people something, and the small state changes on
notifications (read, retry) that views and jobs share."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from core.clock import replaying, utcnow
from core.db import db
from core.models import NotificationPreference, User

from .kinds import registered as registered_kinds
from .models import EmailStatus, Notification


def email_status_for(user: User, kind: str) -> EmailStatus:
    """How a new notification of ``kind`` reaches ``user`` by e-mail."""
    if registered_kinds()[kind].always_email:
        return EmailStatus.PENDING
    preference = user.notification_preference or NotificationPreference.IMMEDIATE
    if preference == NotificationPreference.DIGEST:
        return EmailStatus.DIGEST
    if preference == NotificationPreference.IN_APP:
        return EmailStatus.NONE
    return EmailStatus.PENDING


def notify(recipients: Iterable[User | None], kind: str, context: dict[str, Any], link: str = "") -> list[Notification]:
    """Queue one notification per recipient in the caller's transaction (an outbox).

    ``kind`` is a key registered in ``notifications.kinds``; ``context`` fills its texts (a case
    reference, a date: never household details) and must be JSON-serialisable; ``link`` is a
    path inside the app (``/cases/12``). Inactive users, ``None`` and duplicates are skipped.

    Nothing is sent here: the rows are flushed with the caller's change. If the caller rolls
    back, nothing is sent; once it commits, the sender job picks them up and cannot lose them.
    """
    rows = [Notification(**values) for values in _rows([(recipients, kind, context, link)])]
    db.session.add_all(rows)
    db.session.flush()
    return rows


#: One message of ``notify_many``: (recipients, kind, context, link), the arguments of ``notify``.
Message = tuple[Iterable["User | None"], str, dict[str, Any], str]


def notify_many(messages: Iterable[Message]) -> int:
    """Queue many messages at once, each exactly as ``notify`` queues it (the same checks, each
    person's own preference; inactive users, ``None`` and duplicates within one message are
    skipped), in the caller's transaction with one bulk INSERT: the timed jobs tell hundreds of
    people in one statement. Checks every message before writing any row; returns the number of
    rows queued."""
    rows = _rows(messages)
    if rows:
        db.session.flush()  # the caller's pending changes first, as notify's flush keeps them
        db.session.execute(sa.insert(Notification.__table__), rows)  # one executemany: every row has the same keys
    return len(rows)


def _rows(messages: Iterable[Message]) -> list[dict[str, Any]]:
    """The notification rows of ``messages`` (column values), after checking every message."""
    kinds = registered_kinds()
    messages = list(messages)
    for _recipients, kind, _context, link in messages:
        if kind not in kinds:
            raise KeyError(f"unknown notification kind {kind!r}")
        if link and (not link.startswith("/") or link.startswith("//")):
            raise ValueError("a notification link is a path inside the app, e.g. /cases/12")
    now = utcnow()
    # History (the clock replaying the past, as the demo does) is kept, read, and never e-mailed:
    # the first sender run must not announce a meeting of months ago as news.
    history = replaying()
    rows = []
    for recipients, kind, context, link in messages:
        seen: set[int] = set()
        for user in recipients:
            if user is None or user.id in seen or not user.active:
                continue
            seen.add(user.id)
            status = EmailStatus.NONE if history else email_status_for(user, kind)
            rows.append({
                "user_id": user.id,
                "kind": kind,
                "context": dict(context),
                "link": link,
                "created_at": now,
                "email_status": status,
                "email_next_attempt_at": now if status == EmailStatus.PENDING else None,
                "read_at": now if history else None,
            })
    return rows


def unread_count_column(user_id):
    """The same number as a scalar subquery on a user id column, read with the signed-in user
    (``core.web.register_user_figure``)."""
    return (sa.select(sa.func.count(Notification.id))
            .where(Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery())


def unread_count(user: User) -> int:
    """The number on the bell: one COUNT on an indexed (user_id, read_at)."""
    return db.session.scalar(sa.select(unread_count_column(user.id))) or 0


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def retry_failed(notification_ids: Iterable[int] | None = None) -> int:
    """Put failed e-mails back in the outbox with a fresh set of attempts (an administrator's
    decision, e.g. after fixing the mail settings). ``None`` retries every failed e-mail."""
    stmt = (
        sa.update(Notification)
        .where(Notification.email_status == EmailStatus.FAILED)
        .values(
            email_status=EmailStatus.PENDING,
            email_attempts=0,
            email_next_attempt_at=utcnow(),
            email_claimed_by=None,
            email_claimed_at=None,
            email_attempt_started_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(list(notification_ids)))
    return db.session.execute(stmt).rowcount or 0


def apply_preference(user: User) -> int:
    """After a change of preference, move the user's waiting e-mails to the new way.

    Unclaimed immediate or digest e-mails follow the choice; kinds that always e-mail stay
    pending. Returns how many rows moved.
    """
    always = [k for k, kind in registered_kinds().items() if kind.always_email]
    waiting = sa.and_(
        Notification.user_id == user.id,
        Notification.email_claimed_by.is_(None),
        Notification.email_status.in_([EmailStatus.PENDING, EmailStatus.DIGEST]),
        Notification.kind.not_in(always) if always else sa.true(),
    )
    target = {
        NotificationPreference.IMMEDIATE: EmailStatus.PENDING,
        NotificationPreference.DIGEST: EmailStatus.DIGEST,
        NotificationPreference.IN_APP: EmailStatus.NONE,
    }[user.notification_preference]
    values: dict[str, Any] = {"email_status": target}
    if target == EmailStatus.PENDING:
        values["email_next_attempt_at"] = utcnow()
    return db.session.execute(
        sa.update(Notification).where(waiting, Notification.email_status != target).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount or 0
