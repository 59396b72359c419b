"""Calendar pages (blueprint ``calendar``): one meeting as an iCalendar file, and each person's
private feed (the token is the key: calendar apps cannot sign in)."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from core.clock import utcnow
from core.db import db
from core.documents import send_document
from core.forms import PostForm

from . import calendar
from .views import get_meeting

bp = Blueprint("calendar", __name__, url_prefix="/meetings")

#: The feed is read by calendar apps, which cannot sign in: its token is the key.
PUBLIC_ENDPOINTS = {"calendar.feed"}


@bp.before_request
def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


def _ics(body: bytes, filename: str) -> Response:
    response = send_document(body, filename, "text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/<int:meeting_id>/meeting.ics")
def ics(meeting_id: int):
    meeting = get_meeting(meeting_id)
    body = calendar.build(calendar.meeting_entries(current_user, meeting), current_user,
                          current_app.config.get("APP_BASE_URL", request.host_url), meeting.team.name)
    return _ics(body, f"meeting-{meeting.id}.ics")


@bp.get("/feed/<token>.ics")
def feed(token: str):
    """The private feed: the token is the key, no sign-in (calendar apps cannot sign in)."""
    user = calendar.feed_user(token)
    if user is None:
        abort(404)
    body = calendar.build(calendar.entries_for(user, utcnow()), user,
                          current_app.config.get("APP_BASE_URL", request.host_url), "Expertteam")
    response = _ics(body, "expertteam.ics")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/feed/renew")
def renew_feed():
    if not PostForm().validate_on_submit():
        abort(400)
    token = calendar.renew_feed(current_user)
    db.session.commit()
    # Shown once on the next page (only its hash is stored), sealed on the way, then gone from the session.
    session[calendar.SHOW_ONCE] = calendar.sealed_for_page(token)
    flash(_("Your calendar address is ready. An earlier address no longer works."), "success")
    return redirect(url_for("meeting.index") + "#calendar")
