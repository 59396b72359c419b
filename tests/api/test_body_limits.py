"""The API's JSON bodies are bounded before they are parsed: no body makes the parser recurse
without end (400 problem+json) or reads past ``BODY_MAX`` (413 problem+json), with or without a
Content-Length; nothing changes. Valid bodies, up to the longest note sent fully escaped, pass."""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from advice.models import Action, ActionStatus
from api import http as api_http
from core.db import db

from .conftest import API

#: The contract (the OpenAPI document's 413): a body of at most 128 kB, nested at most 16 deep.
LIMIT, DEPTH = 128 * 1024, 16


def _etag(api) -> str:
    return api.call("GET", f"/actions/{api.action.id}").headers["ETag"]


def _post(api, body: bytes, headers_extra: dict | None = None):
    return api.call("POST", f"/actions/{api.action.id}/done", data=body, content_type="application/json",
                    headers={"If-Match": _etag(api), **(headers_extra or {})})


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["title"]
    return problem


def _unchanged(api) -> None:
    db.session.expire_all()
    assert db.session.get(Action, api.action.id).status == ActionStatus.OPEN


@pytest.mark.parametrize("body", [
    b"[" * 100_000,                                          # the parser's recursion, unterminated
    b"[" * 5_000 + b"]" * 5_000,                             # well-formed, far too deep
    b'{"note": ' + b"[" * DEPTH + b"]" * DEPTH + b"}",      # just past the depth allowed
    b'{"note": "ok", "x": ' + b"{\"a\": " * 40 + b"1" + b"}" * 40 + b"}",
])
def test_deeply_nested_json_is_a_400_problem(api, body):
    problem = _problem(_post(api, body, headers_extra={"Accept-Language": "en"}), 400)
    assert problem["detail"] == f"The body is nested deeper than {DEPTH} levels."
    _unchanged(api)


def test_nesting_up_to_the_limit_is_weighed_as_usual(api):
    body = b'{"note": ' + b"[" * (DEPTH - 1) + b"]" * (DEPTH - 1) + b"}"
    problem = _problem(_post(api, body), 400)
    assert [p["name"] for p in problem["invalidParams"]] == ["note"]  # the wrong type, not the depth


def test_brackets_inside_strings_do_not_count(api):
    note = "[" * 1_000 + "{" * 1_000 + ' \\" ]] "'
    response = _post(api, json.dumps({"note": note}).encode())
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["done"]["note"] == note


def test_a_recursion_error_of_the_parser_is_a_400(api, monkeypatch):
    """Should the depth bound ever let a body through that the parser cannot take, the parser's
    RecursionError is still a 400, not a 500."""
    monkeypatch.setattr(api_http, "DEPTH_MAX", 10**9)
    _problem(_post(api, b"[" * 100_000), 400)
    _unchanged(api)


def test_the_limits_are_the_contract():
    assert (api_http.BODY_MAX, api_http.DEPTH_MAX) == (LIMIT, DEPTH)


def test_a_body_over_the_limit_is_a_413_problem(api):
    body = json.dumps({"note": "x" * LIMIT}).encode()
    _problem(_post(api, body), 413)
    _unchanged(api)


def test_the_longest_note_fully_escaped_fits(api):
    note = "\U0001f3e0" * 5_000  # each sent as a surrogate pair: \ud83c\udfe0
    body = json.dumps({"note": note}).encode()
    assert body.isascii() and len(body) > 5_000 * 12
    response = _post(api, body)
    assert response.status_code == 200 and response.get_json()["done"]["note"] == note


def test_a_body_without_content_length_is_bounded_too(api, live):
    """Sent in chunks (no Content-Length) over a real connection: reading stops at the limit."""
    url = urlsplit(live.url)
    piece = b"x" * 8_192

    def chunks():
        yield b'{"note": "'
        for _ in range(LIMIT // len(piece) + 2):
            yield piece
        yield b'"}'

    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request("POST", f"{API}/actions/{api.action.id}/done", body=chunks(), encode_chunked=True,
                           headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json",
                                    "If-Match": _etag(api)})
        response = connection.getresponse()
        problem = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 413, problem
    assert response.getheader("Content-Type") == "application/problem+json"
    assert problem["status"] == 413
    _unchanged(api)
