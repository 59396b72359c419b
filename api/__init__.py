"""The REST API for the committed organisations' own systems (``/api/v1``): OAuth 2 client
credentials (Authlib), the organisation's actions and their transitions, the signal requests,
the OpenAPI document; the administrators' pages for API clients (``/admin/api-clients``).

Writes go through the same services as the contact's pages. Every answer under ``/api/`` is
JSON (errors ``application/problem+json``), with an ``API-Version`` header; no CSRF token (a
bearer token instead; the API sets no cookie)."""
from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import default_exceptions


def init_app(app: Flask) -> None:
    from core.extensions import csrf
    from core.i18n import N_
    from core.jobs import register as register_job

    from . import admin, jobs, oauth, views

    oauth.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    csrf.exempt(views.bp)
    for code in (400, 403, 404, 405, 413, 500):
        _problem_for_api_paths(app, code)
    register_job(app, "api.cleanup", jobs.cleanup, "cron", N_("Forget expired API tokens and rate-limit windows"),
                 hour=3, minute=50)


def _problem_for_api_paths(app: Flask, code: int) -> None:
    """Errors of paths under /api/ (also unknown paths and methods, which no blueprint sees) are
    problem+json; other paths keep the app's error pages."""
    from .views import api_problem

    key = default_exceptions[code]
    previous = app.error_handler_spec[None][code].get(key)

    def handler(error):
        if request.path.startswith("/api/"):
            if code == 500:
                from core.db import db

                db.session.rollback()
                app.logger.error("API error in %s %s: %r", request.method, request.path,
                                 getattr(error, "original_exception", error))
            response = api_problem(code)
            if code == 405 and getattr(error, "valid_methods", None):
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        return previous(error) if previous is not None else error

    app.register_error_handler(code, handler)
