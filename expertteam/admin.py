"""Administration: teams, people, roles, organisations and commitments."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _require_admin():
    if not current_user.is_admin:
        abort(403)


@bp.get("/")
def index():
    return render_template("expertteam/admin/index.html")
