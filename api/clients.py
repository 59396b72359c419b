"""API clients: an administrator creates one for an organisation (the secret is shown once),
rotates its secret (the old one and the tokens issued before stay valid for a grace period, none
without it), sets its expiry, revokes it.
Each client acts through its own account: see ``api.models``. One function per change, audited;
the caller commits."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit
from core.clock import utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import (
    Commitment,
    Membership,
    NotificationPreference,
    Organisation,
    Role,
    User,
)
from core.permissions import is_admin

from .models import SCOPES, ApiClient, ApiToken

#: The password "hash" of a client's account: not a hash format, so no password ever matches.
NO_PASSWORD = "!api-client"
#: How long the previous secret stays valid after a rotation, by default.
DEFAULT_GRACE = timedelta(days=7)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _require_admin(actor: User) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_("Only an administrator manages API clients."))


def _audit(action: str, client: ApiClient, actor: User | None, **details) -> None:
    audit.record(action, object_type="api_client", object_id=client.id, actor=actor,
                 details={"organisation": client.organisation_id, **details})


def _check_scopes(scopes) -> str:
    chosen = [s for s in SCOPES if s in set(scopes or [])]
    if not chosen:
        raise ServiceError(_("Choose at least one permission."))
    if set(scopes) - set(SCOPES):
        raise ServiceError(_("Unknown permission."))
    return " ".join(chosen)


def create_client(actor: User, organisation: Organisation, *, name: str, scopes, expires_on: date | None = None,
                  now: datetime | None = None) -> tuple[ApiClient, str]:
    """A new client for the organisation with its own account; returns it and its secret (shown once)."""
    _require_admin(actor)
    now = now or utcnow()
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the client a name (the system that uses it)."))
    if len(name) > 100:
        raise ServiceError(_("The name is too long (at most %(max)d characters).", max=100))
    if not organisation.active:
        raise ServiceError(_("The organisation %(name)s is not active.", name=organisation.name))
    expires_at = _expiry(expires_on, now)
    client_id = "etc_" + secrets.token_urlsafe(18)
    user = User(email=f"{client_id.lower()}@api-client.invalid", name=f"{name} (API)", locale="nl",
                notification_preference=NotificationPreference.IN_APP,
                # No hash format: no password matches, the account cannot sign in to the pages.
                password_hash=NO_PASSWORD)
    db.session.add(user)
    db.session.flush()
    secret = secrets.token_urlsafe(32)
    client = ApiClient(client_id=client_id, organisation_id=organisation.id, organisation=organisation, user=user,
                       user_id=user.id, name=name, scopes=_check_scopes(scopes), secret_hash=hash_secret(secret),
                       expires_at=expires_at, created_by_id=actor.id, created_at=now)
    db.session.add(client)
    db.session.flush()
    _audit("api_client.create", client, actor, scopes=client.scopes, user=user.id)
    sync_teams(client, actor, now)
    return client, secret


def _expiry(expires_on: date | None, now: datetime) -> datetime | None:
    if expires_on is None:
        return None
    if expires_on <= now.date():
        raise ServiceError(_("The expiry date must be in the future."))
    return datetime.combine(expires_on, datetime.min.time(), tzinfo=now.tzinfo)


def update_client(client: ApiClient, actor: User, *, scopes, expires_on: date | None, now: datetime | None = None) -> None:
    _require_admin(actor)
    now = now or utcnow()
    client.scopes = _check_scopes(scopes)
    client.expires_at = _expiry(expires_on, now)
    db.session.flush()
    _audit("api_client.update", client, actor, scopes=client.scopes)


def rotate_secret(client: ApiClient, actor: User, *, grace: timedelta = DEFAULT_GRACE,
                  now: datetime | None = None) -> str:
    """A new secret (shown once); the current one stays valid for ``grace``, and so do the bearer
    tokens issued before: none outlives the grace period, so a rotation without grace stops them
    at once (a secret rotated because it leaked must not leave its tokens working). The audit row
    counts the live tokens cut short."""
    _require_admin(actor)
    if client.revoked_at is not None:
        raise ServiceError(_("This client is revoked."))
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    client.previous_secret_hash, client.previous_valid_until = client.secret_hash, now + grace
    client.secret_hash = hash_secret(secret)
    db.session.flush()
    ended = end_tokens(client, client.previous_valid_until)
    _audit("api_client.rotate", client, actor, grace_hours=int(grace.total_seconds() // 3600), tokens_ended=ended)
    return secret


def end_tokens(client: ApiClient, until: datetime) -> int:
    """Make the client's tokens expire at ``until`` at the latest (``until`` now: revoked at
    once); returns how many live ones were cut short."""
    return db.session.execute(
        sa.update(ApiToken).where(ApiToken.client_id == client.id, ApiToken.expires_at > until)
        .values(expires_at=until)).rowcount


def revoke_client(client: ApiClient, actor: User, now: datetime | None = None) -> None:
    """Revoke: its tokens stop working at once and its account is deactivated."""
    _require_admin(actor)
    if client.revoked_at is not None:
        raise ServiceError(_("This client is revoked."))
    client.revoked_at = now or utcnow()
    client.user.active = False
    client.user.session_version += 1
    db.session.flush()
    _audit("api_client.revoke", client, actor)


def check_secret(client: ApiClient, secret: str, now: datetime) -> str | None:
    """Which of the client's secrets ``secret`` is: ``"current"``, ``"previous"`` (only within its
    grace period: a token it gets lives no longer, see ``api.oauth``) or None."""
    given = hash_secret(secret or "")
    if hmac.compare_digest(given, client.secret_hash):
        return "current"
    if (client.previous_secret_hash and client.previous_valid_until and client.previous_valid_until > now
            and hmac.compare_digest(given, client.previous_secret_hash)):
        return "previous"
    return None


def sync_teams(client: ApiClient, actor: User | None, now: datetime | None = None) -> None:
    """The client's account is a contact of its organisation in exactly the teams the organisation
    is committed to today (called at creation and at every token)."""
    today = (now or utcnow()).date()
    teams = set(db.session.scalars(
        sa.select(Commitment.team_id).where(Commitment.organisation_id == client.organisation_id,
                                            Commitment.committed_on <= today,
                                            sa.or_(Commitment.ended_on.is_(None), Commitment.ended_on > today))))
    current = {m.team_id: m for m in client.user.memberships if m.role == Role.ORG_CONTACT}
    for team_id in sorted(teams | set(current)):
        membership = current.get(team_id)
        want = team_id in teams
        if membership is None:
            membership = Membership(user=client.user, team_id=team_id, role=Role.ORG_CONTACT,
                                    organisation_id=client.organisation_id, active=True)
            db.session.add(membership)
        elif membership.active == want:
            continue
        else:
            membership.active = want
        db.session.flush()
        audit.record("membership.add" if want else "membership.end", object_type="membership",
                     object_id=membership.id, actor=actor, team_id=team_id,
                     details={"user_id": client.user_id, "role": Role.ORG_CONTACT.value, "api_client": client.id})
