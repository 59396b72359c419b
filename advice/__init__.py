"""Binding advice and each committed organisation's follow-through on its actions: drafting,
issuing and correcting the advice, its ties to the blockage map, the actions per organisation,
escalation, closing the case and the three-month follow-up, the team's catalogue."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casefiles.blockage.services import register_need_reference
    from core.i18n import N_
    from core.jobs import register as register_job
    from notifications.kinds import register_all as register_kinds
    from webhooks.events import register as register_event

    from . import (
        action_team,
        events,
        follow_through_views,
        guard,
        jobs,
        kinds,
        privacy,
        ties,
        views,
    )

    guard.install()
    action_team.install()
    register_need_reference(app, ties.need_is_tied)
    app.register_blueprint(views.bp)
    app.register_blueprint(follow_through_views.bp)
    app.jinja_env.globals.update(follow_through_views.template_globals())
    register_kinds(app, kinds.ADVICE_KINDS)
    for key, label in events.ADVICE_EVENTS.items():
        register_event(app, key, label)
    privacy.register_parts(app)
    register_job(app, "advice.remind_due_soon", jobs.remind_due_soon, "cron",
                 N_("Remind organisations of actions due soon"), hour=7, minute=0)
    register_job(app, "advice.mark_overdue", jobs.mark_overdue, "cron",
                 N_("Mark overdue actions and tell the organisations"), hour=7, minute=10)
    register_job(app, "advice.escalate_overdue", jobs.escalate_overdue, "cron",
                 N_("Escalate actions overdue past the grace period"), hour=7, minute=20)
    register_job(app, "advice.ask_followup", jobs.ask_followup, "cron",
                 N_("Ask for the three-month follow-up evaluation"), hour=7, minute=30)
