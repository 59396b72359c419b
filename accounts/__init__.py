"""Accounts: sign-in with a second factor, sessions and throttling, password rules, and the
administration of teams, people, roles, organisations and commitments."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import admin, admin_teams, auth, mfa, security

    auth.login_manager.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(mfa.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_teams.bp)
    security.init_app(app)
