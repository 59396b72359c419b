"""Configuration read from the environment.

Every setting has a safe development default except ``SECRET_KEY`` in production: the app
refuses to start in production mode without one (see ``create_app``).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from core.clock import DEFAULT_ZONE
from core.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "expertteam.sqlite3")


def from_environment(instance_path: str) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = os.environ.get("EXPERTTEAM_ENV", os.environ.get("FLASK_ENV", "development"))
    database_url = os.environ.get("DATABASE_URL") or default_database_url(instance_path)
    if database_url.startswith("postgres://"):
        # Heroku-style URLs; SQLAlchemy wants the dialect name spelt out.
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    production = env == "production"
    return {
        "ENV_NAME": env,
        "PRODUCTION": production,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or (None if production else DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # PostgreSQL plans a statement once per connection (core.db.configure_postgresql); turn
        # it off behind a pooler in transaction mode that does not keep prepared statements.
        "DATABASE_PREPARED_STATEMENTS": _bool("DATABASE_PREPARED_STATEMENTS", True),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "BABEL_DEFAULT_LOCALE": next(iter(LANGUAGES)),
        "BABEL_DEFAULT_TIMEZONE": DEFAULT_ZONE,
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        **_mail(),
        # Where a signed-in person starts (core.web.home_url): the app's composition decides.
        "HOME_ENDPOINT": "casefiles.index",
        **_security(),
        **_documents(instance_path),
        **_api_and_webhooks(production),
        **_audit(),
    }


def _mail() -> dict:
    """Mail (used by notifications): the names Flask-Mail users know."""
    return {
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "8025")),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "Expertteam <noreply@expertteam.local>"),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "10")),
        "APP_BASE_URL": os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000"),
    }


def _security() -> dict:
    """Security (see accounts/security.py). REDIS_URL: shared store for sign-in throttling;
    without it the database is used (both are shared by every web worker). Sign-in through
    organisations' identity providers (accounts/oidc.py; README): a JSON list in
    OIDC_PROVIDERS, or the path of a JSON file with that list."""
    return {
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "SESSION_IDLE_TIMEOUT": int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60))),
        "SESSION_ABSOLUTE_TIMEOUT": int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", str(12 * 3600))),
        "REAUTH_MINUTES": int(os.environ.get("REAUTH_MINUTES", "10")),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": int(os.environ.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", "100")),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "500")),
        "TOTP_MAX_FAILURES": int(os.environ.get("TOTP_MAX_FAILURES", "10")),
        "OIDC_PROVIDERS": os.environ.get("OIDC_PROVIDERS") or None,
        "OIDC_PROVIDERS_FILE": os.environ.get("OIDC_PROVIDERS_FILE") or None,
    }


def _documents(instance_path: str) -> dict:
    """Documents: calendar UIDs carry the installation's domain (default: the host of
    APP_BASE_URL); a reminder this many minutes before a meeting (0: none); attachments up to
    this size, stored in this folder (default: <instance>/attachments)."""
    return {
        "CALENDAR_DOMAIN": os.environ.get("CALENDAR_DOMAIN") or None,
        "CALENDAR_ALARM_MINUTES": int(os.environ.get("CALENDAR_ALARM_MINUTES", str(24 * 60))),
        "ATTACHMENT_MAX_BYTES": int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        "ATTACHMENT_FOLDER": os.environ.get("ATTACHMENT_FOLDER") or str(Path(instance_path) / "attachments"),
    }


def _api_and_webhooks(production: bool) -> dict:
    """The API and webhooks (README "Organisations' own systems"): bearer tokens live this many
    seconds; a client may make API_RATE_LIMIT calls per API_RATE_PERIOD seconds; WEBHOOKS_SOURCE
    names this installation in CloudEvents (default APP_BASE_URL); an endpoint is disabled after
    WEBHOOKS_DISABLE_AFTER failures in a row. Loopback endpoints (plain HTTP too) only with
    WEBHOOKS_ALLOW_HTTP_LOOPBACK (tests, a local trial; never production); every other internal
    address is always refused (webhooks.addresses)."""
    return {
        "API_TOKEN_LIFETIME": int(os.environ.get("API_TOKEN_LIFETIME", "900")),
        "API_RATE_LIMIT": int(os.environ.get("API_RATE_LIMIT", "300")),
        "API_RATE_PERIOD": int(os.environ.get("API_RATE_PERIOD", "60")),
        "WEBHOOKS_SOURCE": os.environ.get("WEBHOOKS_SOURCE") or None,
        "WEBHOOKS_DISABLE_AFTER": int(os.environ.get("WEBHOOKS_DISABLE_AFTER", "20")),
        "WEBHOOKS_ALLOW_HTTP_LOOPBACK": _bool("WEBHOOKS_ALLOW_HTTP_LOOPBACK") and not production,
    }


def _audit() -> dict:
    """The audit chain's checkpoints (core.audit_seal; README "What each audit check detects"):
    sealed with AUDIT_HMAC_KEY (derived from SECRET_KEY when unset), their head kept outside the
    database in AUDIT_HEAD_FILE (default: audit-head.json in the instance folder)."""
    return {
        "AUDIT_HMAC_KEY": os.environ.get("AUDIT_HMAC_KEY") or None,
        "AUDIT_HEAD_FILE": os.environ.get("AUDIT_HEAD_FILE") or None,
    }


class ConfigurationError(RuntimeError):
    """The app refuses to start with an unsafe or impossible configuration."""


def web_workers(environ: dict[str, str]) -> int:
    """Worker processes the server will run: WEB_CONCURRENCY (gunicorn reads it too), or the
    ``--workers``/``-w`` in GUNICORN_CMD_ARGS; 1 when neither is set."""
    value = environ.get("WEB_CONCURRENCY")
    if value and value.strip().isdigit():
        return int(value)
    args = environ.get("GUNICORN_CMD_ARGS", "")
    match = re.search(r"(?:--workers[=\s]+|-w\s*)(\d+)", args)
    return int(match.group(1)) if match else 1


def check_production(config: dict[str, Any], environ: dict[str, str], debug: bool, dev_secret: str) -> None:
    if not config.get("PRODUCTION"):
        return
    if not config.get("SECRET_KEY") or config["SECRET_KEY"] == dev_secret or len(config["SECRET_KEY"]) < 16:
        raise ConfigurationError("SECRET_KEY must be set to a random value in production.")
    audit_key = config.get("AUDIT_HMAC_KEY")
    if audit_key and (len(audit_key) < 32 or audit_key == config["SECRET_KEY"]):
        raise ConfigurationError("AUDIT_HMAC_KEY must be a random value of at least 32 characters, not SECRET_KEY.")
    if debug or config.get("DEBUG") or environ.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes", "on"):
        raise ConfigurationError("Debug mode must be off in production.")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and web_workers(environ) > 1:
        raise ConfigurationError(
            "SQLite serves one web worker only: set WEB_CONCURRENCY=1 or use PostgreSQL (DATABASE_URL)."
        )
