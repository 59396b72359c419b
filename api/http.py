"""The API's HTTP conventions (NL API Design Rules): JSON, ``problem+json`` errors (RFC 9457)
with a Dutch or English ``title`` per ``Accept-Language``, an ``API-Version`` header on every
answer, an ``ETag`` on every representation, ``If-Match`` on every write, and the bearer token,
scope and rate limit of every call (``endpoint``)."""
from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6750 import InsufficientScopeError
from flask import Response, g, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from core.clock import utcnow
from core.db import db
from core.text import UNSTORABLE_MESSAGE, unstorable

from . import oauth, ratelimit

API_VERSION = "1.0.0"
JSON = "application/json"
PROBLEM = "application/problem+json"

PROBLEMS: dict[int, tuple[str, Any]] = {
    400: ("bad-request", _l("The request is not valid.")),
    401: ("unauthorized", _l("A valid access token is required.")),
    403: ("forbidden", _l("This client may not do this.")),
    404: ("not-found", _l("Not found.")),
    405: ("method-not-allowed", _l("This method is not allowed here.")),
    409: ("conflict", _l("This is not possible in the current state.")),
    413: ("content-too-large", _l("The request is too large.")),
    412: ("precondition-failed", _l("The resource was changed in the meantime.")),
    415: ("unsupported-media-type", _l("Send the request body as JSON.")),
    422: ("unprocessable", _l("The request cannot be carried out.")),
    428: ("precondition-required", _l("Send If-Match with the ETag of the resource.")),
    429: ("too-many-requests", _l("Too many requests; try again later.")),
    500: ("internal-error", _l("Something went wrong on our side.")),
}


def language() -> str:
    return request.accept_languages.best_match(["nl", "en"]) or "nl"


class Problem(Exception):
    """Raised anywhere in a view: answered as problem+json (nothing is committed)."""

    def __init__(self, status: int, detail: str | None = None, *, headers: dict | None = None,
                 invalid: list[dict] | None = None, current: Response | None = None):
        super().__init__(detail)
        self.status, self.detail, self.headers, self.invalid, self.current = status, detail, headers, invalid, current


def problem_response(status: int, detail: str | None = None, *, headers: dict | None = None,
                     invalid: list[dict] | None = None, current: Any = None) -> Response:
    slug, title = PROBLEMS[status]
    lang = language()
    with force_locale(lang):
        body: dict[str, Any] = {"type": f"urn:expertteam:problem:{slug}", "title": str(title), "status": status,
                                "instance": request.path}
    if detail:
        body["detail"] = detail
    if invalid:
        body["invalidParams"] = invalid
    if current is not None:
        body["current"] = current
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    response.headers["Content-Language"] = lang
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return finish(response)


def finish(response: Response) -> Response:
    response.headers["API-Version"] = API_VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


def etag_of(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:32]


def represent(data: Any, status: int = 200) -> Response:
    """A JSON representation with its strong ETag (304 for a matching If-None-Match on GET)."""
    tag = etag_of(data)
    if request.method == "GET" and request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        response = Response(json.dumps(data), status=status, mimetype=JSON)
    response.set_etag(tag)
    response.headers["Content-Language"] = language()
    return finish(response)


def check_if_match(current: dict) -> None:
    """428 without If-Match; 412 with the current representation when it does not match."""
    if "If-Match" not in request.headers:
        raise Problem(428, _("Read the resource first and send its ETag in If-Match."))
    tag = etag_of(current)
    if not (request.if_match.is_strong(tag) or request.if_match.star_tag):
        raise Problem(412, _("Someone else acted on this in the meantime; nothing was changed."),
                      current=current, headers={"ETag": f'"{tag}"'})


def json_body(allowed: dict[str, type], required: tuple[str, ...] = (),
              lengths: dict[str, int] | None = None) -> dict[str, Any]:
    """The request's JSON object, its fields of the right type and texts within ``lengths``
    (characters per field), as the OpenAPI document says (400 otherwise)."""
    lengths = lengths or {}
    data = _parsed_body()
    if not isinstance(data, dict):
        raise Problem(400, _("The body must be a JSON object."))
    invalid = [{"name": name, "reason": _("Unknown field.")} for name in data if name not in allowed]
    for name, kind in allowed.items():
        if name in data and not isinstance(data[name], kind):
            invalid.append({"name": name, "reason": _("Wrong type.")})
        elif name in data and unstorable(data[name]):
            invalid.append({"name": name, "reason": str(UNSTORABLE_MESSAGE)})
        elif name in data and name in lengths and len(data[name]) > lengths[name]:
            invalid.append({"name": name, "reason": _("At most %(max)d characters.", max=lengths[name])})
        elif name in required and name not in data:
            invalid.append({"name": name, "reason": _("Required.")})
    if invalid:
        raise Problem(400, _("Some fields are not valid."), invalid=invalid)
    return data


#: The largest body a write takes: room for the longest text (5,000 characters) twice over even
#: when every character is sent as an escaped surrogate pair (12 bytes).
BODY_MAX = 128 * 1024
#: The deepest nesting of arrays and objects a body may have (the API's bodies are flat objects).
DEPTH_MAX = 16
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


def _parsed_body() -> Any:
    """The request's body as JSON ({} when empty), bounded before it is parsed: at most
    ``BODY_MAX`` bytes (413) and ``DEPTH_MAX`` levels of nesting (400), so no body can make the
    parser recurse without end; also 400 for a body that is not JSON, 415 for another type."""
    too_large = Problem(413, _("The body may be at most %(size)d kB.", size=BODY_MAX // 1024))
    if (request.content_length or 0) > BODY_MAX:
        raise too_large
    # A body sent without Content-Length (in chunks) is read to one byte past the limit at most.
    request.max_content_length = BODY_MAX + 1
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise too_large from None
    if len(raw) > BODY_MAX:
        raise too_large
    if not raw.strip():
        return {}
    if request.mimetype not in (JSON, "application/merge-patch+json") and not request.mimetype.endswith("+json"):
        raise Problem(415, _("Use Content-Type: application/json."))
    if nesting(raw) > DEPTH_MAX:
        raise Problem(400, _("The body is nested deeper than %(depth)d levels.", depth=DEPTH_MAX))
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Problem(400, _("The body is not valid JSON.")) from None


def nesting(raw: bytes) -> int:
    """How deep arrays and objects nest in the JSON text ``raw``: a scan of the brackets outside
    strings, cheap and without recursion (at most what a valid document would have)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b"", raw)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def endpoint(scope: str | None):
    """A protected API view: a bearer token with ``scope`` (401/403 otherwise), within the rate
    limit (429 with Retry-After); the client is ``g.api_client``. Texts follow Accept-Language."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            with force_locale(language()):
                try:
                    if scope is not None:
                        _authenticate(scope)
                    return view(*args, **kwargs)
                except Problem as exc:
                    db.session.rollback()
                    return problem_response(exc.status, exc.detail, headers=exc.headers, invalid=exc.invalid,
                                            current=exc.current)

        return wrapped

    return decorator


def _authenticate(scope: str) -> None:
    try:
        token = oauth.protector().acquire_token([scope])
    except InsufficientScopeError:
        raise Problem(403, _("The access token lacks the scope %(scope)s.", scope=scope),
                      headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'}) from None
    except OAuth2Error:
        raise Problem(401, _("Send a valid, unexpired access token: Authorization: Bearer <token>."),
                      headers={"WWW-Authenticate": 'Bearer realm="expertteam"'}) from None
    client = token.client
    wait = ratelimit.hit(client.id, utcnow())
    if wait is not None:
        raise Problem(429, _("The rate limit of this client is reached."), headers={"Retry-After": str(wait)})
    g.api_client = client


def not_found() -> Problem:
    return Problem(404, _("There is no such resource, or this client may not see it."))


