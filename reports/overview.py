"""The chair's follow-through overview (blueprint ``overview``): per organisation, the figures
of ``advice.org_figures`` and every action of the team's advice in force."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from advice.org_figures import follow_through, team_actions
from core.clock import team_today
from core.web import get_team

from .permissions import can_view_overview

bp = Blueprint("overview", __name__, url_prefix="/advice")


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


@bp.get("/teams/<int:team_id>/overview")
def index(team_id: int):
    team = get_team(team_id)
    if not can_view_overview(current_user, team):
        abort(404)
    today = team_today(team)
    figures, _total = follow_through(team.id, today)
    return render_template("reports/overview.html", team=team, figures=figures, actions=team_actions(team.id),
                           today=today)
