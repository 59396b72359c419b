"""Rotating a client's secret and the bearer tokens already issued, through the real token
endpoint and the administrator's page: without a grace period the live tokens stop at once
(audited); with one they keep working until it ends, and so does a token got with the old
secret during it, never longer."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from api.clients import rotate_secret
from core.audit import AuditEvent
from core.clock import running_at, utcnow
from core.db import db
from tests.conftest import post_form

from .conftest import API, basic, get_token

TOKEN = {"grant_type": "client_credentials"}


def _rotations(client_id: int) -> list[dict]:
    return db.session.scalars(sa.select(AuditEvent.details).where(
        AuditEvent.action == "api_client.rotate", AuditEvent.object_id == client_id)).all()


def test_a_rotation_without_grace_revokes_the_live_tokens_at_once(api, client, login_as):
    second = get_token(api.http, api.client_row.client_id, api.secret)
    assert api.call("GET", "/actions").status_code == 200 and api.call("GET", "/actions", token=second).status_code == 200
    login_as(api.admin)
    page = f"/admin/api-clients/{api.client_row.id}"
    rotated = post_form(client, page + "/rotate", {"grace_days": "0"}, token_from=page)
    assert rotated.status_code == 200
    for token in (api.token, second):  # issued before the rotation: refused at once, not at expiry
        refused = api.call("GET", "/actions", token=token)
        assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert api.call("GET", "/actions", token=api.token2).status_code == 200  # another client's token lives on
    assert _rotations(api.client_row.id) == [{"organisation": api.org.id, "grace_hours": 0, "tokens_ended": 2}]


def test_with_grace_the_old_tokens_keep_working_until_it_ends(api):
    rotate_secret(api.client_row, api.admin, grace=timedelta(minutes=5))
    db.session.commit()
    assert api.call("GET", "/actions").status_code == 200  # the token of before still works
    answer = api.http.post(API + "/oauth/token", data=TOKEN, headers=basic(api.client_row.client_id, api.secret))
    assert answer.status_code == 200 and 0 < answer.get_json()["expires_in"] <= 300  # the old secret: to the grace end
    during = answer.get_json()["access_token"]
    assert api.call("GET", "/actions", token=during).status_code == 200
    newest = rotate_secret(api.client_row, api.admin, grace=timedelta(days=1))
    db.session.commit()
    fresh = get_token(api.http, api.client_row.client_id, newest)
    with running_at(utcnow() + timedelta(minutes=6)):  # the first grace period is over
        assert api.call("GET", "/actions", token=api.token).status_code == 401
        assert api.call("GET", "/actions", token=during).status_code == 401
        assert api.call("GET", "/actions", token=fresh).status_code == 200
    assert [d["tokens_ended"] for d in _rotations(api.client_row.id)] == [1, 0]
