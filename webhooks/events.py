"""Event types and the outbox: ``emit`` writes an event and one delivery row per subscribed,
active endpoint of the organisation, in the caller's transaction (nothing is sent here: if the
caller rolls back, nothing goes out; once it commits, the delivery job cannot lose it).

This package knows no event type of its own: each package registers its types in its
``init_app`` (``register(app, "action.assigned", _l("Action assigned"))``), as with
notification kinds. The CloudEvents message (``cloud_event``) follows the NL GOV profile for
CloudEvents: ``source`` names this installation, ``type`` is reverse-DNS
(``nl.expertteam.action.assigned``), ``subject`` and ``dataref`` name the API resource, and
``data`` carries ids only.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from core.clock import utcnow
from core.db import db
from core.registry import add, registry

from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

_KEY = "webhooks.events"
#: The CloudEvents ``type`` of a registered key: ``nl.expertteam.`` + key.
TYPE_PREFIX = "nl.expertteam."
#: Where the API resources named by events live (``dataref``), relative to APP_BASE_URL.
API_ROOT = "/api/v1/"


def register(app: Flask, key: str, label: Any) -> None:
    """Let a package add an event type (``key`` like ``action.assigned``; ``label`` a lazy text)."""
    add(_KEY, app, key, label, "webhook event type")


def registered(app: Flask | None = None) -> dict[str, Any]:
    return registry(_KEY, app)


#: One event of ``emit_many``: (type key, organisation id, resource path, data).
Event = tuple[str, int, str, dict[str, Any]]


def emit(event_type: str, organisation_id: int, resource: str, data: dict[str, Any] | None = None) -> int:
    """Queue one event for the organisation's endpoints that want it; returns the number of
    deliveries queued (0: no endpoint wants it, and nothing is written)."""
    return emit_many([(event_type, organisation_id, resource, data or {})])


def emit_many(events: Iterable[Event]) -> int:
    """Queue many events at once (the timed jobs): one statement to find the endpoints, and one
    INSERT per table when any endpoint wants any event, whatever the number of events."""
    events = list(events)
    types = registered()
    for event_type, _org, resource, _data in events:
        if event_type not in types:
            raise KeyError(f"unknown webhook event type {event_type!r}")
        if resource.startswith("/") or ".." in resource:
            raise ValueError("a webhook resource is a path relative to the API root, e.g. actions/12")
    org_ids = sorted({org for _t, org, _r, _d in events})
    if not org_ids:
        return 0
    endpoints = db.session.execute(
        sa.select(WebhookEndpoint.id, WebhookEndpoint.organisation_id, WebhookEndpoint.event_types)
        .where(WebhookEndpoint.organisation_id.in_(org_ids), WebhookEndpoint.active.is_(True))
    ).all()
    if not endpoints:
        return 0
    now = utcnow()
    event_rows, targets = [], []
    for event_type, org, resource, data in events:
        wanted = [e.id for e in endpoints if e.organisation_id == org and event_type in (e.event_types or [])]
        if wanted:
            uid = str(uuid.uuid4())
            event_rows.append({"uid": uid, "type": event_type, "organisation_id": org, "resource": resource,
                               "data": data, "created_at": now})
            targets.append((uid, wanted))
    if not event_rows:
        return 0
    db.session.flush()  # the caller's pending changes first
    table = WebhookEvent.__table__
    ids = dict(db.session.execute(sa.insert(table).returning(table.c.uid, table.c.id), event_rows).all())
    deliveries = [{"event_id": ids[uid], "endpoint_id": endpoint_id, "status": DeliveryStatus.PENDING.value,
                   "attempts": 0, "next_attempt_at": now, "last_error": ""}
                  for uid, wanted in targets for endpoint_id in wanted]
    db.session.execute(sa.insert(WebhookDelivery.__table__), deliveries)
    return len(deliveries)


def source() -> str:
    """The CloudEvents ``source``: WEBHOOKS_SOURCE (e.g. ``urn:nld:oin:<OIN>:systeem:expertteam``)
    or else this installation's base URL."""
    return current_app.config.get("WEBHOOKS_SOURCE") or current_app.config.get("APP_BASE_URL") or "urn:expertteam"


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def cloud_event(event: WebhookEvent) -> dict[str, Any]:
    """The CloudEvents 1.0 structured-mode message of ``event`` (NL GOV profile)."""
    base = (current_app.config.get("APP_BASE_URL") or "").rstrip("/")
    return {
        "specversion": "1.0",
        "id": event.uid,
        "source": source(),
        "type": TYPE_PREFIX + event.type,
        "subject": event.resource,
        "time": _rfc3339(event.created_at),
        "datacontenttype": "application/json",
        "dataref": base + API_ROOT + event.resource,
        "data": event.data or {},
    }


def body(event: WebhookEvent) -> bytes:
    return json.dumps(cloud_event(event), separators=(",", ":"), sort_keys=True).encode()
