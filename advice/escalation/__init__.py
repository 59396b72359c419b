"""The escalation ladder for an action an organisation does not carry out, past the team: level 2
the organisation's director, 3 the municipality's steering group, 4 the national Maatwerkloket.
Its records (``models``), the one module that writes them (``ladder``: the action's level, the
entry into level 1, climbing, settling, the answers), the levels and the chair's steps
(``services``), the night job that climbs (``jobs``, bounded by ``batching``), the director's
signed link and e-mail (``director``) and the pages (``views``, blueprint ``escalation``)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casefiles.notices import register_case_notices
    from core.i18n import N_, labels
    from core.jobs import register as register_job
    from core.privacy import register_anonymiser

    from . import jobs, ladder, models, services, views

    app.register_blueprint(views.bp)
    app.jinja_env.globals["ladder_levels"] = services.levels_of
    app.jinja_env.globals["ladder_levels_all"] = [lv for lv in models.Level if lv >= models.Level.TEAM]
    # The labels of a list's levels, translated once per table (core.i18n.labels).
    app.jinja_env.globals["ladder_level_labels"] = lambda: labels(models.Level)
    register_case_notices(app, services.case_notices)
    register_anonymiser(app, "advice_escalation", ladder.anonymise)
    register_job(app, "advice.escalation_ladder", jobs.climb, "cron",
                 N_("Move unanswered escalations up the ladder and e-mail the directors"), hour=7, minute=25)
