"""Who is who in a team: the people queries every package shares (one query each)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa

from .clock import team_today
from .db import db
from .models import Commitment, Membership, Organisation, Role, Team, User


def team_members(team_id: int, *roles: Role) -> list[User]:
    """Active people with one of ``roles`` in the team (each once, by id)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.team_id == team_id,
                Membership.active.is_(True),
                Membership.role.in_(list(roles)),
                User.active.is_(True),
            )
            .distinct()
            .order_by(User.id)
        )
    )


def organisation_contacts(team_id: int, organisation_ids: Iterable[int]) -> dict[int, list[User]]:
    """Active contacts per organisation within the team (one query); organisations without a
    contact map to an empty list."""
    ids = set(organisation_ids)
    out: dict[int, list[User]] = defaultdict(list)
    if not ids:
        return out
    rows = db.session.execute(
        sa.select(Membership.organisation_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.team_id == team_id, Membership.role == Role.ORG_CONTACT, Membership.active.is_(True),
               Membership.organisation_id.in_(ids), User.active.is_(True))
        .order_by(User.id)
    ).all()
    seen: set[tuple[int, int]] = set()
    for org_id, user in rows:
        if (org_id, user.id) not in seen:
            seen.add((org_id, user.id))
            out[org_id].append(user)
    return out


def _members(role: Role, team_ids: Iterable[int], organisation_ids: Iterable[int] | None = None):
    """(team id, organisation id, user) of the active memberships with ``role`` in the teams
    (and organisations), by user: one query for all teams."""
    query = (
        sa.select(Membership.team_id, Membership.organisation_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.team_id.in_(sorted(team_ids)), Membership.role == role, Membership.active.is_(True),
               User.active.is_(True))
        .order_by(User.id)
    )
    if organisation_ids is not None:
        query = query.where(Membership.organisation_id.in_(sorted(organisation_ids)))
    return db.session.execute(query)


def members_by_team(team_ids: Iterable[int], role: Role) -> dict[int, list[User]]:
    """Active people with ``role`` per team, for any number of teams in one query (a set-based
    job tells the chairs of all the teams it touched); a team without one is missing."""
    team_ids = set(team_ids)
    out: dict[int, list[User]] = defaultdict(list)
    if not team_ids:
        return out
    for team_id, _organisation_id, user in _members(role, team_ids):
        if user not in out[team_id]:
            out[team_id].append(user)
    return out


def contacts_by_team(team_ids: Iterable[int], organisation_ids: Iterable[int]) -> dict[tuple[int, int], list[User]]:
    """Active contacts per (team id, organisation id), for any number of teams and organisations
    in one query (``organisation_contacts`` across teams); a pair without one is missing."""
    team_ids, organisation_ids = set(team_ids), set(organisation_ids)
    out: dict[tuple[int, int], list[User]] = defaultdict(list)
    if not team_ids or not organisation_ids:
        return out
    for team_id, organisation_id, user in _members(Role.ORG_CONTACT, team_ids, organisation_ids):
        if user not in out[(team_id, organisation_id)]:
            out[(team_id, organisation_id)].append(user)
    return out


def _committed_on(team_id: int, on: date):
    return sa.and_(
        Commitment.team_id == team_id,
        Commitment.committed_on <= on,
        sa.or_(Commitment.ended_on.is_(None), Commitment.ended_on > on),
        Organisation.active.is_(True),
    )


def committed_organisations(team: Team, on: date | None = None) -> list[Organisation]:
    """Active organisations with a commitment to the team that holds on ``on`` (default: the
    team's today): the organisations that can be given actions and asked to signal."""
    on = on or team_today(team)
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .join(Commitment, Commitment.organisation_id == Organisation.id)
            .where(_committed_on(team.id, on))
            .order_by(Organisation.name)
        )
    )


def committed_organisation_ids(team: Team, on: date | None = None) -> set[int]:
    """The ids of ``committed_organisations(team, on)``."""
    on = on or team_today(team)
    return set(
        db.session.scalars(
            sa.select(Organisation.id)
            .join(Commitment, Commitment.organisation_id == Organisation.id)
            .where(_committed_on(team.id, on))
        )
    )


def committed_first(team_id: int) -> tuple:
    """ORDER BY of organisations: the team's committed ones first, then by name."""
    committed = sa.exists().where(Commitment.organisation_id == Organisation.id, Commitment.team_id == team_id)
    return sa.not_(committed), Organisation.name


def organisations_committed_first(team: Team) -> list[Organisation]:
    """Every active organisation, the team's committed ones first (choices on forms)."""
    return list(
        db.session.scalars(
            sa.select(Organisation).where(Organisation.active.is_(True)).order_by(*committed_first(team.id))
        )
    )
