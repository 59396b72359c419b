"""Notifications: one way for every package to tell people something.

Public API
----------
``notifications.services.notify(recipients, kind, context, link="")``
    Writes one ``Notification`` row per (active, distinct) recipient in the caller's transaction
    (an outbox) and flushes; the caller commits. ``context`` fills the kind's texts (a case
    reference, a date; never household details); ``link`` is a path inside the app.
``notifications.kinds.register(key, Kind(subject, body, always_email=False))``
    Adds a kind at import time of a package's ``kinds`` module. ``always_email`` kinds are
    e-mailed whatever the recipient's preference (a refused action, an overdue action for the chair).
``User.notification_preference``
    ``immediate`` (default), ``digest`` (one e-mail a day) or ``in_app``; users choose it at
    ``/notifications/preferences``.

Jobs (``notifications.jobs``, run by ``flask --app expertteam scheduler``)
    ``notifications.send_pending`` (every minute), ``notifications.send_digest`` (hourly; sends
    from NOTIFICATIONS_DIGEST_HOUR local time, once per user per day), ``notifications.cleanup``.
    Every run is recorded as a ``JobRun`` and shown at ``/notifications/admin/jobs``.
"""
