"""Each committed organisation's follow-through on its actions: confirm, report done or refuse,
the team's decision on an escalated action and what comes back on the table (``services``), the
lists and figures of the follow-through pages (``action_lists``, ``org_figures``), the timed
reminders, overdue notices and escalation to the team (``jobs``), the case files the chair shares
with an action (``attachment_shares``, its read rule in ``permissions``), who receives a case's
data and on which legal ground (``recipients``), and the pages: blueprints ``follow_through``
(the contact's home and action pages, decisions, the list back on the table, and closing the case with
its three-month evaluation, whose services are ``advice.closure``), ``recipients`` and
``action_attachments``."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casefiles.attachments.permissions import register_access_rule
    from casefiles.notices import register_case_notices
    from core.i18n import N_
    from core.jobs import register as register_job
    from core.slots import register_slot

    from . import attachment_shares, attachment_views, jobs, permissions, recipients, recipients_views, views

    register_case_notices(app, recipients.case_notices)
    app.register_blueprint(recipients_views.bp)
    app.register_blueprint(views.bp)
    register_slot(app, "meeting.detail.back_on_table", views.back_on_table_slot)
    # Case files the chair shares with an action: the page, the action page's list, the read rule.
    app.register_blueprint(attachment_views.bp)
    register_access_rule(app, "advice.shared_with_action", permissions.can_read_shared)
    register_job(app, "advice.remind_due_soon", jobs.remind_due_soon, "cron",
                 N_("Remind organisations of actions due soon"), hour=7, minute=0)
    register_job(app, "advice.mark_overdue", jobs.mark_overdue, "cron",
                 N_("Mark overdue actions and tell the organisations"), hour=7, minute=10)
    register_job(app, "advice.escalate_overdue", jobs.escalate_overdue, "cron",
                 N_("Escalate actions overdue past the grace period"), hour=7, minute=20)
