"""Binding advice and each committed organisation's follow-through on its actions. What every part
shares lives here: the advice and its actions (``models``) with their state machines
(``lifecycle``), who may do what (``permissions``), the guard on issued advice (``guard``), the
action's denormalised team (``action_team``), notification kinds and webhook events, the team's
settings, the jobs' team windows, one-click links and loading an advice with need-to-know. Each
concept is a sub-package with its own ``init_app`` (listed in ``expertteam.PACKAGES``): drafting
and issuing (``drafting``), the plan and the lessons for the system (``plan``), the actions'
follow-through (``follow_through``), the escalation ladder (``escalation``), closing the case and
the three-month evaluation (``closure``)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.i18n import labels
    from core.registry import add_template_global
    from notifications.kinds import register_all as register_kinds
    from webhooks.events import register as register_event

    from . import action_team, events, guard, kinds, models, permissions

    guard.install()
    action_team.install()
    register_kinds(app, kinds.ADVICE_KINDS)
    for key, label in events.ADVICE_EVENTS.items():
        register_event(app, key, label)
    # The labels of a list's statuses, translated once per table (core.i18n.labels).
    # Who may do what, for the pages of every part of the advice (rules that need the database
    # are worked out by the view and passed in).
    add_template_global(app, "advice_perms", permissions)
    add_template_global(app, "action_status_labels", lambda: labels(models.ActionStatus))
    add_template_global(app, "escalation_kind_labels", lambda: labels(models.EscalationKind))
