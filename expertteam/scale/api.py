"""The API side of the national-scale benchmark: an API client of the busiest organisation of
the busy team (T01), made through ``api.clients`` as an administrator would (its secret stored
hashed, its account a contact in the organisation's teams), and the API requests its system
makes (used by scripts/bench_scale.py and tests/test_query_plans.py).

The secret is shown once, so each benchmark run takes a fresh one: the first run creates the
client, later runs rotate its secret without a grace period. Both are audited like an
administrator's change.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

import sqlalchemy as sa

from api.clients import create_client, rotate_secret
from api.models import ApiClient
from core.clock import utcnow
from core.db import db
from core.models import Organisation, User
from core.paging import encode_cursor

from .shape import DOMAIN

#: The name of the benchmark's client (one per database).
CLIENT_NAME = "Benchmark (scale seed)"
API = "/api/v1"


def busiest_organisation() -> Organisation:
    """The organisation with the most actions of issued or corrected advice in team T01."""
    org_id = db.session.execute(sa.text(
        "SELECT x.organisation_id FROM advice_actions x JOIN advice a ON a.id = x.advice_id "
        "JOIN teams t ON t.id = x.team_id WHERE t.code = 'T01' AND a.status <> 'draft' "
        "GROUP BY x.organisation_id ORDER BY count(*) DESC, x.organisation_id LIMIT 1")).scalar()
    if org_id is None:
        raise LookupError("the database holds no scale seed (no actions in team T01): run "
                          "`flask --app expertteam seed-scale` first")
    return db.session.get(Organisation, org_id)


def bench_api_client(now: datetime | None = None) -> tuple[str, str, Organisation]:
    """The benchmark client's id and a fresh secret, and its organisation; commits."""
    now = now or utcnow()
    admin = db.session.scalar(sa.select(User).where(User.email == "admin" + DOMAIN))
    if admin is None:
        raise LookupError("the database holds no scale seed (no administrator)")
    organisation = busiest_organisation()
    client = db.session.scalar(
        sa.select(ApiClient).where(ApiClient.organisation_id == organisation.id, ApiClient.name == CLIENT_NAME,
                                   ApiClient.revoked_at.is_(None)).order_by(ApiClient.id.desc()).limit(1))
    if client is None or not client.usable(now):
        client, secret = create_client(admin, organisation, name=CLIENT_NAME, scopes=["actions:read"], now=now)
    else:
        secret = rotate_secret(client, admin, grace=timedelta(0), now=now)
    db.session.commit()
    return client.client_id, secret, organisation


def bench_api_targets(organisation: Organisation, now: datetime | None = None) -> dict[str, str]:
    """The API requests of the organisation's system: the first page of its actions, a page in
    the middle of the list (by the cursor the API hands out: the id of the last row before it),
    the open ones, and the ones changed in the last day (a daily poll)."""
    now = now or utcnow()
    ids = sa.text(
        "SELECT x.id FROM advice_actions x JOIN advice a ON a.id = x.advice_id JOIN teams t ON t.id = x.team_id "
        "WHERE t.code = 'T01' AND x.organisation_id = :org AND a.status <> 'draft' ORDER BY x.id")
    listed = list(db.session.execute(ids, {"org": organisation.id}).scalars())
    middle = listed[len(listed) // 2] if listed else 0
    since = (now - timedelta(days=1)).replace(microsecond=0).isoformat()
    return {
        "API actions, first page": f"{API}/actions",
        "API actions, a later page": f"{API}/actions?" + urlencode({"cursor": encode_cursor(middle, middle)}),
        "API actions, open": f"{API}/actions?status=open",
        "API actions, updated in the last day": f"{API}/actions?" + urlencode({"updatedSince": since}),
    }
