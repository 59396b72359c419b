"""The security layer: password policy, sign-in throttling, session timeouts, re-authentication,
response headers, production checks, error references and log redaction.

Everything here is wired in one place, ``init_app``, called by ``create_app``.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, flash, g, has_request_context, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from .extensions import db

log = logging.getLogger(__name__)

# --- passwords --------------------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200


@functools.cache
def common_passwords() -> frozenset[str]:
    """The list of common passwords shipped in ``expertteam/data`` (lower-cased)."""
    text = resources.files("expertteam").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problem(password: str | None, *, email: str | None = None, name: str | None = None) -> str | None:
    """Why this password may not be used, or None. Used on every password set (ASVS 2.1)."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("Use at most %(max)d characters.", max=MAX_PASSWORD_LENGTH)
    lowered = password.strip().lower()
    squeezed = re.sub(r"\s+", "", lowered)
    if lowered in common_passwords() or squeezed in common_passwords():
        return _("This password is too common: it appears on lists that attackers try first. Choose another.")
    if len(set(lowered)) < 4:
        return _("This password uses too few different characters. Choose another.")
    for own in (email, (email or "").split("@")[0], name):
        if own and len(own) >= 4 and own.strip().lower() == lowered:
            return _("Do not use your name or e-mail address as password.")
    return None


# --- throttling of failed sign-in steps (a store all workers share) ---------------------------

WINDOW = timedelta(hours=1)


def _hashed(kind: str, value: str) -> str:
    """Keys carry no plain e-mail address or IP address (data minimisation)."""
    digest = hashlib.sha256(f"{kind}:{value.strip().lower()}".encode()).hexdigest()[:40]
    return f"{kind}:{digest}"


def account_key(email: str) -> str:
    return _hashed("account", email)


def address_key(ip: str | None) -> str:
    return _hashed("address", ip or "unknown")


def totp_key(user_id: int) -> str:
    return f"totp:{user_id}"


class DatabaseThrottle:
    """Failures as rows in ``login_attempts``: every worker and process sees the same count."""

    def count(self, key: str, now: datetime) -> int:
        from .models import LoginAttempt

        return db.session.scalar(
            sa.select(sa.func.count()).select_from(LoginAttempt).where(LoginAttempt.key == key, LoginAttempt.at > now - WINDOW)
        ) or 0

    def add(self, keys: list[str], now: datetime) -> None:
        from .models import LoginAttempt

        # Its own short transaction, so a failure counts even if the request later rolls back.
        with db.engine.begin() as conn:
            conn.execute(sa.insert(LoginAttempt), [{"key": k, "at": now} for k in keys])
            conn.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < now - 2 * WINDOW))

    def clear(self, key: str) -> None:
        from .models import LoginAttempt

        with db.engine.begin() as conn:
            conn.execute(sa.delete(LoginAttempt).where(LoginAttempt.key == key))


class RedisThrottle:
    """Failures in Redis sorted sets (one per key, scored by time), when REDIS_URL is set."""

    def __init__(self, url: str, prefix: str = "expertteam:throttle:"):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix

    def count(self, key: str, now: datetime) -> int:
        k = self.prefix + key
        self.redis.zremrangebyscore(k, 0, (now - WINDOW).timestamp())
        return int(self.redis.zcount(k, (now - WINDOW).timestamp(), "+inf"))

    def add(self, keys: list[str], now: datetime) -> None:
        pipe = self.redis.pipeline()
        for key in keys:
            k = self.prefix + key
            pipe.zadd(k, {f"{now.timestamp()}:{uuid.uuid4().hex}": now.timestamp()})
            pipe.expire(k, int(2 * WINDOW.total_seconds()))
        pipe.execute()

    def clear(self, key: str) -> None:
        self.redis.delete(self.prefix + key)


def throttle():
    """The configured store: Redis when REDIS_URL is set, else the database."""
    app = current_app._get_current_object()
    store = app.extensions.get("expertteam_throttle")
    if store is None:
        url = app.config.get("REDIS_URL")
        store = RedisThrottle(url) if url else DatabaseThrottle()
        app.extensions["expertteam_throttle"] = store
    return store


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def sign_in_blocked(email: str, ip: str | None, now: datetime | None = None) -> bool:
    """Too many failures for this account name or from this address within the hour?"""
    now = now or utcnow()
    store = throttle()
    cfg = current_app.config
    return (
        store.count(account_key(email), now) >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        or store.count(address_key(ip), now) >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    )


def record_sign_in_failure(email: str, ip: str | None, now: datetime | None = None) -> None:
    throttle().add([account_key(email), address_key(ip)], now or utcnow())


# --- sessions: idle and absolute timeouts, re-authentication ----------------------------------

def start_session(*, fresh: bool = True) -> None:
    """Stamp a new signed-in session: its start, last activity and (fresh) authentication time."""
    now = int(time.time())
    session["login_at"] = now
    session["seen_at"] = now
    if fresh:
        session["auth_at"] = now
    session.permanent = True


def mark_reauthenticated() -> None:
    session["auth_at"] = int(time.time())


def recently_authenticated() -> bool:
    at = session.get("auth_at")
    limit = current_app.config["REAUTH_MINUTES"] * 60
    return isinstance(at, int) and time.time() - at <= limit


#: Endpoints that need a recent password + second factor (ASVS 3.7.1): changing the second
#: factor, e-mail addresses and roles, and exports. Methods listed per endpoint; packages that add
#: such endpoints (e.g. an export of advice) add them here or call ``require_recent_auth``.
REAUTH_ENDPOINTS: dict[str, frozenset[str]] = {
    "admin.user_edit": frozenset({"POST"}),
    "admin.user_new": frozenset({"POST"}),
    "admin.membership_add": frozenset({"POST"}),
    "admin.membership_end": frozenset({"POST"}),
    "mfa.admin_reset": frozenset({"POST"}),
    "mfa.reset_own": frozenset({"POST"}),
    "mfa.new_recovery_codes": frozenset({"POST"}),
    "privacy.export": frozenset({"GET", "POST"}),
}


def reauth_redirect():
    """Send the user to confirm their identity, then back (GET: here; POST: the form page)."""
    from .auth import safe_next

    if request.method == "GET":
        back = request.full_path.rstrip("?")
    else:
        ref = request.referrer or ""
        host = request.host_url
        back = safe_next(ref[len(host) - 1:] if ref.startswith(host) else None) or url_for("casefiles.index")
    flash(_("Please confirm it is you before this step."), "info")
    return redirect(url_for("mfa.reauth", next=back))


def _before_request():
    if request.endpoint in (None, "static", "healthz"):
        return None
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    cfg = current_app.config
    login_at = session.get("login_at")
    seen_at = session.get("seen_at")
    expired = (
        not isinstance(login_at, int)
        or not isinstance(seen_at, int)
        or now - login_at > cfg["SESSION_ABSOLUTE_TIMEOUT"]
        or now - seen_at > cfg["SESSION_IDLE_TIMEOUT"]
    )
    if expired:
        logout_user()
        session.clear()
        flash(_("Your session has ended because of inactivity or its maximum duration. Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    if now - seen_at >= 30:  # refresh the idle clock (not on every request: fewer cookie writes)
        session["seen_at"] = now
    methods = REAUTH_ENDPOINTS.get(request.endpoint or "")
    if methods and request.method in methods and not recently_authenticated():
        return reauth_redirect()
    return None


# --- response headers -------------------------------------------------------------------------

def csp_nonce() -> str:
    """A per-response nonce for the rare inline script or style that cannot be a file."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _after_request(response):
    nonce = g.get("csp_nonce")
    source = f" 'nonce-{nonce}'" if nonce else ""
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self'{source}; "
        f"style-src 'self'{source}; "
        "img-src 'self' data:; "
        "font-src 'self'; "
        "connect-src 'self'; "
        "object-src 'none'; "
        "base-uri 'none'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if current_app.config.get("PRODUCTION"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # Pages of signed-in users (case content and the rest) and the sign-in steps are never
    # stored by the browser or a proxy; static files and the public calendar feed may be.
    if request.endpoint != "static" and (
        current_user.is_authenticated or (request.endpoint or "").startswith(("mfa.", "auth.", "privacy."))
    ):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


# --- production checks ------------------------------------------------------------------------

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
    if debug or config.get("DEBUG") or environ.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes", "on"):
        raise ConfigurationError("Debug mode must be off in production.")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and web_workers(environ) > 1:
        raise ConfigurationError(
            "SQLite serves one web worker only: set WEB_CONCURRENCY=1 or use PostgreSQL (DATABASE_URL)."
        )


# --- error references and log redaction -------------------------------------------------------

def error_reference() -> str:
    """A short reference for a 500 page that also appears in the log line of that error."""
    return secrets.token_hex(4).upper()


#: Patterns of secrets that may slip into a log message: redacted whatever the logger.
_SECRET_PATTERNS = [
    (re.compile(r"(?i)(password|passwd|wachtwoord|secret|token|code|csrf_token|otp|totp|authorization|cookie|session)"
                r"(\s*[=:]\s*|\"\s*:\s*\"|'\s*:\s*')([^\s&,;\"']+)"), r"\1\2[redacted]"),
    (re.compile(r"\b[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}\b"), "[redacted-code]"),
    (re.compile(r"\b\d{6}\b"), "[redacted-digits]"),
    # Long random tokens (with a digit, so long identifiers such as index names stay readable).
    (re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{32,}(?![\w-])"), "[redacted-token]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Applied to every handler of the root logger and the app logger.

    Log calls in this code base name objects by id, reference and action only; this filter is the
    safety net for what still slips through (form data in an exception message, a token in a URL):
    it formats the record, redacts secrets, and drops the arguments. Free text of cases cannot be
    recognised by pattern, so exceptions carry no field values (see ``_log_exception``).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not hide the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not getattr(record, "_expertteam_redacted", False):
            # The traceback names code lines, not values; the exception message may hold data.
            etype, evalue, tb = record.exc_info
            record.exc_text = None
            record.exc_info = (etype, _SanitisedError(etype, evalue), tb)
            record._expertteam_redacted = True
        return True


class _SanitisedError(Exception):
    def __init__(self, etype, evalue):
        super().__init__(f"{getattr(etype, '__name__', 'Error')} (message withheld from the log)")


_FILTER = RedactingFilter()


def _redacting_factory(previous):
    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        _FILTER.filter(record)
        return record

    factory._expertteam_redacting = True  # type: ignore[attr-defined]
    return factory


def install_log_redaction(app: Flask | None = None) -> None:
    """Redact every log record of the process at creation, whatever logger or handler (gunicorn's,
    pytest's) later formats it: a record factory, installed once."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "_expertteam_redacting", False):
        logging.setLogRecordFactory(_redacting_factory(current))


def _log_exception(app: Flask, reference: str, error: BaseException | None) -> None:
    """The one log line of a 500: reference, endpoint, exception type and the code location."""
    where = ""
    tb = getattr(error, "__traceback__", None)
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
    app.logger.error(
        "error reference %s: %s in %s %s%s",
        reference,
        type(error).__name__ if error else "error",
        request.method if has_request_context() else "-",
        request.endpoint if has_request_context() else "-",
        where,
    )


# --- wiring -----------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    app.config.setdefault("LOGIN_MAX_FAILURES_PER_ACCOUNT", 100)
    app.config.setdefault("LOGIN_MAX_FAILURES_PER_ADDRESS", 500)
    app.config.setdefault("TOTP_MAX_FAILURES", 10)
    app.config.setdefault("SESSION_IDLE_TIMEOUT", 30 * 60)
    app.config.setdefault("SESSION_ABSOLUTE_TIMEOUT", 12 * 3600)
    app.config.setdefault("REAUTH_MINUTES", 10)
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    install_log_redaction(app)
