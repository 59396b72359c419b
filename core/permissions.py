"""The permission rules every package shares. Each package's own ``permissions.py`` builds on
these; views, services and templates ask there. One place per rule.

``case``-like arguments are any object with ``owner_id`` and ``team_id`` (the base knows no
case model).
"""
from __future__ import annotations

from .models import LEAD_ROLES, TEAM_ROLES, Role, User


def signed_in(user: User | None) -> bool:
    """An active, signed-in user (the first condition of every rule)."""
    return user is not None and getattr(user, "is_authenticated", False) and user.active


def is_admin(user: User | None) -> bool:
    """Installation administrator: manages teams, people, organisations; sees no case content."""
    return signed_in(user) and bool(user.is_admin)


def is_lead(user: User | None, team_id: int) -> bool:
    """Chair or secretary of the team: runs intake, builds agendas, drafts advice."""
    return signed_in(user) and user.has_role(team_id, *LEAD_ROLES)


def is_chair(user: User | None, team_id: int) -> bool:
    return signed_in(user) and user.has_role(team_id, Role.CHAIR)


def is_team_member(user: User | None, team_id: int) -> bool:
    """Expert, chair or secretary of the team: sees its queue and agendas."""
    return signed_in(user) and user.has_role(team_id, *TEAM_ROLES)


def is_owner(user: User | None, case) -> bool:
    """The case owner of ``case`` (who still holds the case-owner role in its team)."""
    return signed_in(user) and case.owner_id == user.id and user.has_role(case.team_id, Role.CASE_OWNER)
