"""Fixtures of the API and webhook tests: the advice world (a team, two committed organisations
with contacts, issued advice) plus an API client of the first organisation, a bearer token got
through the real token endpoint, and the app served by a real threaded HTTP server on loopback."""
from __future__ import annotations

import base64
import logging
import socket
import threading
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from api.clients import create_client
from api.models import SCOPES
from core.db import db
from tests.advice.conftest import _english, aw, discussed, drafted, issued
from tests.conftest import BrowserClient

API = "/api/v1"


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def get_token(client, client_id: str, secret: str, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    response = client.post(f"{API}/oauth/token", data=data, headers=basic(client_id, secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


@pytest.fixture
def api(app, aw, issued):
    """aw plus: issued advice (an action for org and one for org2), an API client of org with
    every scope and its token, a client of org2, and ``call`` to make API requests."""
    app.config.update(WEBHOOKS_ALLOW_HTTP_LOOPBACK=True)
    advice = issued()
    w = aw
    w.advice = advice
    w.action = next(a for a in advice.actions if a.organisation_id == w.org.id)
    w.action2 = next(a for a in advice.actions if a.organisation_id == w.org2.id)
    w.client_row, w.secret = create_client(w.admin, w.org, name="Woon CRM", scopes=SCOPES)
    w.client2_row, w.secret2 = create_client(w.admin, w.org2, name="GGZ EPD", scopes=SCOPES)
    db.session.commit()
    app.test_client_class = BrowserClient
    http = app.test_client()
    w.http = http
    w.token = get_token(http, w.client_row.client_id, w.secret)
    w.token2 = get_token(http, w.client2_row.client_id, w.secret2)

    def call(method: str, path: str, token: str | None = None, **kw):
        headers = dict(kw.pop("headers", {}))
        headers.setdefault("Authorization", f"Bearer {token or w.token}")
        return http.open(API + path, method=method, headers=headers, **kw)

    w.call = call
    return w


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live(app):
    """The test's app in a threaded WSGI server on 127.0.0.1 (each request its own session)."""
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="api-server", daemon=True)
    thread.start()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()
        thread.join(5)
