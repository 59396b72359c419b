"""Stuck cases: intake, the queue, the case's one state machine (``casefiles.services``) and its
privacy (who read it, the export, retention). Its sub-packages ``casefiles.blockage`` (the
blockage map) and ``casefiles.holds`` (hold and lost contact) build on it and register
themselves (``expertteam.PACKAGES``)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_login import current_user

    from accounts.security import require_recent_auth
    from core.i18n import N_
    from core.jobs import register as register_job
    from core.registry import add_template_global
    from notifications.kinds import register_all as register_kinds

    from . import kinds, lawful_views, permissions, privacy, views

    app.register_blueprint(views.bp)
    app.register_blueprint(lawful_views.bp)
    from . import (  # retention per case result, repeat referrals (issue 17, part 5)
        repeat_views,
        retention_views,
    )
    app.register_blueprint(retention_views.bp)
    app.register_blueprint(repeat_views.bp)
    add_template_global(app, "can_maintain_legal_bases",
                        lambda team_id: permissions.can_maintain_legal_bases(current_user, team_id))
    add_template_global(app, "event_label", views.event_label)
    require_recent_auth(app, "casefiles.export")
    register_kinds(app, kinds.CASE_KINDS)
    privacy.register_parts(app)
    register_job(app, "privacy.retention", privacy.retention_job, "cron",
                 N_("Anonymise closed cases past their retention period"), hour=2, minute=45)
