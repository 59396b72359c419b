"""Expertteam: the application factory."""
from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, has_request_context, jsonify, render_template, session
from flask_login import current_user

from .config import DEV_SECRET_KEY, LANGUAGES, ROOT, from_environment
from .extensions import babel, csrf, db, login_manager, migrate
from .security import ConfigurationError  # noqa: F401  (re-exported: ``from expertteam import ...``)


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
    _check_config(app)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: "Europe/Amsterdam")
    _configure_sqlite(app)

    from . import auth, filters, models  # noqa: F401  (models register tables)
    from casefiles import models as _cm  # noqa: F401
    from notifications import models as _nm  # noqa: F401

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.user_loader(auth.load_user)

    from . import admin as admin_views
    from . import mfa, privacy, security
    from casefiles.views import bp as casefiles_bp
    from notifications.views import bp as notifications_bp
    from meeting.views import bp as meeting_bp
    from advice.views import bp as advice_bp
    from advice.dashboard import bp as dashboard_bp

    app.register_blueprint(auth.bp)
    app.register_blueprint(mfa.bp)
    app.register_blueprint(privacy.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(casefiles_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(meeting_bp)
    app.register_blueprint(advice_bp)
    app.register_blueprint(dashboard_bp)

    filters.init_app(app)
    security.init_app(app)
    privacy.init_app(app)
    _register_errors(app)

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


def _check_config(app: Flask) -> None:
    """Production refuses debug mode, a default secret, and SQLite with several web workers."""
    from .security import check_production

    check_production(app.config, dict(os.environ), app.debug, DEV_SECRET_KEY)


def _select_locale() -> str:
    """The signed-in user's language, else the visitor's choice, else Dutch.

    Outside a request (jobs, CLI) it is Dutch unless the caller uses ``force_locale``.
    """
    default = next(iter(LANGUAGES))
    if not has_request_context():
        return default
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in LANGUAGES:
            return current_user.locale
    lang = session.get("lang")
    if lang in LANGUAGES:
        return lang
    return default


def _configure_sqlite(app: Flask) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine = db.engine

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()


def _register_errors(app: Flask) -> None:
    for code in (400, 403, 404, 405):
        app.register_error_handler(code, _make_handler(code))

    @app.errorhandler(500)
    def server_error(error):
        from .security import _log_exception, error_reference

        db.session.rollback()
        reference = error_reference()
        _log_exception(app, reference, getattr(error, "original_exception", None) or error)
        return render_template("errors/error.html", code=500, reference=reference), 500


def _make_handler(code: int):
    def handler(error):
        return render_template("errors/error.html", code=code, description=getattr(error, "description", "")), code

    return handler
