"""The chair's follow-through overview (blueprint ``overview``): the open work in full (overdue,
open, confirmed; optionally of one organisation), and for a period (the last three months unless
chosen) the per-organisation figures of ``advice.follow_through.org_figures`` (one grouped statement) and the
history (done, dropped) a page at a time, newest first, counted by those figures. Refused actions
waiting for the team are on the list back on the table. A fixed number of statements, whatever the
team's history; the period bounds the rows the figures read."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from advice.follow_through import action_lists
from advice.follow_through.org_figures import follow_through
from core.clock import team_today
from core.period import RECENT_PERIODS, recent_period
from core.routing import parse_id
from core.web import get_team

from .permissions import can_view_overview

bp = Blueprint("overview", __name__, url_prefix="/advice", template_folder="templates")

@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


def _organisation_arg() -> int | None:
    value = request.args.get("organisation", "")
    return parse_id(value)


@bp.get("/teams/<int:team_id>/overview")
def index(team_id: int):
    team = get_team(team_id)
    if not can_view_overview(current_user, team):
        abort(404)
    today = team_today(team)
    period_name, period = recent_period(request.args.get("period"), today, team.timezone)
    figures, total = follow_through(team.id, today, period=period)
    org_id = _organisation_arg()
    chosen = next((f for f in figures if f.organisation_id == org_id), None)
    if chosen is None:
        org_id = None  # an organisation without actions in this period: the whole team
    where = action_lists.team_clause(team.id, org_id)
    counted = chosen or total
    groups = action_lists.open_work(where, today, cursors=action_lists.open_cursors(request.args))
    return render_template(
        "reports/overview.html", team=team, figures=figures, total=total, chosen=chosen, today=today,
        periods=RECENT_PERIODS, period_name=period_name, period=period,
        groups=groups, levels=action_lists.list_levels(*groups.values()),
        history=action_lists.history(where, cursor=request.args.get("done"), period=period,
                                     total=counted.done + counted.dropped),
    )
