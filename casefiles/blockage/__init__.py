"""The blockage map of a case: the household's needs, what each waits for, and the analysis
(circles, the biggest blockage, what is free now) with its drawing."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.privacy import register_anonymiser

    from . import services, views

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(views.template_globals())
    register_anonymiser(app, "blockage", services.anonymise_map)
