"""The hard cases: a case on hold (with a date to try again) and 'lost contact', the request
to committed organisations to signal when the client turns up."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.i18n import N_
    from core.jobs import register as register_job
    from core.privacy import register_anonymiser
    from core.registry import add_template_global
    from core.slots import register_slot
    from notifications.kinds import register_all as register_kinds
    from webhooks.events import register as register_event

    from . import events, jobs, kinds, services, views

    app.register_blueprint(views.bp)
    for name, value in views.template_globals().items():
        add_template_global(app, name, value)
    register_slot(app, "casefiles.detail.status", views.hold_badge)
    register_slot(app, "meeting.detail.on_hold", views.held_cases)
    register_kinds(app, kinds.HOLD_KINDS)
    for key, label in events.HOLD_EVENTS.items():
        register_event(app, key, label)
    register_anonymiser(app, "holds", services.anonymise_holds)
    register_job(app, "casefiles.hold_reminders", jobs.hold_reminders, "cron",
                 N_("Remind owners of held cases on the retry date"), hour=7, minute=40)
