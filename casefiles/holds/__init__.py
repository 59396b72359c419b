"""The hard cases: a case on hold (with a date to try again) and 'lost contact', the request
to committed organisations to signal when the client turns up."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.i18n import N_
    from core.jobs import register as register_job
    from core.privacy import register_anonymiser
    from notifications.kinds import register_all as register_kinds
    from webhooks.events import register as register_event

    from . import events, jobs, kinds, services, views

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(views.template_globals())
    register_kinds(app, kinds.HOLD_KINDS)
    for key, label in events.HOLD_EVENTS.items():
        register_event(app, key, label)
    register_anonymiser(app, "holds", services.anonymise_holds)
    register_job(app, "casefiles.hold_reminders", jobs.hold_reminders, "cron",
                 N_("Remind owners of held cases on the retry date"), hour=7, minute=40)
