"""The chair's follow-through overview (blueprint ``overview``): per organisation, the figures
of ``advice.org_figures`` (one grouped statement), the open work in full (overdue, open,
confirmed; optionally of one organisation) and the history (done, dropped) a page at a time,
newest first. Refused actions waiting for the team are on the follow-up list. A fixed number of
statements, whatever the team's history."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from advice import action_lists
from advice.org_figures import follow_through
from core.clock import team_today
from core.web import get_team

from .permissions import can_view_overview

bp = Blueprint("overview", __name__, url_prefix="/advice")


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


def _organisation_arg() -> int | None:
    value = request.args.get("organisation", "")
    return int(value) if value.isdigit() else None


@bp.get("/teams/<int:team_id>/overview")
def index(team_id: int):
    team = get_team(team_id)
    if not can_view_overview(current_user, team):
        abort(404)
    today = team_today(team)
    figures, total = follow_through(team.id, today)
    org_id = _organisation_arg()
    chosen = next((f for f in figures if f.organisation_id == org_id), None)
    if chosen is None:
        org_id = None  # an organisation without actions in this team: the whole team
    where = action_lists.team_clause(team.id, org_id)
    counted = chosen or total
    return render_template(
        "reports/overview.html", team=team, figures=figures, total=total, chosen=chosen, today=today,
        groups=action_lists.open_work(where, today),
        history=action_lists.history(where, cursor=request.args.get("done"), total=counted.done + counted.dropped),
    )
