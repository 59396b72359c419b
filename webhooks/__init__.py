"""Signed webhooks to the organisations' own systems (knows no case kinds).

Public API
----------
``webhooks.events.register(app, key, label)``
    A higher package adds an event type (``action.assigned`` …) in its ``init_app``.
``webhooks.events.emit(key, organisation_id, resource, data)`` / ``emit_many([...])``
    Queue an event for the organisation's endpoints that want it, in the caller's transaction
    (an outbox, like ``notifications.notify``); ``resource`` is the API path relative to
    ``/api/v1/`` (``actions/12``) and ``data`` carries ids only.

Jobs (scheduler process): ``webhooks.deliver`` (every 30 seconds) signs and sends the CloudEvents
(Standard Webhooks headers), retries with backoff and disables an endpoint after a run of
failures; ``webhooks.cleanup`` (nightly) forgets the old delivery log.
Pages: ``/admin/webhooks`` (administrators: endpoints, secrets, the delivery log).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.i18n import N_
    from core.jobs import register as register_job
    from notifications.kinds import register_all as register_kinds

    from . import admin, delivery, kinds

    app.register_blueprint(admin.bp)
    register_kinds(app, kinds.WEBHOOK_KINDS)
    register_job(app, "webhooks.deliver", delivery.deliver, "interval", N_("Deliver webhooks to the organisations"),
                 seconds=30)
    register_job(app, "webhooks.cleanup", delivery.cleanup, "cron", N_("Forget the old webhook delivery log"),
                 hour=3, minute=45)
