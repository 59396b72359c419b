"""Expertteam: the application factory. Composition only: configuration, then each package's
``init_app`` in layer order (``PACKAGES``); see docs/architecture.md."""
from __future__ import annotations

import gc
import importlib
import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify

from core import routing
from core.db import db
from core.extensions import migrate

from .config import (
    DEV_SECRET_KEY,
    ROOT,
    ConfigurationError,
    check_production,
    from_environment,
)

__all__ = ["PACKAGES", "ConfigurationError", "create_app", "settle"]

#: The packages of the app, lowest layer first; ``create_app`` calls each one's ``init_app``. The
#: sub-packages of advice (one layer, importing each other without a cycle) are listed in the
#: order their parts are listed in (the jobs: the follow-through's, the ladder's, the evaluation's;
#: the privacy parts: the drafting's, the plan's, the ladder's).
PACKAGES = ("core", "accounts", "notifications", "webhooks", "casefiles", "casefiles.blockage", "casefiles.holds", "casefiles.attachments", "meeting", "advice",
            "advice.drafting", "advice.plan", "advice.follow_through", "advice.escalation", "advice.closure",
            "reports", "financing", "api")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        "expertteam",
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=os.environ.get("EXPERTTEAM_INSTANCE", str(ROOT / "instance")),
    )
    app.config.update(from_environment(app.instance_path))
    if overrides:
        app.config.update(overrides)
    # Production refuses debug mode, a default secret, and SQLite with several web workers.
    check_production(app.config, dict(os.environ), app.debug, DEV_SECRET_KEY)
    os.makedirs(app.instance_path, exist_ok=True)

    routing.init_app(app)  # before any package adds a route
    for name in PACKAGES:
        importlib.import_module(name).init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)

    from .cli import register_cli

    register_cli(app)

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(sa.text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any database failure means unhealthy
            app.logger.exception("health check: database does not answer")
            return jsonify(status="error", database="unavailable"), 503
        return jsonify(status="ok", database="ok")

    return app


def settle() -> None:
    """Once a server's worker has built its app, before it serves: collect what building left
    behind, then keep every object alive now (modules, the app, its URL map, templates and
    caches: they live as long as the worker) out of the garbage collector's future passes
    (``gc.freeze``), so its full collections walk only what requests make. Used by the
    production entry point (``expertteam.wsgi``) and the benchmark's server."""
    gc.collect()
    gc.freeze()
