"""One plan, one coordinator ("1 gezin, 1 plan, 1 regisseur"), and lessons for the system: the
plan of an advice (its coordinator, the household's goals for the year, how progress is checked;
part of the issued content), the coordinator's progress notes, the three-month evaluation per
goal (``services``), the team's list of what blocks cases and the lessons per blockage of an
issued advice (``lessons``), their records (``models``) and pages (``views``, blueprint ``plan``)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.privacy import register_anonymiser, register_export

    from . import lessons, services, views

    services.install_guard()
    app.register_blueprint(views.bp)
    register_export(app, "advice_plan", services.export_plan)
    register_anonymiser(app, "advice_plan", services.anonymise_plan)
    register_anonymiser(app, "advice_signals", lessons.anonymise_lessons)
