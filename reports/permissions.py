"""Who may see the figures: one place per rule (views and templates ask here)."""
from __future__ import annotations

from core.models import Role, Team, User
from core.permissions import is_lead, signed_in

#: The roles that see a team's pilot figures and period report.
FIGURE_ROLES = (Role.CHAIR, Role.SECRETARY, Role.MUNICIPALITY)


def can_view_figures(user: User | None, team_id: int) -> bool:
    """Chair, secretary and the municipality of the team: the figures and the report."""
    return signed_in(user) and user.has_role(team_id, *FIGURE_ROLES)


def sees_exact_figures(user: User | None, team_id: int) -> bool:
    """Only the team's chair and secretary see counts below five on the dashboard."""
    return is_lead(user, team_id)


def can_view_overview(user: User | None, team: Team) -> bool:
    """The chair's follow-through overview: the team's chair and secretary."""
    return is_lead(user, team.id)
