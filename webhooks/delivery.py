"""The delivery job (scheduler process only): claim due deliveries under a lease, POST the
signed CloudEvent, record the outcome; retry with backoff; disable an endpoint after a run of
failures and tell the administrators.

Two scheduler processes may run it at the same time: a row is claimed by one UPDATE that
re-checks its status (PostgreSQL: candidates locked with SKIP LOCKED; SQLite: the database's
write lock), so each run sends only rows it holds. A run that dies leaves its rows leased; once
the lease ends another run takes them over (at least once: the receiver deduplicates on
``webhook-id``).
"""
from __future__ import annotations

import http.client
import logging
import ssl
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from core import audit
from core.db import db
from core.models import User
from notifications.services import notify

from . import addresses, events, signing, transport
from .models import (
    DeliveryStatus,
    FailureReason,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

log = logging.getLogger(__name__)

#: Waits after the 1st, 2nd … failed attempt (seconds); the last one repeats until MAX_ATTEMPTS.
BACKOFF = (60, 300, 1800, 7200, 21600, 43200, 86400)
DEFAULTS = {
    "WEBHOOKS_BATCH_SIZE": 100,
    "WEBHOOKS_TIMEOUT": 10,          # seconds per request
    "WEBHOOKS_LEASE_SECONDS": 300,   # a claim older than this belongs to a dead run
    "WEBHOOKS_MAX_ATTEMPTS": 10,     # then the delivery is failed (about four days)
    "WEBHOOKS_DISABLE_AFTER": 20,    # failed attempts in a row, then the endpoint is disabled
    "WEBHOOKS_KEEP_DAYS": 30,        # the delivery log of settled rows
}


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF[min(attempts, len(BACKOFF)) - 1])


def claim(now: datetime, token: str, limit: int) -> list[int]:
    """Take up to ``limit`` due deliveries of active endpoints for this run (their ids)."""
    db.session.commit()  # a fresh transaction (SQLite: no stale snapshot)
    active = sa.select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True))
    due_clause = sa.and_(
        WebhookDelivery.endpoint_id.in_(active),
        sa.or_(sa.and_(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now),
               sa.and_(WebhookDelivery.status == DeliveryStatus.DELIVERING, WebhookDelivery.lease_until < now)),
    )
    due = sa.select(WebhookDelivery.id).where(due_clause).order_by(WebhookDelivery.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        due = sa.select(due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED").c.id)
    ids = list(db.session.scalars(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(due), due_clause)  # re-checked: a row another run took no longer matches
        .values(status=DeliveryStatus.DELIVERING, claimed_by=token,
                lease_until=now + timedelta(seconds=setting("WEBHOOKS_LEASE_SECONDS")))
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    ))
    db.session.commit()
    return sorted(ids)


def _post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """(HTTP status, failure reason, detail for the server log) of one POST; the status is None
    when no answer came. The address is checked again now and the connection goes to the
    addresses checked (``webhooks.transport``); a refused one is never connected to."""
    try:
        target = addresses.check(url, allow_loopback=bool(current_app.config.get("WEBHOOKS_ALLOW_HTTP_LOOPBACK")))
    except addresses.Refused as refusal:
        reason = FailureReason.CONNECTION if refusal.why == addresses.Refused.NOT_FOUND else FailureReason.ADDRESS
        return None, reason, f"address refused: {refusal.why}"
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/cloudevents+json; charset=utf-8", "User-Agent": "Expertteam-Webhooks/1",
        **headers})
    try:
        with transport.opener(target).open(request, timeout=setting("WEBHOOKS_TIMEOUT")) as response:
            response.read(1024)
            return response.status, "", ""
    except urllib.error.HTTPError as error:
        return error.code, FailureReason.HTTP, f"HTTP {error.code}"
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        cause = error.reason if isinstance(error, urllib.error.URLError) else error
        return None, failure_reason(cause), f"{type(cause).__name__}: {cause}"


def failure_reason(cause) -> FailureReason:
    """The generic reason for what went wrong on the way (the log keeps this, not the text)."""
    if isinstance(cause, TimeoutError):
        return FailureReason.TIMEOUT
    if isinstance(cause, ssl.SSLError):  # certificate errors included
        return FailureReason.TLS
    return FailureReason.CONNECTION


def _finish(delivery_id: int, token: str, values: dict) -> bool:
    done = db.session.execute(
        sa.update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.claimed_by == token)
        .values(claimed_by=None, lease_until=None, **values).execution_options(synchronize_session=False)
    ).rowcount
    return bool(done)


def _endpoint_failed(endpoint: WebhookEndpoint, now: datetime) -> None:
    """Count a failed attempt; at the limit, disable the endpoint (once) and tell the administrators."""
    failures = db.session.scalar(
        sa.update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id)
        .values(consecutive_failures=WebhookEndpoint.consecutive_failures + 1)
        .returning(WebhookEndpoint.consecutive_failures).execution_options(synchronize_session=False))
    if failures is None or failures < setting("WEBHOOKS_DISABLE_AFTER"):
        return
    disabled = db.session.execute(
        sa.update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.active.is_(True))
        .values(active=False, disabled_at=now).execution_options(synchronize_session=False)).rowcount
    if disabled:
        audit.record("webhook_endpoint.disable", object_type="webhook_endpoint", object_id=endpoint.id, actor=None,
                     details={"failures": failures, "organisation": endpoint.organisation_id})
        admins = db.session.scalars(sa.select(User).where(User.is_admin.is_(True), User.active.is_(True))).all()
        notify(admins, "webhooks.endpoint_disabled",
               {"organisation": endpoint.organisation.name, "url": endpoint.url, "failures": failures},
               f"/admin/webhooks/{endpoint.id}")


def deliver(now: datetime) -> str:
    """Send the due deliveries; each at most once per run, each endpoint tried until its first
    failure in this run (the rest of its rows wait for a later run, unattempted)."""
    token = uuid.uuid4().hex
    ids = claim(now, token, setting("WEBHOOKS_BATCH_SIZE"))
    delivered = retried = failed = postponed = 0
    down: set[int] = set()
    for delivery_id in ids:
        delivery = db.session.execute(
            sa.select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
            .options(sa.orm.joinedload(WebhookDelivery.event), sa.orm.joinedload(WebhookDelivery.endpoint))
            .execution_options(populate_existing=True)).scalar_one()
        endpoint, event = delivery.endpoint, delivery.event
        if delivery.claimed_by != token:
            continue
        if endpoint.id in down or not endpoint.active:
            _finish(delivery_id, token, {"status": DeliveryStatus.PENDING})
            db.session.commit()
            postponed += 1
            continue
        status, reason = _attempt(endpoint, event)
        attempts = delivery.attempts + 1
        values = {"attempts": attempts, "last_attempt_at": now, "last_status_code": status}
        if status is not None and 200 <= status < 300:
            if _finish(delivery_id, token, {**values, "status": DeliveryStatus.DELIVERED, "delivered_at": now,
                                            "last_error": ""}):
                db.session.execute(sa.update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id)
                                   .values(consecutive_failures=0).execution_options(synchronize_session=False))
                delivered += 1
        else:
            down.add(endpoint.id)
            gave_up = attempts >= setting("WEBHOOKS_MAX_ATTEMPTS")
            values.update(last_error=reason or FailureReason.HTTP,
                          status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING,
                          next_attempt_at=now + backoff(attempts))
            if _finish(delivery_id, token, values):
                failed += gave_up
                retried += not gave_up
                _endpoint_failed(endpoint, now)
        db.session.commit()
    return f"delivered {delivered}, to retry {retried}, failed {failed}, postponed {postponed}"


def _attempt(endpoint: WebhookEndpoint, event: WebhookEvent) -> tuple[int | None, str]:
    """(HTTP status, failure reason) of one attempt; the details go to the server log only."""
    secret = signing.unseal(endpoint.secret_sealed)
    if secret is None:
        log.warning("webhook %s to endpoint %s not sent: the secret cannot be read", event.uid, endpoint.id)
        return None, FailureReason.SECRET
    data = events.body(event)
    headers = signing.headers(secret, event.uid, int(time.time()), data)
    status, reason, detail = _post(endpoint.url, data, headers)
    if status is None or not 200 <= status < 300:
        log.warning("webhook %s to endpoint %s failed: %s", event.uid, endpoint.id, detail or status)
    return status, reason


def cleanup(now: datetime) -> str:
    """Forget settled deliveries older than WEBHOOKS_KEEP_DAYS, and events left without any."""
    before = now - timedelta(days=setting("WEBHOOKS_KEEP_DAYS"))
    gone = db.session.execute(
        sa.delete(WebhookDelivery).where(WebhookDelivery.status.in_([DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]),
                                         WebhookDelivery.last_attempt_at < before)
        .execution_options(synchronize_session=False)).rowcount
    orphans = sa.select(WebhookDelivery.id).where(WebhookDelivery.event_id == WebhookEvent.id).exists()
    events_gone = db.session.execute(
        sa.delete(WebhookEvent).where(WebhookEvent.created_at < before, ~orphans)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return f"{gone} deliveries and {events_gone} events removed"

