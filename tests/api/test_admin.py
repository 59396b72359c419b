"""The administrators' pages for API clients and webhooks, through the real forms: the secret
shown once works, rotation and revocation, a webhook with its delivery log; others get 403."""
from __future__ import annotations

import re

import sqlalchemy as sa

from api.models import ApiClient
from core.db import db
from tests.conftest import post_form
from webhooks.events import emit
from webhooks.models import WebhookEndpoint

from .conftest import API, basic

TOKEN = {"grant_type": "client_credentials"}


#: The facts of the "shown once" pages, in their order (client id, secret, token address / address, secret).
FACTS = {"Client id": 0, "Client secret": 1, "Signing secret": 1}


def _code(html: str, label: str) -> str:
    codes = re.findall(r"</dt><dd><code>([^<]+)</code>", html)
    assert len(codes) > FACTS[label], html[-3000:]
    return codes[FACTS[label]]


def test_api_clients_are_made_rotated_and_revoked_on_the_pages(client, login_as, aw, app):
    login_as(aw.admin)
    response = post_form(client, "/admin/api-clients/new", {
        "organisation_id": aw.org.id, "name": "Woon CRM", "scopes": ["actions:read", "actions:write"]})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    client_id, secret = _code(html, "Client id"), _code(html, "Client secret")
    row = db.session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
    assert row.secret_hash != secret and secret not in client.get(f"/admin/api-clients/{row.id}").get_data(as_text=True)
    assert client.post(API + "/oauth/token", data=TOKEN, headers=basic(client_id, secret)).status_code == 200
    assert "Woon CRM" in client.get("/admin/api-clients/").get_data(as_text=True)
    rotated = post_form(client, f"/admin/api-clients/{row.id}/rotate", {"grace_days": "0"},
                        token_from=f"/admin/api-clients/{row.id}")
    new_secret = _code(rotated.get_data(as_text=True), "Client secret")
    assert client.post(API + "/oauth/token", data=TOKEN, headers=basic(client_id, secret)).status_code == 401
    assert client.post(API + "/oauth/token", data=TOKEN, headers=basic(client_id, new_secret)).status_code == 200
    revoked = post_form(client, f"/admin/api-clients/{row.id}/revoke", token_from=f"/admin/api-clients/{row.id}")
    assert revoked.status_code == 302
    assert client.post(API + "/oauth/token", data=TOKEN, headers=basic(client_id, new_secret)).status_code == 401


def test_webhooks_and_their_delivery_log_on_the_pages(client, login_as, aw, app):
    app.config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"] = True
    login_as(aw.admin)
    refused = post_form(client, "/admin/webhooks/new", {
        "organisation_id": aw.org.id, "url": "http://crm.example.org/hook", "event_types": ["action.changed"]})
    assert refused.status_code == 400 and db.session.scalar(sa.select(sa.func.count(WebhookEndpoint.id))) == 0
    made = post_form(client, "/admin/webhooks/new", {
        "organisation_id": aw.org.id, "url": "http://127.0.0.1:9/hook", "event_types": ["action.changed"]})
    assert _code(made.get_data(as_text=True), "Signing secret").startswith("whsec_")
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    emit("action.changed", aw.org.id, "actions/5", {"action": 5})
    db.session.commit()
    page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "actions/5" in page and "http://127.0.0.1:9/hook" in page


def test_only_administrators_see_these_pages(client, login_as, aw):
    login_as(aw.chair)
    for path in ("/admin/api-clients/", "/admin/webhooks/"):
        assert client.get(path).status_code == 403
