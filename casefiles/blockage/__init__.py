"""The blockage map of a case: the household's needs, what each waits for, and the analysis
(circles, the biggest blockage, what is free now) with its drawing."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.privacy import register_anonymiser
    from core.registry import add_template_global
    from core.slots import register_slot

    from . import services, views

    app.register_blueprint(views.bp)
    for name, value in views.template_globals().items():
        add_template_global(app, name, value)
    register_slot(app, "casefiles.detail.after_story", views.map_section)
    register_anonymiser(app, "blockage", services.anonymise_map)
