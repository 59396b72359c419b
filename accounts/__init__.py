"""Accounts: sign-in with a second factor, sessions and throttling, password rules, and the
administration of teams, people, roles, organisations and commitments."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import admin, admin_teams, auth, mfa, oidc, oidc_admin, oidc_views, security

    auth.login_manager.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(mfa.bp)
    oidc.init_app(app)
    app.register_blueprint(oidc_views.bp)
    app.register_blueprint(oidc_admin.bp)
    security.require_recent_auth(app, "oidc_admin.link_remove", frozenset({"POST"}))
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_teams.bp)
    security.init_app(app)
