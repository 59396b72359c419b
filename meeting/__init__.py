"""The weekly meeting: schedule, agenda, attendance and quorum, the live session, minutes and
calendars."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.i18n import N_
    from core.jobs import register as register_job
    from core.registry import add_template_global
    from notifications.kinds import register_all as register_kinds

    from . import calendar_views, jobs, kinds, privacy, session_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(session_views.bp)
    app.register_blueprint(calendar_views.bp)
    app.add_template_filter(views.clock, "clock")
    for name, value in views.TEMPLATE_GLOBALS.items():
        add_template_global(app, name, value)
    register_kinds(app, kinds.MEETING_KINDS)
    privacy.register_parts(app)
    register_job(app, "meeting.ensure", jobs.ensure_meetings, "cron",
                 N_("Keep the next eight weeks of meetings in place"), hour=2, minute=30)
    register_job(app, "meeting.propose_agenda", jobs.propose_agendas, "interval",
                 N_("Propose agendas at the cut-off"), minutes=15)
    register_job(app, "meeting.remind", jobs.remind, "cron", N_("Remind of tomorrow's meeting"), minute=5)
