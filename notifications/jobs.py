"""Timed work of the notifications package: the e-mail sender, the daily digest and cleanup.

Delivery guarantees (read before changing anything here):

* Rows are claimed atomically: one UPDATE that takes only rows still 'pending' (on PostgreSQL
  the candidate rows are also locked with FOR UPDATE SKIP LOCKED, so concurrent senders do not
  even wait for each other). Two sender runs at once therefore never take the same row.
* Just before the SMTP conversation for a row, the run re-checks that it still holds the claim
  and commits ``email_attempt_started_at``; the outcome is committed right after. So at most one
  message's fate is open at any moment of a run.
* A claim older than MAIL_STALE_AFTER belongs to a sender that died (SMTP timeouts keep a live
  one far below that). Rows it never handed to SMTP go back to the queue. A row it had handed to
  SMTP may or may not have arrived: it is marked FAILED ("delivery unknown") for an
  administrator to retry, not resent automatically. This is a conscious choice of *at most
  once* over *at least once* for that one crash window: a duplicate about a vulnerable
  household's case is worse than a message an administrator can see and resend. Nothing is
  lost silently: every row ends SENT, or FAILED and listed on the administrator's jobs page.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from core.clock import utcnow
from core.db import db
from core.jobs import JobRun
from core.models import User

from . import mail
from .models import EmailStatus, Notification, NotificationDigest

log = logging.getLogger(__name__)

N = Notification

#: Defaults of the settings this module reads from the Flask config.
DEFAULTS = {
    "MAIL_MAX_ATTEMPTS": 5,
    #: Seconds to wait after the 1st, 2nd … failed attempt (the last value repeats).
    "MAIL_RETRY_DELAYS": (60, 300, 1500, 7500),
    "MAIL_BATCH_SIZE": 50,
    #: A claim older than this (seconds) belongs to a sender that died.
    "MAIL_STALE_AFTER": 900,
    #: Local hour from which the daily digest goes out.
    "NOTIFICATIONS_DIGEST_HOUR": 7,
    "SCHEDULER_TIMEZONE": "Europe/Amsterdam",
    #: Job runs and digest records older than this many days are removed.
    "JOB_RUN_RETENTION_DAYS": 30,
}

UNKNOWN_DELIVERY = "Sender stopped during delivery; the message may or may not have arrived."


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1-based)."""
    delays = tuple(setting("MAIL_RETRY_DELAYS")) or (60,)
    return timedelta(seconds=delays[min(attempts, len(delays)) - 1])


# --- stale claims ------------------------------------------------------------------------------

def release_stale(now: datetime) -> tuple[int, int]:
    """Recover rows whose sender died: (released to the queue, marked delivery unknown)."""
    db.session.commit()
    cutoff = now - timedelta(seconds=setting("MAIL_STALE_AFTER"))
    stale = sa.and_(N.email_claimed_by.is_not(None), N.email_claimed_at < cutoff)
    not_started = N.email_attempt_started_at.is_(None)
    released = 0
    # Claimed immediate e-mails go back to 'pending', claimed digest rows stay 'digest'.
    for status, back_to in ((EmailStatus.SENDING, EmailStatus.PENDING), (EmailStatus.DIGEST, EmailStatus.DIGEST)):
        released += db.session.execute(
            sa.update(N)
            .where(stale, not_started, N.email_status == status)
            .values(email_status=back_to, email_claimed_by=None, email_claimed_at=None)
            .execution_options(synchronize_session=False)
        ).rowcount or 0
    # The claim token stays: should the slow sender still be alive, its own outcome update
    # (which requires the token) wins, so a delivered message ends SENT, not FAILED.
    unknown = db.session.execute(
        sa.update(N)
        .where(stale, ~not_started, N.email_status.in_([EmailStatus.SENDING, EmailStatus.DIGEST]))
        .values(
            email_status=EmailStatus.FAILED,
            email_attempts=N.email_attempts + 1,
            email_last_error=UNKNOWN_DELIVERY,
            email_next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if unknown:
        log.warning("%d e-mail(s) interrupted during delivery; marked failed for an administrator", unknown)
    return released, unknown or 0


# --- immediate e-mails -------------------------------------------------------------------------

def claim_pending(now: datetime, token: str, limit: int) -> int:
    """Atomically take up to ``limit`` due rows for this run; returns how many it took."""
    db.session.commit()  # start the claim in a fresh transaction (SQLite: no stale snapshot)
    due = (
        sa.select(N.id)
        .where(
            N.email_status == EmailStatus.PENDING,
            sa.or_(N.email_next_attempt_at.is_(None), N.email_next_attempt_at <= now),
        )
        .order_by(N.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Lock the candidates, skipping rows another run holds, and materialise the CTE: a
        # plain IN (subquery ... LIMIT) may be re-evaluated while the UPDATE runs and then
        # take more than ``limit`` rows.
        due = sa.select(due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED").c.id)
    # On SQLite the one UPDATE statement runs under the database's write lock, and the IN
    # list is computed once (a CTE there would also hide the rowcount from the driver).
    taken = db.session.execute(
        sa.update(N)
        # Re-checking the status makes the claim safe on any database and isolation level:
        # a row another run claimed meanwhile no longer matches.
        .where(N.id.in_(due), N.email_status == EmailStatus.PENDING)
        .values(email_status=EmailStatus.SENDING, email_claimed_by=token, email_claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return taken or 0


def _start_attempt(ids: list[int], token: str, now: datetime) -> bool:
    """Record that these claimed rows go to SMTP now; False if the claim was lost meanwhile."""
    started = db.session.execute(
        sa.update(N)
        .where(N.id.in_(ids), N.email_claimed_by == token, N.email_attempt_started_at.is_(None),
               N.email_status.in_([EmailStatus.SENDING, EmailStatus.DIGEST]))
        .values(email_attempt_started_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if started != len(ids):
        db.session.rollback()
        return False
    db.session.commit()
    return True


def _record_success(ids: list[int], token: str) -> None:
    db.session.execute(
        sa.update(N)
        .where(N.id.in_(ids), N.email_claimed_by == token)
        .values(
            email_status=EmailStatus.SENT,
            email_sent_at=utcnow(),
            email_attempts=N.email_attempts + 1,
            email_claimed_by=None,
            email_claimed_at=None,
            email_attempt_started_at=None,
            email_next_attempt_at=None,
            email_last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _record_failure(rows: list[Notification], token: str, now: datetime, error: str, retry_status: EmailStatus) -> int:
    """Count a failed attempt on each row; returns how many gave up (FAILED)."""
    max_attempts = setting("MAIL_MAX_ATTEMPTS")
    gave_up = 0
    for n in rows:
        attempts = n.email_attempts + 1
        final = attempts >= max_attempts
        gave_up += final
        db.session.execute(
            sa.update(N)
            .where(N.id == n.id, N.email_claimed_by == token)
            .values(
                email_status=EmailStatus.FAILED if final else retry_status,
                email_attempts=attempts,
                email_last_error=error,
                email_next_attempt_at=None if final else now + retry_delay(attempts),
                email_claimed_by=None,
                email_claimed_at=None,
                email_attempt_started_at=None,
            )
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return gave_up


@dataclass(frozen=True)
class Delivery:
    """What one e-mail run did."""

    sent: int
    retried: int
    failed: int
    summary: str


def send_pending(now: datetime) -> str:
    """Send due e-mails of the outbox, each at most once, with retries and backoff; a summary."""
    return deliver_pending(now).summary


def deliver_pending(now: datetime) -> Delivery:
    """Send due e-mails of the outbox, each at most once, with retries and backoff."""
    released, unknown = release_stale(now)
    token = uuid.uuid4().hex
    claimed = claim_pending(now, token, setting("MAIL_BATCH_SIZE"))
    sent = retried = failed = 0
    if claimed:
        ids = db.session.scalars(sa.select(N.id).where(N.email_claimed_by == token).order_by(N.id)).all()
        with mail.Mailer(current_app.config) as mailer:
            for nid in ids:
                n = db.session.execute(
                    sa.select(N).where(N.id == nid).options(joinedload(N.user))
                    .execution_options(populate_existing=True)
                ).scalar_one()
                try:
                    msg = mail.build_message(n)
                except Exception as error:  # noqa: BLE001 - a rendering bug fails this message only
                    log.exception("could not build e-mail for notification %s", nid)
                    gave_up = _record_failure([n], token, now, mail.describe_error(error), EmailStatus.PENDING)
                    failed += gave_up
                    retried += 1 - gave_up
                    continue
                if not _start_attempt([nid], token, now):
                    continue  # released by a recovery run meanwhile; another run will send it
                try:
                    mailer.send(msg)
                except Exception as error:  # noqa: BLE001 - any SMTP or network failure
                    log.warning("e-mail for notification %s failed: %s", nid, error)
                    gave_up = _record_failure([n], token, now, mail.describe_error(error), EmailStatus.PENDING)
                    failed += gave_up
                    retried += 1 - gave_up
                else:
                    _record_success([nid], token)
                    sent += 1
    parts = [f"sent {sent}", f"to retry {retried}", f"failed {failed}"]
    if released or unknown:
        parts.append(f"recovered {released}, delivery unknown {unknown}")
    return Delivery(sent, retried, failed, ", ".join(parts))


class DeliveryFailed(RuntimeError):
    """The e-mail run delivered nothing while messages were due, or a message gave up."""


def send_pending_job(now: datetime) -> str:
    """The scheduler's job: ``send_pending``, failing the run when every attempt failed (the mail
    server is down?) or a message gave up for good, so ``scheduler --once`` exits non-zero for
    cron to alert. Each message's state is already committed: the ones to retry are kept for the
    next run."""
    run = deliver_pending(now)
    if run.failed or (run.retried and not run.sent):
        raise DeliveryFailed(run.summary)
    return run.summary


# --- daily digest ------------------------------------------------------------------------------

def local_day(now: datetime):
    local = now.astimezone(ZoneInfo(setting("SCHEDULER_TIMEZONE")))
    return local, local.date()


def send_digest(now: datetime) -> str:
    """From the digest hour on, send each user with waiting digest messages one e-mail a day.

    Idempotent: the (user, day) digest record is taken before sending, so a second run the same
    day (or a concurrent one) sends nothing more. A failed digest releases its record and its
    messages wait for the next run after the backoff.
    """
    local, day = local_day(now)
    if local.hour < setting("NOTIFICATIONS_DIGEST_HOUR"):
        return f"before the digest hour ({setting('NOTIFICATIONS_DIGEST_HOUR')}:00)"
    release_stale(now)
    waiting = sa.and_(
        N.email_status == EmailStatus.DIGEST,
        N.email_claimed_by.is_(None),
        sa.or_(N.email_next_attempt_at.is_(None), N.email_next_attempt_at <= now),
        N.created_at <= now,
    )
    done_today = sa.select(NotificationDigest.id).where(
        NotificationDigest.user_id == N.user_id, NotificationDigest.day == day
    )
    user_ids = db.session.scalars(
        sa.select(N.user_id).where(waiting, ~done_today.exists()).distinct().order_by(N.user_id)
    ).all()
    db.session.commit()
    token = uuid.uuid4().hex
    sent = failed = 0
    with mail.Mailer(current_app.config) as mailer:
        for user_id in user_ids:
            digest = NotificationDigest(user_id=user_id, day=day, started_at=now)
            db.session.add(digest)
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()  # another run has this user's digest for today
                continue
            db.session.execute(
                sa.update(N)
                .where(waiting, N.user_id == user_id)
                .values(email_claimed_by=token, email_claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            rows = db.session.scalars(
                sa.select(N).where(N.user_id == user_id, N.email_claimed_by == token)
                .order_by(N.created_at, N.id).execution_options(populate_existing=True)
            ).all()
            if not rows:
                db.session.delete(digest)
                db.session.commit()
                continue
            ids = [n.id for n in rows]
            user = db.session.get(User, user_id)
            try:
                msg = mail.build_digest(user, rows, day)
                if not _start_attempt(ids, token, now):
                    raise RuntimeError("digest claim lost")
                mailer.send(msg)
            except Exception as error:  # noqa: BLE001 - any rendering, SMTP or network failure
                log.warning("digest for user %s failed: %s", user_id, error)
                _record_failure(rows, token, now, mail.describe_error(error), EmailStatus.DIGEST)
                failed += 1
                db.session.execute(sa.delete(NotificationDigest).where(NotificationDigest.id == digest.id))
                db.session.commit()
                continue
            _record_success(ids, token)
            db.session.execute(
                sa.update(NotificationDigest).where(NotificationDigest.id == digest.id)
                .values(sent_at=utcnow(), count=len(ids))
            )
            db.session.commit()
            sent += 1
    return f"digests sent {sent}, failed {failed}"


# --- housekeeping ------------------------------------------------------------------------------

def cleanup(now: datetime) -> str:
    """Forget job runs and digest records past the retention period (never notifications)."""
    cutoff = now - timedelta(days=setting("JOB_RUN_RETENTION_DAYS"))
    runs = db.session.execute(sa.delete(JobRun).where(JobRun.started_at < cutoff)).rowcount
    digests = db.session.execute(
        sa.delete(NotificationDigest).where(NotificationDigest.started_at < cutoff - timedelta(days=2))
    ).rowcount
    db.session.commit()
    return f"removed {runs} job runs, {digests} digest records"
