"""Stuck cases: intake, the queue, the case's one state machine (``casefiles.services``), its
privacy (reads, export, retention); the blockage map and the hard cases (hold, lost contact)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.jobs import register as register_job
    from notifications.kinds import register_all as register_kinds

    from . import hardcases_services, kinds, privacy, views

    app.register_blueprint(views.bp)
    app.register_blueprint(privacy.bp)
    app.jinja_env.globals["privacy_can_see_reads"] = privacy.can_see_reads
    app.jinja_env.globals["privacy_can_export"] = privacy.can_export
    register_kinds(app, kinds.CASE_KINDS)
    register_kinds(app, hardcases_services.HOLD_KINDS)
    privacy.register_parts(app)
    register_job(app, "privacy.retention", privacy.retention_job, "cron",
                 "Anonymise closed cases past their retention period", hour=2, minute=45)
    register_job(app, "casefiles.hold_reminders", hardcases_services.hold_reminders, "cron",
                 "Remind owners of held cases on the retry date", hour=7, minute=40)
