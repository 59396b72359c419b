"""Notifications: one way for every package to tell people something.

Public API
----------
``notifications.services.notify(recipients, kind, context, link="")``
    Writes one ``Notification`` row per (active, distinct) recipient in the caller's transaction
    (an outbox) and flushes; the caller commits. ``context`` fills the kind's texts (a case
    reference, a date; never household details); ``link`` is a path inside the app.
``notifications.kinds.register(app, key, Kind(subject, body, always_email=False))``
    Each package adds its kinds in its ``init_app``; this package knows none of its own.
    ``always_email`` kinds are e-mailed whatever the recipient's preference (a refused action,
    an overdue action for the chair).
``User.notification_preference``
    ``immediate`` (default), ``digest`` (one e-mail a day) or ``in_app``; users choose it at
    ``/notifications/preferences``.

Jobs (``notifications.jobs``, run by ``flask --app expertteam scheduler``)
    ``notifications.send_pending`` (every minute), ``notifications.send_digest`` (hourly; sends
    from NOTIFICATIONS_DIGEST_HOUR local time, once per user per day), ``notifications.cleanup``.
    Every run is recorded as a ``JobRun`` and shown at ``/notifications/admin/jobs``.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.i18n import N_
    from core.jobs import register as register_job
    from core.registry import add_template_global
    from core.web import register_user_figure

    from . import cli, jobs, services, views

    app.register_blueprint(views.bp)
    for name, value in views.template_globals().items():
        add_template_global(app, name, value)
    register_user_figure(app, "unread_count", services.unread_count_column)
    cli.register_cli(app)
    register_job(app, "notifications.send_pending", jobs.send_pending_job, "interval", N_("Send queued e-mails"), minutes=1)
    register_job(app, "notifications.send_digest", jobs.send_digest, "cron", N_("Send the daily digest e-mails"), minute=10)
    register_job(app, "notifications.cleanup", jobs.cleanup, "cron", N_("Remove old job runs"), hour=3, minute=30)
