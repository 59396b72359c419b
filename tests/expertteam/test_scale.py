"""The scale seed (``flask --app expertteam seed-scale``): its small size on PostgreSQL gives a
valid audit chain, consistent rows (foreign keys checked while loading), every status a page
needs, and every key page of the benchmark answers 200 for its role. It refuses SQLite and a
database that already holds data."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.db import db
from core.models import User
from expertteam.scale import SCALE_PASSWORD, SeedRefused, Shape, bench_targets, seed_scale
from tests.conftest import TEST_DB, login

pg_only = pytest.mark.skipif(TEST_DB == "sqlite", reason="the scale seed fills PostgreSQL only")


def _count(sql: str) -> int:
    return db.session.execute(sa.text(sql)).scalar()


def test_refuses_sqlite(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite run only")
    with pytest.raises(SeedRefused, match="PostgreSQL"):
        seed_scale(Shape(small=True), echo=lambda *_: None)


@pg_only
def test_small_seed_chain_shape_and_pages(app, client):
    result = seed_scale(Shape(small=True), echo=lambda *_: None)
    counts = result["counts"]
    assert counts["cases"] == 10 and counts["teams"] == 2
    assert counts["audit_events"] == 30 * counts["cases"]  # the seed pads each case's history to 30 rows

    # The chain verifies with the app's own command, and the chain lock counts the rows.
    outcome = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert outcome.exit_code == 0 and "intact" in outcome.output, outcome.output
    assert _count("SELECT rows FROM audit_chain WHERE id = 1") == counts["audit_events"]

    # The newest cases of a team take the fixed path, so each kind of page has its object.
    statuses = {s for (s,) in db.session.execute(sa.text("SELECT DISTINCT status FROM cases WHERE team_id = 1"))}
    assert {"in_execution", "advised", "scheduled", "accepted", "submitted"} <= statuses
    assert _count("SELECT count(*) FROM advice_actions WHERE status IN ('open', 'confirmed')") > 0
    assert _count("SELECT count(*) FROM agenda_items i JOIN meetings m ON m.id = i.meeting_id "
                  "WHERE m.status = 'published' AND i.outcome IS NULL") > 0
    # Sequences continue after the seeded ids: a new row gets a fresh id.
    assert _count("SELECT nextval(pg_get_serial_sequence('cases', 'id'))") > _count("SELECT max(id) FROM cases")

    # A second run refuses: the database is no longer empty.
    with pytest.raises(SeedRefused, match="not empty"):
        seed_scale(Shape(small=True), echo=lambda *_: None)

    targets = bench_targets()
    signed_in = None
    for name, (email, url) in sorted(targets.items(), key=lambda item: item[1][0]):
        if email != signed_in:
            login(client, db.session.scalar(sa.select(User).where(User.email == email)), SCALE_PASSWORD)
            signed_in = email
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)


@pg_only
def test_bench_targets_say_when_not_seeded(app):
    with pytest.raises(LookupError, match="seed-scale"):
        bench_targets()
