"""Administration services: teams, people, roles, organisations and commitments.

One function per change. Each checks that the actor is an administrator, validates, changes the
objects and flushes, and writes one audit record; the caller (view, CLI) owns the commit.
Nothing is deleted: people, roles, organisations and commitments are ended or deactivated, so
the history that refers to them stays intact.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, time
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.i18n import LANGUAGES
from core.models import (
    Commitment,
    Domain,
    Membership,
    Organisation,
    OrganisationDomain,
    Role,
    Team,
    TeamDomain,
    User,
)

from .forms import EMAIL_SHAPE


class AccountError(ServiceError):
    """A refused administration step; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


#: Team fields an administrator sets (besides the domains).
TEAM_FIELDS = (
    "name",
    "municipality",
    "code",
    "meeting_weekday",
    "meeting_start",
    "meeting_end",
    "location",
    "capacity",
    "quorum",
)


# --- helpers ----------------------------------------------------------------------------------

def _require_admin(actor: User | None) -> None:
    if actor is None or not getattr(actor, "is_admin", False) or not actor.active:
        raise PermissionDenied(_("Only administrators can manage teams, people and organisations."))


def _flush(message: str, field: str | None = None) -> None:
    """Flush; a unique-constraint race becomes a clear error (the caller rolls back)."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise AccountError(message, field) from exc


def _changed(obj: Any, values: dict[str, Any]) -> list[str]:
    return sorted(k for k, v in values.items() if getattr(obj, k) != v)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


# --- teams ------------------------------------------------------------------------------------

def _check_team(team: Team | None, values: dict[str, Any], domains: set[Domain]) -> None:
    name = values["name"]
    code = values["code"]
    if not name:
        raise AccountError(_("A team needs a name."), "name")
    if not values["municipality"]:
        raise AccountError(_("A team needs a municipality."), "municipality")
    if not (2 <= len(code) <= 8 and code.isascii() and code.isalpha() and code.isupper()):
        raise AccountError(_("Use 2 to 8 capital letters."), "code")
    if not domains:
        raise AccountError(_("Choose at least one domain."), "domains")
    if not 0 <= values["meeting_weekday"] <= 6:
        raise AccountError(_("Choose a weekday."), "meeting_weekday")
    start: time = values["meeting_start"]
    end: time = values["meeting_end"]
    if start is None or end is None or end <= start:
        raise AccountError(_("The end time must be after the start time."), "meeting_end")
    if not 1 <= values["capacity"] <= 20:
        raise AccountError(_("Cases per meeting must be between 1 and 20."), "capacity")
    if not 1 <= values["quorum"] <= 30:
        raise AccountError(_("The quorum must be between 1 and 30."), "quorum")
    others = sa.select(Team.id).where(Team.id != team.id) if team is not None else sa.select(Team.id)
    if db.session.scalar(others.where(sa.func.lower(Team.name) == name.lower()).limit(1)) is not None:
        raise AccountError(_("There is already a team called %(name)s.", name=name), "name")
    if db.session.scalar(others.where(Team.code == code).limit(1)) is not None:
        raise AccountError(_("The reference code %(code)s is already used by another team.", code=code), "code")


def _team_values(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(TEAM_FIELDS)
    if unknown:
        raise TypeError(f"unknown team fields: {sorted(unknown)}")
    values = dict(fields)
    for key in ("name", "municipality", "location"):
        values[key] = (values.get(key) or "").strip()
    values["code"] = (values.get("code") or "").strip().upper()
    return values


def create_team(actor: User, *, domains: Iterable[Domain], **fields: Any) -> Team:
    """Create a team with its domains and meeting defaults."""
    _require_admin(actor)
    missing = set(TEAM_FIELDS) - set(fields) - {"location"}
    if missing:
        raise TypeError(f"missing team fields: {sorted(missing)}")
    values = _team_values(fields)
    wanted = {Domain(d) for d in domains}
    _check_team(None, values, wanted)
    team = Team(**values)
    team.domains = [TeamDomain(domain=d) for d in sorted(wanted)]
    db.session.add(team)
    _flush(_("A team with this name or code already exists."), "name")
    audit.record(
        "team.create", object_type="team", object_id=team.id, actor=actor, team_id=team.id,
        details={"name": team.name, "code": team.code, "domains": [d.value for d in sorted(wanted)]},
    )
    return team


def update_team(team: Team, actor: User, *, domains: Iterable[Domain], **fields: Any) -> Team:
    """Change a team's name, municipality, code, domains or meeting defaults."""
    _require_admin(actor)
    values = {key: getattr(team, key) for key in TEAM_FIELDS}
    values.update(_team_values(fields))
    wanted = {Domain(d) for d in domains}
    _check_team(team, values, wanted)
    removed = set(team.domain_values) - wanted
    if removed:
        # An active expert's domain cannot disappear from under them: end that role first.
        in_use = db.session.scalars(
            sa.select(Membership.domain).where(
                Membership.team_id == team.id,
                Membership.active.is_(True),
                Membership.role == Role.EXPERT,
                Membership.domain.in_(list(removed)),
            ).distinct()
        ).all()
        if in_use:
            raise AccountError(
                _(
                    "These domains still have active experts in this team: %(domains)s. End those roles first.",
                    domains=", ".join(sorted(d.label for d in in_use)),
                ),
                "domains",
            )
    changed = _changed(team, values)
    for key, value in values.items():
        setattr(team, key, value)
    if set(team.domain_values) != wanted:
        changed.append("domains")
        team.domains = [d for d in team.domains if d.domain in wanted] + [
            TeamDomain(domain=d) for d in sorted(wanted - set(team.domain_values))
        ]
    _flush(_("A team with this name or code already exists."), "name")
    audit.record(
        "team.update", object_type="team", object_id=team.id, actor=actor, team_id=team.id,
        details={"fields": changed},
    )
    return team


# --- people -----------------------------------------------------------------------------------

def _check_password(password: str, email: str | None = None) -> None:
    from .security import password_problem

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
    _require_admin(actor)
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
    _flush(_("Another account already uses the e-mail address %(email)s.", email=email), "email")
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
    _require_admin(actor)
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
    changed = _changed(user, values)
    for key, value in values.items():
        setattr(user, key, value)
    if password:
        user.set_password(password)
        user.session_version += 1
        changed.append("password")
    _flush(_("Another account already uses the e-mail address %(email)s.", email=email), "email")
    # Names the changed fields only, never their values (and never the password).
    audit.record("user.update", object_type="user", object_id=user.id, actor=actor, details={"fields": changed})
    return user


def deactivate_user(user: User, actor: User) -> User:
    """Stop an account: it cannot sign in, and its open sessions end. Nothing is deleted."""
    _require_admin(actor)
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
    from .mfa import reset_second_factor as _reset

    _require_admin(actor)
    if user.id == actor.id:
        raise AccountError(_("Reset your own second factor on your account page."))
    _reset(user)
    audit.record("user.mfa_reset", object_type="user", object_id=user.id, actor=actor, details={"own": False})
    return user


def reactivate_user(user: User, actor: User) -> User:
    _require_admin(actor)
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
    _require_admin(actor)
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
    _flush(
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
    _require_admin(actor)
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

def _check_organisation_name(name: str, organisation: Organisation | None) -> None:
    if not name:
        raise AccountError(_("Enter a name."), "name")
    query = sa.select(Organisation.id).where(sa.func.lower(Organisation.name) == name.lower())
    if organisation is not None:
        query = query.where(Organisation.id != organisation.id)
    if db.session.scalar(query.limit(1)) is not None:
        raise AccountError(_("There is already an organisation called %(name)s.", name=name), "name")


def create_organisation(actor: User, *, name: str, domains: Iterable[Domain] = ()) -> Organisation:
    _require_admin(actor)
    name = (name or "").strip()
    _check_organisation_name(name, None)
    wanted = {Domain(d) for d in domains}
    organisation = Organisation(name=name, active=True)
    organisation.domains = [OrganisationDomain(domain=d) for d in sorted(wanted)]
    db.session.add(organisation)
    _flush(_("There is already an organisation called %(name)s.", name=name), "name")
    audit.record(
        "organisation.create", object_type="organisation", object_id=organisation.id, actor=actor,
        details={"name": name, "domains": [d.value for d in sorted(wanted)]},
    )
    return organisation


def update_organisation(
    organisation: Organisation, actor: User, *, name: str, domains: Iterable[Domain], active: bool = True
) -> Organisation:
    """Rename an organisation, change its domains, or (de)activate it; nothing is deleted."""
    _require_admin(actor)
    name = (name or "").strip()
    _check_organisation_name(name, organisation)
    wanted = {Domain(d) for d in domains}
    values = {"name": name, "active": bool(active)}
    changed = _changed(organisation, values)
    for key, value in values.items():
        setattr(organisation, key, value)
    if set(organisation.domain_values) != wanted:
        changed.append("domains")
        organisation.domains = [d for d in organisation.domains if d.domain in wanted] + [
            OrganisationDomain(domain=d) for d in sorted(wanted - set(organisation.domain_values))
        ]
    _flush(_("There is already an organisation called %(name)s.", name=name), "name")
    audit.record(
        "organisation.update", object_type="organisation", object_id=organisation.id, actor=actor,
        details={"fields": changed},
    )
    return organisation


def set_commitment(
    organisation: Organisation,
    team: Team,
    actor: User,
    *,
    committed_on: date,
    ended_on: date | None = None,
    note: str = "",
    today: date | None = None,
) -> Commitment:
    """Record (or correct) the organisation's signed commitment to ``team``: one row per pair."""
    _require_admin(actor)
    today = today or date.today()
    note = (note or "").strip()
    if committed_on is None:
        raise AccountError(_("Enter the date the commitment was signed."), "committed_on")
    if committed_on > today:
        raise AccountError(_("The signing date cannot be in the future."), "committed_on")
    if ended_on is not None and ended_on <= committed_on:
        raise AccountError(_("The end date must be after the signing date."), "ended_on")
    if len(note) > 500:
        raise AccountError(_("The note can be at most 500 characters."), "note")
    if ended_on is None and not organisation.active:
        raise AccountError(
            _("The organisation %(name)s is not active; reactivate it before recording a commitment.", name=organisation.name)
        )
    commitment = db.session.scalar(
        sa.select(Commitment).where(Commitment.team_id == team.id, Commitment.organisation_id == organisation.id)
    )
    created = commitment is None
    if created:
        commitment = Commitment(team=team, organisation=organisation, committed_on=committed_on)
        db.session.add(commitment)
    values = {"committed_on": committed_on, "ended_on": ended_on, "note": note}
    changed = [] if created else _changed(commitment, values)
    for key, value in values.items():
        setattr(commitment, key, value)
    _flush(_("This organisation already has a commitment to %(team)s.", team=team.name), "team_id")
    audit.record(
        "commitment.set", object_type="commitment", object_id=commitment.id, actor=actor, team_id=team.id,
        details={
            "organisation_id": organisation.id,
            "committed_on": committed_on.isoformat(),
            "ended_on": ended_on.isoformat() if ended_on else None,
            "created": created,
            "fields": changed,
        },
    )
    return commitment


def end_commitment(commitment: Commitment, actor: User, *, ended_on: date | None = None) -> Commitment:
    """End a commitment (default today): the organisation can receive no new actions from this team."""
    _require_admin(actor)
    ended_on = ended_on or date.today()
    if commitment.ended_on is not None and commitment.ended_on <= ended_on:
        raise AccountError(_("This commitment has already ended."))
    if ended_on < commitment.committed_on:
        raise AccountError(_("A commitment cannot end before it was signed."))
    commitment.ended_on = ended_on
    db.session.flush()
    audit.record(
        "commitment.end", object_type="commitment", object_id=commitment.id, actor=actor,
        team_id=commitment.team_id,
        details={"organisation_id": commitment.organisation_id, "ended_on": ended_on.isoformat()},
    )
    return commitment
