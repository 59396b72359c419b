"""Reports: the pilot figures (dashboard, CSV, the council's period report) and the chair's
follow-through overview. Every figure is computed once, in SQL (``reports.figures``;
follow-through per organisation in ``advice.follow_through.org_figures``)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.registry import add_template_global

    from . import blocking, dashboard, overview, processing

    app.register_blueprint(dashboard.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(processing.bp)
    app.register_blueprint(blocking.bp)
    add_template_global(app, "blocking_kind_label", blocking.kind_label)
