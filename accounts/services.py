"""Administration services: people and their roles (teams, organisations and commitments are in
``accounts.teams``).

One function per change. Each checks that the actor is an administrator, validates, changes the
objects and flushes, and writes one audit record; the caller (view, CLI) owns the commit.
Nothing is deleted: people, roles, organisations and commitments are ended or deactivated, so
the history that refers to them stays intact.
"""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.i18n import LANGUAGES
from core.models import (
    Domain,
    Membership,
    Organisation,
    Role,
    Team,
    User,
)
from core.permissions import is_admin

from .forms import EMAIL_SHAPE
from .mfa import reset_second_factor as _reset
from .security import password_problem


class AccountError(ServiceError):
    """A refused administration step; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- helpers ----------------------------------------------------------------------------------

def require_admin(actor: User | None) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_("Only administrators can manage teams, people and organisations."))


def flush_or_refuse(message: str, field: str | None = None) -> None:
    """Flush; a unique-constraint race becomes a clear error (the caller rolls back)."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise AccountError(message, field) from exc


def changed_fields(obj: Any, values: dict[str, Any]) -> list[str]:
    return sorted(k for k, v in values.items() if getattr(obj, k) != v)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


# --- teams ------------------------------------------------------------------------------------


# --- people -----------------------------------------------------------------------------------

def _check_password(password: str, email: str | None = None) -> None:
    problem = password_problem(password, email=email)
    if problem:
        raise AccountError(problem, "password")


def _check_email(email: str, user: User | None) -> None:
    if not email or len(email) > 254 or not re.fullmatch(EMAIL_SHAPE, email):
        raise AccountError(_("Enter a valid e-mail address."), "email")
    query = sa.select(User.id).where(sa.func.lower(User.email) == email)
    if user is not None:
        query = query.where(User.id != user.id)
    if db.session.scalar(query.limit(1)) is not None:
        raise AccountError(_("Another account already uses the e-mail address %(email)s.", email=email), "email")


def _check_locale(locale: str) -> None:
    if locale not in LANGUAGES:
        raise AccountError(_("Choose a language."), "locale")


def create_user(
    actor: User, *, email: str, name: str, password: str, is_admin: bool = False, locale: str = "nl"
) -> User:
    """Create an account; the e-mail address is stored lower-cased and must be unique."""
    require_admin(actor)
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise AccountError(_("Enter a name."), "name")
    _check_email(email, None)
    if not password:
        raise AccountError(_("A new account needs a password."), "password")
    _check_password(password, email)
    _check_locale(locale)
    user = User(email=email, name=name, is_admin=bool(is_admin), locale=locale, active=True)
    user.set_password(password)
    db.session.add(user)
    flush_or_refuse(_("Another account already uses the e-mail address %(email)s.", email=email), "email")
    audit.record(
        "user.create", object_type="user", object_id=user.id, actor=actor,
        details={"is_admin": user.is_admin},
    )
    return user


def update_user(
    user: User,
    actor: User,
    *,
    email: str,
    name: str,
    is_admin: bool,
    locale: str,
    password: str | None = None,
) -> User:
    """Change a person's details; an empty password keeps the current one.

    A new password ends the person's other sessions. An administrator cannot take away their
    own administrator flag (they would lock themselves out).
    """
    require_admin(actor)
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise AccountError(_("Enter a name."), "name")
    _check_email(email, user)
    _check_locale(locale)
    if user.id == actor.id and not is_admin:
        raise AccountError(_("You cannot remove your own administrator rights."), "is_admin")
    if password:
        _check_password(password, email)
    values = {"email": email, "name": name, "is_admin": bool(is_admin), "locale": locale}
    changed = changed_fields(user, values)
    for key, value in values.items():
        setattr(user, key, value)
    if password:
        user.set_password(password)
        user.session_version += 1
        changed.append("password")
    flush_or_refuse(_("Another account already uses the e-mail address %(email)s.", email=email), "email")
    # Names the changed fields only, never their values (and never the password).
    audit.record("user.update", object_type="user", object_id=user.id, actor=actor, details={"fields": changed})
    return user


def deactivate_user(user: User, actor: User) -> User:
    """Stop an account: it cannot sign in, and its open sessions end. Nothing is deleted."""
    require_admin(actor)
    if user.id == actor.id:
        raise AccountError(_("You cannot deactivate your own account."))
    if not user.active:
        raise AccountError(_("%(name)s is already deactivated.", name=user.name))
    user.active = False
    user.session_version += 1
    db.session.flush()
    audit.record("user.deactivate", object_type="user", object_id=user.id, actor=actor)
    return user


def reset_second_factor(user: User, actor: User) -> User:
    """Forget a person's authenticator and recovery codes (a lost phone) and end their sessions;
    they enrol again at their next sign-in. Administrators reset their own on their account page."""
    require_admin(actor)
    if user.id == actor.id:
        raise AccountError(_("Reset your own second factor on your account page."))
    _reset(user)
    audit.record("user.mfa_reset", object_type="user", object_id=user.id, actor=actor, details={"own": False})
    return user


def reactivate_user(user: User, actor: User) -> User:
    require_admin(actor)
    if user.active:
        raise AccountError(_("%(name)s is already active.", name=user.name))
    user.active = True
    db.session.flush()
    audit.record("user.reactivate", object_type="user", object_id=user.id, actor=actor)
    return user


# --- roles ------------------------------------------------------------------------------------

def add_membership(
    user: User,
    actor: User,
    *,
    team: Team,
    role: Role,
    domain: Domain | None = None,
    organisation: Organisation | None = None,
) -> Membership:
    """Give ``user`` a role in ``team``.

    Experts need a domain the team covers; organisation contacts need an organisation; case
    owners may name theirs. A person has each role at most once per team; an ended role of the
    same kind is taken up again (with the new domain or organisation) rather than duplicated.
    """
    require_admin(actor)
    role = Role(role)
    domain = Domain(domain) if domain else None
    if not team.active:
        raise AccountError(_("The team %(team)s is not active.", team=team.name), "team_id")
    if role == Role.EXPERT:
        if domain is None:
            raise AccountError(_("An expert needs a domain."), "domain")
        if domain not in team.domain_values:
            raise AccountError(
                _("The team %(team)s does not cover the domain %(domain)s.", team=team.name, domain=domain.label),
                "domain",
            )
    elif domain is not None:
        raise AccountError(_("Only experts have a domain; leave it empty for this role."), "domain")
    if role == Role.ORG_CONTACT:
        if organisation is None:
            raise AccountError(_("An organisation contact needs an organisation."), "organisation_id")
    elif organisation is not None and role != Role.CASE_OWNER:
        raise AccountError(
            _("Only organisation contacts and case owners belong to an organisation; leave it empty for this role."),
            "organisation_id",
        )
    if organisation is not None and not organisation.active:
        raise AccountError(
            _("The organisation %(name)s is not active.", name=organisation.name), "organisation_id"
        )
    existing = db.session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user.id, Membership.team_id == team.id, Membership.role == role
        )
    )
    if existing is not None and existing.active:
        raise AccountError(
            _("%(name)s already has the role %(role)s in %(team)s.", name=user.name, role=role.label, team=team.name),
            "role",
        )
    if existing is not None:
        membership = existing
        membership.active = True
        membership.domain = domain
        membership.organisation = organisation
        resumed = True
    else:
        membership = Membership(user=user, team=team, role=role, domain=domain, organisation=organisation)
        db.session.add(membership)
        resumed = False
    flush_or_refuse(
        _("%(name)s already has the role %(role)s in %(team)s.", name=user.name, role=role.label, team=team.name),
        "role",
    )
    audit.record(
        "membership.add", object_type="membership", object_id=membership.id, actor=actor, team_id=team.id,
        details={
            "user_id": user.id,
            "role": role.value,
            "domain": domain.value if domain else None,
            "organisation_id": organisation.id if organisation else None,
            "resumed": resumed,
        },
    )
    return membership


def end_membership(membership: Membership, actor: User) -> Membership:
    """End a role; the row stays so history (who was expert when) remains readable."""
    require_admin(actor)
    if not membership.active:
        raise AccountError(_("This role has already ended."))
    membership.active = False
    db.session.flush()
    audit.record(
        "membership.end", object_type="membership", object_id=membership.id, actor=actor,
        team_id=membership.team_id, details={"user_id": membership.user_id, "role": membership.role.value},
    )
    return membership


# --- organisations and commitments ------------------------------------------------------------


