"""Sign-in with the organisation's own account: OpenID Connect (authorization code flow with
PKCE S256, ``state`` and ``nonce``) through Authlib's Flask client.

* **Providers** come from the configuration (``OIDC_PROVIDERS``: a JSON list, or
  ``OIDC_PROVIDERS_FILE``: a JSON file with that list), each with its issuer (discovery from
  ``<issuer>/.well-known/openid-configuration``), client, scopes, the e-mail domains it serves,
  the ``acr``/``amr`` values that count as strong multi-factor sign-in, and whether password
  sign-in is switched off for its domains. ``load_providers`` checks them at start-up.
* **The flow** (``start`` and ``finish``) keeps its state, nonce and code verifier in the
  session (Authlib's state store) and checks everything a provider answers: the state, the
  ``iss`` of the authorization response (RFC 9207), the token endpoint's answer, the ID token's
  signature (the provider's published keys), issuer, audience, expiry and nonce. A problem is an
  ``OIDCError`` with a reason (``REASONS``); the views show a page for it and sign nobody in.
* **Who someone is** stays ours: ``resolve_user`` uses the link (``IdentityLink``: issuer +
  subject) when there is one; the first time it links to the existing account whose e-mail
  address matches, only when the provider asserts the address is verified and serves its domain.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any

import requests
import sqlalchemy as sa
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, request, session, url_for
from joserfc import errors as jose_errors

from core import audit
from core.clock import utcnow
from core.db import db
from core.models import User
from core.registry import add_template_global

from .oidc_models import IdentityLink

log = logging.getLogger(__name__)

_EXTENSION = "expertteam_oidc"
#: The session key, after signing out here, of the provider to sign out at (``oidc.sign_out``).
SIGN_OUT_AT = "oidc_sign_out_at"
#: How long a started sign-in may take at the provider (seconds).
FLOW_SECONDS = 10 * 60
#: After this many seconds the discovery document is read again (keys and endpoints may move).
METADATA_SECONDS = 3600
DEFAULT_SCOPES = ("openid", "email", "profile")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

#: Why a sign-in through a provider was refused: the reasons of the audit rows and log lines.
REASONS = (
    "provider_unreachable", "wrong_issuer", "bad_signature", "invalid_token", "token_expired",
    "nonce_mismatch", "state_mismatch", "token_refused", "provider_refused", "flow_expired",
    "no_link", "email_not_verified", "domain_not_served", "inactive", "already_linked",
    "not_fresh", "wrong_person", "throttled",
)


class OIDCConfigError(RuntimeError):
    """The providers' configuration cannot be used: the app refuses to start."""


class OIDCError(Exception):
    """A sign-in through a provider that must not go on; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, detail: str = "", user: User | None = None):
        assert reason in REASONS, reason
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.user = user
        self.purpose = "login"  # or 'reauth': set by ``finish`` once the flow is known


@dataclass(frozen=True)
class Provider:
    """One configured identity provider (the client secret is never shown or logged)."""

    name: str
    display_name: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    domains: tuple[str, ...] = ()
    strong_acr: frozenset[str] = frozenset()
    strong_amr: frozenset[str] = frozenset()
    password_sign_in: bool = True
    email_verified_claim: str = "email_verified"

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def serves(self, email: str) -> bool:
        """Does this provider speak for ``email``'s domain? (``*`` in ``domains``: every domain.)"""
        domain = email.rsplit("@", 1)[-1].strip().lower()
        return "*" in self.domains or domain in self.domains

    def strong(self, claims: dict) -> bool:
        """Did the provider assert a strong (multi-factor) sign-in, by ``acr`` or ``amr``?"""
        amr = claims.get("amr")
        amr = set(amr) if isinstance(amr, list) else set()
        return (claims.get("acr") in self.strong_acr) or bool(amr & self.strong_amr)

    def public(self) -> dict[str, Any]:
        """What an administrator may see: everything but the secret."""
        return {
            "name": self.name, "display_name": self.display_name, "issuer": self.issuer,
            "client_id": self.client_id, "scopes": " ".join(self.scopes), "domains": list(self.domains),
            "strong_acr": sorted(self.strong_acr), "strong_amr": sorted(self.strong_amr),
            "password_sign_in": self.password_sign_in, "email_verified_claim": self.email_verified_claim,
            "client_secret_set": bool(self.client_secret),
        }


# --- configuration ------------------------------------------------------------------------------

def _words(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise OIDCConfigError(f"OIDC provider: {what} must be a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def parse_provider(raw: dict[str, Any], environ: dict[str, str] | None = None) -> Provider:
    if not isinstance(raw, dict):
        raise OIDCConfigError("OIDC_PROVIDERS must be a list of objects")
    environ = os.environ if environ is None else environ
    name = str(raw.get("name", "")).strip()
    if not _NAME.match(name):
        raise OIDCConfigError(f"OIDC provider name {name!r}: use 1-64 lower-case letters, digits and dashes")
    issuer = str(raw.get("issuer", "")).strip()
    if not re.match(r"^https?://[^\s/]+", issuer):
        raise OIDCConfigError(f"OIDC provider {name}: issuer must be the provider's https URL")
    client_id = str(raw.get("client_id", "")).strip()
    secret = raw.get("client_secret")
    if not secret and raw.get("client_secret_env"):
        secret = environ.get(str(raw["client_secret_env"]))
    if not client_id or not secret:
        raise OIDCConfigError(f"OIDC provider {name}: client_id and client_secret (or client_secret_env) are required")
    scopes = _words(raw.get("scopes"), "scopes") or DEFAULT_SCOPES
    if "openid" not in scopes:
        raise OIDCConfigError(f"OIDC provider {name}: scopes must include openid")
    domains = tuple(d.lower().lstrip("@") for d in _words(raw.get("domains"), "domains"))
    if not domains:
        raise OIDCConfigError(f"OIDC provider {name}: list the e-mail domains it serves (domains), or \"*\" for every domain")
    password = raw.get("password_sign_in", True)
    if not isinstance(password, bool):
        raise OIDCConfigError(f"OIDC provider {name}: password_sign_in must be true or false")
    return Provider(
        name=name, display_name=str(raw.get("display_name") or name), issuer=issuer, client_id=client_id,
        client_secret=str(secret), scopes=scopes, domains=domains,
        strong_acr=frozenset(_words(raw.get("strong_acr"), "strong_acr")),
        strong_amr=frozenset(_words(raw.get("strong_amr"), "strong_amr")),
        password_sign_in=password,
        email_verified_claim=str(raw.get("email_verified_claim") or "email_verified"),
    )


def load_providers(config: dict[str, Any]) -> list[Provider]:
    """The providers of ``OIDC_PROVIDERS`` (a list, or its JSON text) or ``OIDC_PROVIDERS_FILE``."""
    raw = config.get("OIDC_PROVIDERS")
    path = config.get("OIDC_PROVIDERS_FILE")
    if raw is None and path:
        try:
            with open(path, encoding="utf-8") as fh:
                raw = fh.read()
        except OSError as exc:
            raise OIDCConfigError(f"OIDC_PROVIDERS_FILE {path}: {exc.strerror}") from exc
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise OIDCConfigError(f"OIDC_PROVIDERS is not valid JSON: {exc}") from exc
    if not isinstance(raw, list):
        raise OIDCConfigError("OIDC_PROVIDERS must be a JSON list of providers")
    providers = [parse_provider(p) for p in raw]
    names = [p.name for p in providers]
    if len(set(names)) != len(names):
        raise OIDCConfigError("OIDC provider names must be unique")
    return providers


def init_app(app: Flask) -> None:
    """Read and check the providers; register each with one Authlib client registry per app."""
    app.config.setdefault("OIDC_CLOCK_SKEW", 60)
    app.config.setdefault("OIDC_HTTP_TIMEOUT", 10)
    providers = load_providers(app.config)
    oauth = OAuth(app)
    for p in providers:
        oauth.register(
            "oidc_" + p.name, client_id=p.client_id, client_secret=p.client_secret,
            server_metadata_url=p.metadata_url,
            client_kwargs={"scope": " ".join(p.scopes), "code_challenge_method": "S256",
                           "default_timeout": app.config["OIDC_HTTP_TIMEOUT"]},
        )
    app.extensions[_EXTENSION] = {p.name: p for p in providers}
    add_template_global(app, "oidc_providers", sign_in_providers)


def providers() -> dict[str, Provider]:
    return current_app.extensions.get(_EXTENSION, {})


def sign_in_providers() -> list[Provider]:
    return list(providers().values())


def get_provider(name: str) -> Provider | None:
    return providers().get(name)


def password_off_provider(email: str) -> Provider | None:
    """The provider that switched password sign-in off for ``email``'s domain, if any."""
    for p in providers().values():
        if not p.password_sign_in and "*" not in p.domains and p.serves(email):
            return p
    return None


def _client(p: Provider):
    return current_app.extensions["authlib.integrations.flask_client"].create_client("oidc_" + p.name)


# --- the provider's discovery document ------------------------------------------------------------

def metadata(p: Provider) -> dict[str, Any]:
    """The discovery document (read again after an hour); its issuer must be the configured one."""
    client = _client(p)
    loaded = client.server_metadata.get("_loaded_at")
    if loaded and time.time() - loaded > METADATA_SECONDS:
        client.server_metadata.clear()
    try:
        meta = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        client.server_metadata.clear()
        raise OIDCError("provider_unreachable", f"discovery: {type(exc).__name__}: {exc}") from exc
    if meta.get("issuer") != p.issuer:
        client.server_metadata.clear()
        raise OIDCError("wrong_issuer", f"discovery names issuer {meta.get('issuer')!r}")
    return meta


def redirect_uri(p: Provider) -> str:
    """The redirect URI to register at the provider: APP_BASE_URL + /login/oidc/<name>/callback."""
    return current_app.config["APP_BASE_URL"].rstrip("/") + url_for("oidc.callback", name=p.name)


# --- the flow -------------------------------------------------------------------------------------

def start(p: Provider, *, purpose: str, next_url: str = "") -> str:
    """Begin a sign-in (``purpose`` 'login') or a re-authentication ('reauth'); the URL to send
    the browser to. Re-authentication asks the provider for a fresh sign-in (``prompt=login``,
    ``max_age=0``) and ``finish`` checks the ``auth_time`` it answers."""
    metadata(p)
    client = _client(p)
    extra = {"prompt": "login", "max_age": 0} if purpose == "reauth" else {}
    try:
        rv = client.create_authorization_url(redirect_uri(p), **extra)
    except (requests.RequestException, RuntimeError) as exc:
        raise OIDCError("provider_unreachable", str(exc)) from exc
    url = rv.pop("url")
    client.save_authorize_data(redirect_uri=redirect_uri(p), purpose=purpose, next=next_url,
                               started=int(time.time()), **rv)
    return url


@dataclass
class Answer:
    """A checked answer of the provider: the ID token's claims and what the flow was for."""

    claims: dict[str, Any]
    purpose: str
    next_url: str
    started: int


def _claim_error(exc: Exception) -> str:
    claim = getattr(exc, "claim", "") or ""
    if claim == "nonce":
        return "nonce_mismatch"
    if claim == "iss":
        return "wrong_issuer"
    if claim in ("exp", "iat", "nbf"):
        return "token_expired"
    return "invalid_token"


def finish(p: Provider) -> Answer:
    """Check the provider's answer on the redirect URI and exchange the code; raises OIDCError."""
    client = _client(p)
    args = request.args
    state = args.get("state") or ""
    data = client.framework.get_state_data(session, state) if state else None
    if state:
        client.framework.clear_state_data(session, state)  # a state is used once
    if not data:
        raise OIDCError("state_mismatch", "no sign-in with this state was started in this browser")
    try:
        return _finish(p, client, data)
    except OIDCError as error:
        error.purpose = str(data.get("purpose") or "login")
        raise


def _finish(p: Provider, client, data: dict[str, Any]) -> Answer:
    args = request.args
    if args.get("error"):
        raise OIDCError("provider_refused", f"{args.get('error')}: {args.get('error_description', '')}"[:200])
    if args.get("iss") and args.get("iss") != p.issuer:
        raise OIDCError("wrong_issuer", f"authorization response from {args.get('iss')!r}")
    if time.time() - int(data.get("started", 0)) > FLOW_SECONDS:
        raise OIDCError("flow_expired", "the sign-in took too long")
    code = args.get("code")
    if not code:
        raise OIDCError("token_refused", "no code in the answer")
    metadata(p)
    try:
        token = client.fetch_access_token(redirect_uri=data["redirect_uri"], code=code,
                                          code_verifier=data.get("code_verifier"))
    except requests.RequestException as exc:
        raise OIDCError("provider_unreachable", f"token endpoint: {type(exc).__name__}") from exc
    except AuthlibBaseError as exc:
        raise OIDCError("token_refused", f"token endpoint: {exc.error}") from exc
    if not token.get("id_token"):
        raise OIDCError("invalid_token", "the token endpoint gave no ID token")
    skew = current_app.config["OIDC_CLOCK_SKEW"]
    options = {"iss": {"essential": True, "value": p.issuer}, "aud": {"essential": True, "value": p.client_id}}
    try:
        claims = client.parse_id_token(token, nonce=data.get("nonce"), claims_options=options, leeway=skew)
    except requests.RequestException as exc:
        raise OIDCError("provider_unreachable", f"keys: {type(exc).__name__}") from exc
    except (jose_errors.BadSignatureError, jose_errors.InvalidKeyIdError, jose_errors.MissingKeyError) as exc:
        raise OIDCError("bad_signature", type(exc).__name__) from exc
    except jose_errors.ExpiredTokenError as exc:
        raise OIDCError("token_expired", "exp") from exc
    except (jose_errors.InvalidClaimError, jose_errors.MissingClaimError) as exc:
        raise OIDCError(_claim_error(exc), f"claim {getattr(exc, 'claim', '')}") from exc
    except jose_errors.JoseError as exc:
        raise OIDCError("invalid_token", type(exc).__name__) from exc
    claims = dict(claims)
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or iat > time.time() + skew:
        raise OIDCError("token_expired", "iat in the future")
    if data.get("purpose") == "reauth":
        auth_time = claims.get("auth_time")
        if not isinstance(auth_time, (int, float)) or auth_time < int(data["started"]) - skew:
            raise OIDCError("not_fresh", f"auth_time {auth_time!r} before the request")
    return Answer(claims=claims, purpose=str(data.get("purpose") or "login"),
                  next_url=str(data.get("next") or ""), started=int(data["started"]))


# --- who it is --------------------------------------------------------------------------------------

def resolve_user(p: Provider, claims: dict[str, Any]) -> User:
    """The account of this provider's person: by the link, or (first time) by verified e-mail.

    Flushes a new link and its audit row, and the last use of an existing one; the caller commits.
    """
    issuer, subject = claims["iss"], str(claims["sub"])
    link = db.session.scalar(sa.select(IdentityLink).where(IdentityLink.issuer == issuer, IdentityLink.subject == subject))
    if link is not None:
        user = link.user
        if not user.active:
            raise OIDCError("inactive", user=user)
        link.last_used_at = utcnow()
        db.session.flush()
        return user
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise OIDCError("no_link", "no e-mail address in the ID token")
    if claims.get(p.email_verified_claim) is not True:
        raise OIDCError("email_not_verified", f"{p.email_verified_claim} is {claims.get(p.email_verified_claim)!r}")
    if not p.serves(email):
        raise OIDCError("domain_not_served", "the e-mail domain is not one this provider serves")
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise OIDCError("no_link", "no account with this e-mail address")
    if not user.active:
        raise OIDCError("inactive", user=user)
    other = db.session.scalar(sa.select(IdentityLink.id).where(IdentityLink.user_id == user.id, IdentityLink.issuer == issuer))
    if other is not None:
        raise OIDCError("already_linked", "the account is linked to another subject at this issuer", user=user)
    now = utcnow()
    link = IdentityLink(user_id=user.id, provider=p.name, issuer=issuer, subject=subject, linked_at=now, last_used_at=now)
    db.session.add(link)
    db.session.flush()
    audit.record("user.identity_link", object_type="user", object_id=user.id, actor=user,
                 details={"provider": p.name, "link": link.id})
    return user


def refuse(p: Provider | None, error: OIDCError, *, purpose: str = "login") -> None:
    """Log and audit a refused sign-in through a provider, and commit (nobody is signed in)."""
    db.session.rollback()
    name = p.name if p else "unknown"
    log.warning("sign-in through provider %s refused: %s", name, error)
    user = error.user
    audit.record("user.reauthenticate" if purpose == "reauth" else "user.login", object_type="user",
                 object_id=user.id if user else None, actor=None, result="failed",
                 details={"provider": name, "reason": error.reason})
    db.session.commit()


def end_session_url(name: str | None) -> str | None:
    """Where to send the browser after signing out here: the provider's end-session endpoint
    (RP-initiated logout) when its discovery document offers one, back to our sign-in page."""
    p = get_provider(name) if name else None
    if p is None:
        return None
    try:
        endpoint = metadata(p).get("end_session_endpoint")
    except OIDCError as exc:
        log.warning("sign-out at provider %s skipped: %s", p.name, exc)
        return None
    if not endpoint:
        return None
    back = current_app.config["APP_BASE_URL"].rstrip("/") + url_for("auth.login")
    return _client(p).create_logout_url(post_logout_redirect_uri=back, client_id=p.client_id)["url"]
