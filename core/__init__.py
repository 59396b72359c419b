"""The base every package builds on; it imports no domain package.

The database and its types (``db``), the shared models (team, user, membership, organisation,
commitment), the audit trail, errors, web helpers, the shared permission rules, people queries,
the registries of jobs and privacy parts, and the clock. See docs/architecture.md.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import audit, audit_verify, filters, paging, web
    from .clock import DEFAULT_ZONE
    from .db import configure_postgresql, configure_sqlite, db
    from .extensions import babel, csrf
    from .i18n import N_, install_template_gettext, select_locale
    from .jobs import register as register_job
    from .redaction import install_log_redaction

    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: DEFAULT_ZONE)
    install_template_gettext(app)
    configure_sqlite(app)
    configure_postgresql(app)
    audit.install_session_guard()
    install_log_redaction(app)
    filters.init_app(app)
    web.init_app(app)
    paging.init_app(app)
    register_job(app, "audit.verify", audit_verify.verify_job, "cron", N_("Check the hash chain of the audit trail"),
                 hour=3, minute=15)
