"""The REST API (blueprint ``api`` under ``/api/v1``): the token endpoint, the organisation's
actions with their transitions, the signal requests with "seen", and the OpenAPI document.

Thin: ``api.http`` does the HTTP conventions, ``api.resources`` the representations; every write
goes through the same service as the contact's page (``advice.follow_through``,
``casefiles.holds.services``), so audit rows, notifications, escalations and webhooks are the
same. Reads are audited like a page (``core.privacy.record_read(s)``), the client's account as
actor. Anything the client may not see is a 404, in a list it is absent.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext as _

from advice.follow_through.services import complete_action, confirm_action, refuse_action
from advice.lifecycle import NOTE_MAX as ACTION_NOTE_MAX
from advice.lifecycle import StaleAction, TransitionError
from casefiles.holds.models import NOTE_MAX as SIGNAL_NOTE_MAX
from casefiles.holds.services import report_seen
from core import privacy
from core.clock import team_today
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.paging import MAX_PAGE_SIZE, PAGE_SIZE, decode_cursor

from . import oauth, openapi, resources
from .http import (
    Problem,
    check_if_match,
    endpoint,
    etag_of,
    finish,
    json_body,
    not_found,
    problem_response,
    represent,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

STATUSES = ("open", "confirmed", "done", "refused", "dropped")


@bp.post("/oauth/token")
def token():
    """OAuth 2 client credentials (RFC 6749 4.4): client_secret_basic or client_secret_post."""
    response = oauth.server().create_token_response()
    if response.status_code == 200:
        db.session.commit()
    else:
        db.session.rollback()
    response.headers["Cache-Control"] = "no-store"
    return finish(response)


@bp.get("/openapi.json")
def openapi_document():
    return finish(jsonify(openapi.document()))


# --- actions -----------------------------------------------------------------------------------

def _page_args() -> tuple[str | None, int]:
    cursor = request.args.get("cursor")
    invalid = []
    if cursor is not None and decode_cursor(cursor) is None:
        invalid.append({"name": "cursor", "reason": _("Not a cursor of this list.")})
    size = PAGE_SIZE
    if "limit" in request.args:
        try:
            size = int(request.args["limit"])
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            invalid.append({"name": "limit", "reason": _("A whole number from 1 to %(max)d.", max=MAX_PAGE_SIZE)})
    if invalid:
        raise Problem(400, _("Some parameters are not valid."), invalid=invalid)
    return cursor, size


def _since() -> datetime | None:
    value = request.args.get("updatedSince")
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Problem(400, _("Some parameters are not valid."), invalid=[
            {"name": "updatedSince", "reason": _("A date and time with its time zone (ISO 8601).")}])
    return moment


@bp.get("/actions")
@endpoint("actions:read")
def actions():
    unknown = set(request.args) - {"status", "updatedSince", "cursor", "limit"}
    if unknown:
        raise Problem(400, _("Some parameters are not valid."),
                      invalid=[{"name": n, "reason": _("Unknown parameter.")} for n in sorted(unknown)])
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise Problem(400, _("Some parameters are not valid."),
                      invalid=[{"name": "status", "reason": _("One of: %(values)s.", values=", ".join(STATUSES))}])
    since = _since()
    cursor, size = _page_args()
    user = g.api_client.user
    page = resources.action_page(user, status=status, updated_since=since, cursor=cursor, size=size)
    by_team = defaultdict(list)
    for action in page.items:
        by_team[action.advice.case.team_id].append(action.advice.case)
    for team_id, cases in sorted(by_team.items()):
        privacy.record_reads(cases, user, "api.actions", team_id=team_id)
    body = {"items": [resources.action_summary(a) for a in page.items], "nextCursor": page.next_cursor,
            "_links": {"self": {"href": request.full_path.rstrip("?")}}}
    if page.next_cursor:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        body["_links"]["next"] = {"href": url_for("api.actions", **args, cursor=page.next_cursor)}
    response = represent(body)
    privacy.commit_read()
    return response


def _action(action_id: int):
    action = resources.visible_action(g.api_client.user, action_id)
    if action is None:
        raise not_found()
    return action


@bp.get("/actions/<int:action_id>")
@endpoint("actions:read")
def action(action_id: int):
    action = _action(action_id)
    body = resources.action_detail(action)
    privacy.record_read(action.advice.case, g.api_client.user, "api.action")
    response = represent(body)
    privacy.commit_read()
    return response


def _transition(action_id: int, fields: dict[str, type], required: tuple[str, ...], do, *,
                lengths: dict[str, int] | None = None, parse=None):
    action = _action(action_id)
    # What the OpenAPI document says of the body first (400), then the precondition (428, 412).
    data = json_body(fields, required, lengths)
    if parse is not None:
        parse(data)
    check_if_match(resources.action_detail(action))
    try:
        do(action, data)
    except StaleAction as exc:
        db.session.rollback()
        db.session.refresh(action)
        current = resources.action_detail(action)
        raise Problem(412, exc.message, current=current, headers={"ETag": f'"{etag_of(current)}"'}) from None
    except TransitionError as exc:
        raise Problem(409, exc.message) from None
    except PermissionDenied as exc:
        raise Problem(403, exc.message) from None
    except ServiceError as exc:
        raise Problem(422, exc.message) from None
    db.session.commit()
    return represent(resources.action_detail(action))


@bp.post("/actions/<int:action_id>/confirm")
@endpoint("actions:write")
def confirm(action_id: int):
    return _transition(action_id, {}, (), lambda action, _data: confirm_action(
        action, g.api_client.user, expected_version=action.version))


def _parse_done_on(data: dict) -> None:
    """``doneOn`` as a date (400 when it is not one)."""
    if data.get("doneOn") is None:
        return
    try:
        data["doneOn"] = date.fromisoformat(data["doneOn"])
    except ValueError:
        raise Problem(400, _("Some fields are not valid."), invalid=[
            {"name": "doneOn", "reason": _("A date (YYYY-MM-DD).")}]) from None


@bp.post("/actions/<int:action_id>/done")
@endpoint("actions:write")
def done(action_id: int):
    return _transition(action_id, {"note": str, "doneOn": str}, ("note",), lambda action, data: complete_action(
        action, g.api_client.user, expected_version=action.version, note=data["note"],
        done_on=data.get("doneOn") or team_today(action.advice.case.team)),
        lengths={"note": ACTION_NOTE_MAX}, parse=_parse_done_on)


@bp.post("/actions/<int:action_id>/refuse")
@endpoint("actions:write")
def refuse(action_id: int):
    return _transition(action_id, {"reason": str}, ("reason",), lambda action, data: refuse_action(
        action, g.api_client.user, expected_version=action.version, reason=data["reason"]),
        lengths={"reason": ACTION_NOTE_MAX})


# --- signal requests ---------------------------------------------------------------------------

@bp.get("/signal-requests")
@endpoint("signals:read")
def signal_requests():
    user = g.api_client.user
    rows = resources.open_signal_requests(user)
    by_team = defaultdict(list)
    for row in rows:
        by_team[row.case.team_id].append(row.case)
    for team_id, cases in sorted(by_team.items()):
        privacy.record_reads(cases, user, "api.signal_requests", team_id=team_id)
    response = represent({"items": [resources.signal_request(r) for r in rows]})
    privacy.commit_read()
    return response


def _signal_request(request_id: int):
    row = resources.visible_signal_request(g.api_client.user, request_id)
    if row is None:
        raise not_found()
    return row


@bp.get("/signal-requests/<int:request_id>")
@endpoint("signals:read")
def signal_request(request_id: int):
    row = _signal_request(request_id)
    privacy.record_read(row.case, g.api_client.user, "api.signal_request")
    response = represent(resources.signal_request(row))
    privacy.commit_read()
    return response


@bp.post("/signal-requests/<int:request_id>/seen")
@endpoint("signals:write")
def seen(request_id: int):
    row = _signal_request(request_id)
    data = json_body({"note": str}, ("note",), {"note": SIGNAL_NOTE_MAX})
    check_if_match(resources.signal_request(row))
    try:
        report_seen(row, g.api_client.user, note=data["note"])
    except PermissionDenied as exc:
        raise Problem(403, exc.message) from None
    except ServiceError as exc:
        raise Problem(409 if not row.active else 422, exc.message) from None
    db.session.commit()
    return represent(resources.signal_request(row))


def api_problem(status: int):
    """For the app's error handlers: the problem+json answer of a path under /api/."""
    return problem_response(status)
