"""PostgreSQL keeps the driver's prepared statements from one read request to the next, and a
transaction that changed anything is still rolled back (``core.db.configure_postgresql``)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from core.db import db
from core.models import Organisation
from expertteam import create_app
from tests.conftest import TEST_DB, _test_config, login

pytestmark = pytest.mark.skipif(TEST_DB == "sqlite", reason="prepared statements are PostgreSQL's")

QUERY = sa.text("SELECT name FROM organisations WHERE id = :id")


def _prepared() -> set[str]:
    return set(db.session.execute(sa.text("SELECT statement FROM pg_prepared_statements")).scalars())


def _backend() -> int:
    return db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()


def _organisations() -> int:
    return db.session.scalar(sa.select(sa.func.count(Organisation.id)))


def test_a_read_only_transaction_keeps_the_statements_it_prepared(app):
    backend = _backend()
    for _ in range(6):  # psycopg prepares a statement at its fifth run on a connection
        db.session.execute(QUERY, {"id": 1}).all()
        db.session.remove()  # ends the read-only transaction as every read request does
    assert _backend() == backend, "the pool handed another connection: the test proves nothing"
    assert "SELECT name FROM organisations WHERE id = $1" in _prepared()


def test_a_read_request_keeps_the_page_statements_prepared(app, client, make_user):
    user = make_user()
    db.session.commit()
    login(client, user)
    db.session.remove()
    # In a thread of its own, as in a worker: each request has its own app context and ends it,
    # closing its session (in the test's thread the requests would share the test's context).
    browser = FlaskClient(app)
    browser.set_cookie("session", client.get_cookie("session").value)
    with ThreadPoolExecutor(max_workers=1) as worker:
        for _ in range(12):  # the pool may alternate between its connections
            assert worker.submit(browser.get, "/account/password").result().status_code == 200  # it only reads
    # On whichever connection served it: every idle connection of the pool at once.
    pool = db.engine.pool
    connections = [db.engine.connect() for _ in range(pool.checkedin())]
    try:
        prepared = {statement for conn in connections
                    for statement in conn.execute(sa.text("SELECT statement FROM pg_prepared_statements")).scalars()}
    finally:
        for conn in connections:
            conn.close()
    assert any("FROM users" in statement for statement in prepared)


def test_a_transaction_that_wrote_is_rolled_back_however_it_wrote(app):
    before = _organisations()
    db.session.add(Organisation(name="Through the ORM"))
    db.session.flush()
    db.session.rollback()
    db.session.execute(sa.text("INSERT INTO organisations (name, active, created_at) VALUES ('By SQL', true, now())"))
    db.session.remove()
    # Past SQLAlchemy, straight on the driver's connection: PostgreSQL itself says it wrote.
    raw = db.session.connection().connection.dbapi_connection
    raw.execute("INSERT INTO organisations (name, active, created_at) VALUES ('By the driver', true, now())")
    db.session.remove()
    assert _organisations() == before


def test_a_failed_transaction_is_rolled_back_and_the_session_goes_on(app):
    with pytest.raises(sa.exc.DataError):
        db.session.execute(sa.text("SELECT 1 / 0")).all()
    db.session.rollback()
    assert db.session.execute(sa.text("SELECT 1")).scalar() == 1


def test_settings_made_in_a_transaction_are_undone_by_its_rollback(app):
    db.session.execute(sa.text("SET statement_timeout = 12345"))
    db.session.remove()
    assert db.session.execute(sa.text("SHOW statement_timeout")).scalar() != "12345ms"


def test_prepared_statements_can_be_turned_off(database_url, tmp_path):
    other = create_app({**_test_config(database_url, tmp_path), "DATABASE_PREPARED_STATEMENTS": False})
    with other.app_context():
        try:
            for _ in range(6):
                db.session.execute(QUERY, {"id": 1}).all()
                db.session.commit()
            assert db.session.connection().connection.dbapi_connection.prepare_threshold is None
            assert not _prepared()
        finally:
            db.session.remove()
            db.engine.dispose()
