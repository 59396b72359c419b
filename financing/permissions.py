"""Who may see and keep financing agreements: one place per rule (views and templates ask here).

The ledger names case references (no household data) and amounts: the team's chair, an
administrator and the team's municipality see it; the chair or an administrator keeps the
agreements. Nobody else learns that a team has agreements (404)."""
from __future__ import annotations

from core.models import Role, User
from core.permissions import is_admin, is_chair, signed_in

#: The team roles that see a team's agreements, ledger and statements (administrators too).
VIEW_ROLES = (Role.CHAIR, Role.MUNICIPALITY)


def can_view_financing(user: User | None, team_id: int) -> bool:
    """The team's chair or municipality, or an administrator."""
    return is_admin(user) or (signed_in(user) and user.has_role(team_id, *VIEW_ROLES))


def can_manage_agreements(user: User | None, team_id: int) -> bool:
    """The team's chair or an administrator: create, change, mark cases, book the ledger."""
    return is_admin(user) or is_chair(user, team_id)
