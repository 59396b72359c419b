"""Security of sign-in: the password policy, sign-in throttling, session timeouts and
re-authentication for sensitive steps. Wired by ``init_app`` (called by ``accounts.init_app``).
Response headers and error references are ``core.web``; log redaction is ``core.redaction``;
production checks are ``expertteam.config``.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
import uuid
from datetime import datetime, timedelta
from importlib import resources

import sqlalchemy as sa
from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from core.clock import utcnow
from core.db import db
from core.registry import add, registry
from core.web import safe_next

from .models import LoginAttempt

log = logging.getLogger(__name__)

# --- passwords --------------------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200


@functools.cache
def common_passwords() -> frozenset[str]:
    """The list of common passwords shipped in ``accounts/data`` (lower-cased)."""
    text = resources.files("accounts").joinpath("data/common-passwords.txt").read_text("utf-8")
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
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(LoginAttempt).where(LoginAttempt.key == key, LoginAttempt.at > now - WINDOW)
        ) or 0

    def add(self, keys: list[str], now: datetime) -> None:
        # Its own short transaction, so a failure counts even if the request later rolls back.
        with db.engine.begin() as conn:
            conn.execute(sa.insert(LoginAttempt), [{"key": k, "at": now} for k in keys])
            conn.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < now - 2 * WINDOW))

    def clear(self, key: str) -> None:
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
#: factor, e-mail addresses and roles, and exports. Methods listed per endpoint. Packages above
#: add theirs (e.g. the export of a case) with ``require_recent_auth`` in their ``init_app``.
REAUTH_ENDPOINTS: dict[str, frozenset[str]] = {
    "admin.user_edit": frozenset({"POST"}),
    "admin.user_new": frozenset({"POST"}),
    "admin.membership_add": frozenset({"POST"}),
    "admin.membership_end": frozenset({"POST"}),
    "admin.two_factor_reset": frozenset({"POST"}),
    "mfa.reset_own": frozenset({"POST"}),
    "mfa.new_recovery_codes": frozenset({"POST"}),
}
_REAUTH_KEY = "accounts.reauth_endpoints"


def require_recent_auth(app: Flask, endpoint: str, methods: frozenset[str] = frozenset({"GET", "POST"})) -> None:
    """Ask for the password and a code again (unless given in the last minutes) before ``endpoint``."""
    add(_REAUTH_KEY, app, endpoint, frozenset(methods), "re-authenticated endpoint")


def reauth_redirect():
    """Send the user to confirm their identity, then back (GET: here; POST: the form page)."""
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
    endpoint = request.endpoint or ""
    methods = REAUTH_ENDPOINTS.get(endpoint) or registry(_REAUTH_KEY).get(endpoint)
    if methods and request.method in methods and not recently_authenticated():
        return reauth_redirect()
    return None


# --- wiring -----------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    app.config.setdefault("LOGIN_MAX_FAILURES_PER_ACCOUNT", 100)
    app.config.setdefault("LOGIN_MAX_FAILURES_PER_ADDRESS", 500)
    app.config.setdefault("TOTP_MAX_FAILURES", 10)
    app.config.setdefault("SESSION_IDLE_TIMEOUT", 30 * 60)
    app.config.setdefault("SESSION_ABSOLUTE_TIMEOUT", 12 * 3600)
    app.config.setdefault("REAUTH_MINUTES", 10)
    app.before_request(_before_request)
