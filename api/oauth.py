"""OAuth 2 client credentials with Authlib: the token endpoint (``AuthorizationServer``) and the
bearer-token check of every resource (``ResourceProtector``), one of each per app.

Tokens are random (42 characters), short-lived (API_TOKEN_LIFETIME seconds, default 900) and
stored as SHA-256 hashes. A token stops working when it expires, or at once when its client is
revoked or expires or its account is deactivated. A rotation of the secret ends the tokens issued
before with its grace period (at once without one, ``clients.rotate_secret``); a token got with
the previous secret during the grace period ends with it too.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Flask, current_app
from sqlalchemy.orm import joinedload

from core import audit
from core.clock import utcnow
from core.db import db

from . import clients
from .models import SCOPES, ApiClient, ApiToken

_KEY = "api.oauth"


class Client(ClientMixin):
    """Authlib's view of an ``ApiClient``."""

    def __init__(self, row: ApiClient):
        self.row = row
        #: Which secret authenticated the request (``clients.check_secret``).
        self.secret: str | None = None

    def get_client_id(self):
        return self.row.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        allowed = self.row.scope_list
        if not scope:
            return " ".join(allowed)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        now = utcnow()
        self.secret = clients.check_secret(self.row, client_secret, now) if self.row.usable(now) else None
        return self.secret is not None

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


class Token(TokenMixin):
    def __init__(self, row: ApiToken):
        self.row = row

    def check_client(self, client):
        return client.row.id == self.row.client_id

    def get_scope(self):
        return self.row.scope

    def get_expires_in(self):
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self):
        return self.row.expires_at <= utcnow()

    def is_revoked(self):
        return not self.row.client.usable(utcnow())

    @property
    def client(self) -> ApiClient:
        return self.row.client


class ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class Validator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        row = db.session.scalar(
            sa.select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(token_string.encode()).hexdigest())
            .options(joinedload(ApiToken.client).joinedload(ApiClient.user)))
        return Token(row) if row is not None else None


def _query_client(client_id: str):
    row = db.session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
    return Client(row) if row is not None else None


def _save_token(token: dict, request) -> None:
    client: ApiClient = request.client.row
    now = utcnow()
    expires_at = now + timedelta(seconds=token["expires_in"])
    if request.client.secret == "previous" and client.previous_valid_until < expires_at:
        # A token got with the rotated-out secret ends with its grace period; the answer says so.
        expires_at = client.previous_valid_until
        token["expires_in"] = max(int((expires_at - now).total_seconds()), 1)
    row = ApiToken(client_id=client.id, token_hash=hashlib.sha256(token["access_token"].encode()).hexdigest(),
                   scope=token.get("scope", ""), issued_at=now, expires_at=expires_at)
    db.session.add(row)
    clients.sync_teams(client, None, now)  # the organisation's commitments of today
    db.session.flush()
    audit.record("api.token", object_type="api_client", object_id=client.id, actor=client.user,
                 details={"scope": row.scope})


def init_app(app: Flask) -> None:
    lifetime = int(app.config.get("API_TOKEN_LIFETIME", 900))
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {"client_credentials": lifetime})
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", list(SCOPES))
    server = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(ClientCredentials)
    protector = ResourceProtector()
    protector.register_token_validator(Validator())
    app.extensions[_KEY] = (server, protector)


def server() -> AuthorizationServer:
    return current_app.extensions[_KEY][0]


def protector() -> ResourceProtector:
    return current_app.extensions[_KEY][1]
