"""Binding advice and each committed organisation's follow-through on its actions: drafting,
issuing and correcting the advice, its ties to the blockage map, the actions per organisation,
escalation, closing the case and the three-month follow-up, the team's catalogue."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casefiles.attachments.permissions import register_access_rule
    from casefiles.notices import register_case_notices
    from core.i18n import N_, labels
    from core.jobs import register as register_job
    from notifications.kinds import register_all as register_kinds
    from webhooks.events import register as register_event

    from . import (
        action_team,
        attachment_shares,
        attachment_views,
        events,
        follow_through_views,
        guard,
        jobs,
        kinds,
        models,
        permissions,
        recipients,
        recipients_views,
    )

    guard.install()
    action_team.install()
    register_case_notices(app, recipients.case_notices)
    app.register_blueprint(recipients_views.bp)
    app.register_blueprint(follow_through_views.bp)
    app.jinja_env.globals.update(follow_through_views.template_globals())
    register_kinds(app, kinds.ADVICE_KINDS)
    for key, label in events.ADVICE_EVENTS.items():
        register_event(app, key, label)
    # Case files the chair shares with an action: the page, the action page's list, the read rule.
    app.register_blueprint(attachment_views.bp)
    app.jinja_env.globals["shared_attachments"] = attachment_shares.shared_with
    register_access_rule(app, "advice.shared_with_action", permissions.can_read_shared)
    register_job(app, "advice.remind_due_soon", jobs.remind_due_soon, "cron",
                 N_("Remind organisations of actions due soon"), hour=7, minute=0)
    register_job(app, "advice.mark_overdue", jobs.mark_overdue, "cron",
                 N_("Mark overdue actions and tell the organisations"), hour=7, minute=10)
    register_job(app, "advice.escalate_overdue", jobs.escalate_overdue, "cron",
                 N_("Escalate actions overdue past the grace period"), hour=7, minute=20)
    # The labels of a list's statuses, translated once per table (core.i18n.labels).
    app.jinja_env.globals["action_status_labels"] = lambda: labels(models.ActionStatus)
    app.jinja_env.globals["escalation_kind_labels"] = lambda: labels(models.EscalationKind)
