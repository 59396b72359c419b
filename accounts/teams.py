"""Administration services: teams with their domains and meeting defaults, organisations, and
each organisation's commitment to a team. Same rules as ``accounts.services``: an administrator
acts, one audit record per change, nothing is deleted; the caller commits."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit
from core.clock import team_today
from core.db import db
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

from .services import AccountError, changed_fields, flush_or_refuse, require_admin

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
    require_admin(actor)
    missing = set(TEAM_FIELDS) - set(fields) - {"location"}
    if missing:
        raise TypeError(f"missing team fields: {sorted(missing)}")
    values = _team_values(fields)
    wanted = {Domain(d) for d in domains}
    _check_team(None, values, wanted)
    team = Team(**values)
    team.domains = [TeamDomain(domain=d) for d in sorted(wanted)]
    db.session.add(team)
    flush_or_refuse(_("A team with this name or code already exists."), "name")
    audit.record(
        "team.create", object_type="team", object_id=team.id, actor=actor, team_id=team.id,
        details={"code": team.code, "domains": [d.value for d in sorted(wanted)]},
    )
    return team


def update_team(team: Team, actor: User, *, domains: Iterable[Domain], **fields: Any) -> Team:
    """Change a team's name, municipality, code, domains or meeting defaults."""
    require_admin(actor)
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
    changed = changed_fields(team, values)
    for key, value in values.items():
        setattr(team, key, value)
    if set(team.domain_values) != wanted:
        changed.append("domains")
        team.domains = [d for d in team.domains if d.domain in wanted] + [
            TeamDomain(domain=d) for d in sorted(wanted - set(team.domain_values))
        ]
    flush_or_refuse(_("A team with this name or code already exists."), "name")
    audit.record(
        "team.update", object_type="team", object_id=team.id, actor=actor, team_id=team.id,
        details={"fields": changed},
    )
    return team


def _check_organisation_name(name: str, organisation: Organisation | None) -> None:
    if not name:
        raise AccountError(_("Enter a name."), "name")
    query = sa.select(Organisation.id).where(sa.func.lower(Organisation.name) == name.lower())
    if organisation is not None:
        query = query.where(Organisation.id != organisation.id)
    if db.session.scalar(query.limit(1)) is not None:
        raise AccountError(_("There is already an organisation called %(name)s.", name=name), "name")


def create_organisation(actor: User, *, name: str, domains: Iterable[Domain] = ()) -> Organisation:
    require_admin(actor)
    name = (name or "").strip()
    _check_organisation_name(name, None)
    wanted = {Domain(d) for d in domains}
    organisation = Organisation(name=name, active=True)
    organisation.domains = [OrganisationDomain(domain=d) for d in sorted(wanted)]
    db.session.add(organisation)
    flush_or_refuse(_("There is already an organisation called %(name)s.", name=name), "name")
    audit.record(
        "organisation.create", object_type="organisation", object_id=organisation.id, actor=actor,
        details={"domains": [d.value for d in sorted(wanted)]},
    )
    return organisation


def update_organisation(
    organisation: Organisation, actor: User, *, name: str, domains: Iterable[Domain], active: bool = True
) -> Organisation:
    """Rename an organisation, change its domains, or (de)activate it; nothing is deleted."""
    require_admin(actor)
    name = (name or "").strip()
    _check_organisation_name(name, organisation)
    wanted = {Domain(d) for d in domains}
    values = {"name": name, "active": bool(active)}
    changed = changed_fields(organisation, values)
    for key, value in values.items():
        setattr(organisation, key, value)
    if set(organisation.domain_values) != wanted:
        changed.append("domains")
        organisation.domains = [d for d in organisation.domains if d.domain in wanted] + [
            OrganisationDomain(domain=d) for d in sorted(wanted - set(organisation.domain_values))
        ]
    flush_or_refuse(_("There is already an organisation called %(name)s.", name=name), "name")
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
    escalation_name: str | None = None,
    escalation_email: str | None = None,
) -> Commitment:
    """Record (or correct) the organisation's signed commitment to ``team``: one row per pair."""
    require_admin(actor)
    today = today or team_today(team)
    note = (note or "").strip()
    if committed_on is None:
        raise AccountError(_("Enter the date the commitment was signed."), "committed_on")
    if committed_on > today:
        raise AccountError(_("The signing date cannot be in the future."), "committed_on")
    if ended_on is not None and ended_on <= committed_on:
        raise AccountError(_("The end date must be after the signing date."), "ended_on")
    if len(note) > 500:
        raise AccountError(_("The note can be at most 500 characters."), "note")
    escalation_name = " ".join((escalation_name or "").split())
    escalation_email = (escalation_email or "").strip()
    if escalation_email and (len(escalation_email) > 254 or " " in escalation_email
                             or escalation_email.count("@") != 1 or "." not in escalation_email.rpartition("@")[2]):
        raise AccountError(_("Enter a valid e-mail address for the escalation contact."), "escalation_email")
    if len(escalation_name) > 160:
        raise AccountError(_("The name can be at most 160 characters."), "escalation_name")
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
    if escalation_name is not None or escalation_email is not None:
        values.update(escalation_name=escalation_name, escalation_email=escalation_email)
    changed = [] if created else changed_fields(commitment, values)
    for key, value in values.items():
        setattr(commitment, key, value)
    flush_or_refuse(_("This organisation already has a commitment to %(team)s.", team=team.name), "team_id")
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
    require_admin(actor)
    ended_on = ended_on or team_today(commitment.team)
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
