"""Webhook endpoints of the organisations, the events written to the outbox in the caller's
transaction, and one delivery row per (event, endpoint) that the delivery job claims, sends,
retries and logs."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import db, enum_column
from core.models import Organisation


class WebhookEndpoint(db.Model):
    """An HTTPS address of an organisation's own system and the event types it wants.

    The signing secret is needed again for every delivery (HMAC), so it cannot be stored as a
    one-way hash: it is kept encrypted with a key derived from the app's SECRET_KEY
    (``webhooks.signing.seal``). Changing SECRET_KEY makes the stored secrets unreadable; the
    administrator then gives the endpoint a new secret (the delivery log shows why it failed)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    event_types: Mapped[list] = mapped_column(sa.JSON, default=list)
    """Keys of registered event types (``webhooks.events``), e.g. ``["action.assigned"]``."""
    secret_sealed: Mapped[str] = mapped_column(sa.Text)
    """The ``whsec_`` secret, encrypted (Fernet) with a key derived from SECRET_KEY."""
    active: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    """Failed attempts in a row; reset by a success. At WEBHOOKS_DISABLE_AFTER the endpoint is
    disabled and the administrators are told."""
    disabled_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"        # waiting for its (next) attempt
    DELIVERING = "delivering"  # claimed by one run, under a lease
    DELIVERED = "delivered"    # the receiver answered 2xx
    FAILED = "failed"          # gave up after the last retry

    @property
    def label(self) -> str:
        return str(DELIVERY_STATUS_LABELS[self])


DELIVERY_STATUS_LABELS = {
    DeliveryStatus.PENDING: _l("Waiting"),
    DeliveryStatus.DELIVERING: _l("Being delivered"),
    DeliveryStatus.DELIVERED: _l("Delivered"),
    DeliveryStatus.FAILED: _l("Failed"),
}


class FailureReason(enum.StrEnum):
    """Why an attempt failed, as the delivery log keeps and shows it: a generic reason, never the
    remote side's error text (which would let the log probe the network behind an address)."""

    HTTP = "http_status"              # an answer outside 2xx: the status code says which
    CONNECTION = "connection_failed"  # no connection, or no valid answer on it (also: name not found)
    TIMEOUT = "timed_out"
    TLS = "tls_error"
    ADDRESS = "address_not_allowed"   # the host is, or now resolves to, an internal address
    SECRET = "secret_unreadable"      # SECRET_KEY changed: the endpoint needs a new secret

    @property
    def label(self) -> str:
        return str(FAILURE_REASON_LABELS[self])


FAILURE_REASON_LABELS = {
    FailureReason.HTTP: _l("Error answer"),
    FailureReason.CONNECTION: _l("Connection failed"),
    FailureReason.TIMEOUT: _l("Timed out"),
    FailureReason.TLS: _l("TLS error"),
    FailureReason.ADDRESS: _l("Address not allowed"),
    FailureReason.SECRET: _l("The secret cannot be read: give the webhook a new secret"),
}


class WebhookEvent(db.Model):
    """One event for one organisation: ids only (the receiver fetches details through the API).
    ``uid`` is the CloudEvents ``id`` and the ``webhook-id``: stable over retries, so receivers
    can deduplicate."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    type: Mapped[str] = mapped_column(sa.String(64))
    """The registered key, e.g. ``action.assigned`` (the CloudEvents type adds the prefix)."""
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    resource: Mapped[str] = mapped_column(sa.String(100))
    """The API resource the event is about, relative to the API root: ``actions/12``."""
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    """Ids only."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WebhookDelivery(db.Model):
    """The delivery of one event to one endpoint (the outbox row the job works on)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_deliveries_event_endpoint"),
        # The job's claim: due rows by status and time.
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        # The delivery log of an endpoint, newest first (keyset over id).
        sa.Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_events.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[Optional[str]] = mapped_column(sa.String(32))
    """Token of the run that holds the lease; a lease past ``lease_until`` may be taken over."""
    lease_until: Mapped[Optional[datetime]]
    last_attempt_at: Mapped[Optional[datetime]]
    last_status_code: Mapped[Optional[int]]
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")
    """A ``FailureReason`` value ("" after a success)."""
    delivered_at: Mapped[Optional[datetime]]

    event: Mapped[WebhookEvent] = relationship()
    endpoint: Mapped[WebhookEndpoint] = relationship()

    @property
    def answer(self) -> str:
        """What the delivery log shows of the last attempt: ``HTTP 503``, or a generic reason.
        Any other stored text is never shown: such a row reads "Delivery failed"."""
        if self.last_status_code is not None:
            return f"HTTP {self.last_status_code}"
        if not self.last_error:
            return ""
        try:
            return FailureReason(self.last_error).label
        except ValueError:
            return str(_l("Delivery failed"))
