"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from core.db import db
from expertteam import create_app


def _describe(item) -> str:
    """One short line per difference (the raw tuples print whole tables)."""
    if isinstance(item, list):  # modify_* differences come as a list of tuples
        return ", ".join(_describe(i) for i in item)
    op, *rest = item
    names = []
    for part in rest:
        name = getattr(part, "name", None)
        if name is None and hasattr(part, "table") and hasattr(part, "key"):
            name = f"{part.table.name}.{part.key}"
        names.append(str(name if name is not None else part)[:60])
    return f"{op} {' '.join(names)}"


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """An empty database of the same kind as the test database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/migrations.sqlite3"
        return
    name = f"mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(database_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _index_names(conn) -> set[str]:
    """Every index in the database by name (expression indexes too, which reflection skips)."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    return set(conn.execute(sa.text(sql)).scalars())


# Alembic cannot compare expression-based (and, on SQLite, partial) indexes and says so; the test
# compares every index by name instead.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping")
def test_migrations_match_the_models_and_downgrade_cleanly(fresh_database, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database, "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], "models and migrations differ: " + "; ".join(_describe(d) for d in diff)
        with db.engine.connect() as conn:
            present = _index_names(conn)
        declared = {i.name for table in db.metadata.tables.values() for i in table.indexes}
        assert declared - present == set(), "indexes of the models no migration creates"
        if db.engine.dialect.name == "postgresql":
            # The migration installs the append-only guard on the audit trail.
            with db.engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO audit_events (at, action, object_type, result, details) "
                                     "VALUES (now(), 'test.row', 'test', 'ok', '{}')"))
            for statement in ("UPDATE audit_events SET action = 'changed'", "DELETE FROM audit_events"):
                with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
                    conn.execute(sa.text(statement))
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_existing_calendar_feeds_keep_working_after_their_tokens_are_hashed(fresh_database):
    """0007 replaces each stored feed token by its SHA-256: the subscribed address still works,
    and the token itself is no longer in the database."""
    import hashlib

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as conn:
            from core.models import User  # the users table is the same at 0006 (its defaults fill the rest)
            user_id = conn.execute(sa.insert(User.__table__).values(email="a@b.example", name="A", password_hash="x")
                                   .returning(User.__table__.c.id)).scalar_one()
            conn.execute(sa.text("INSERT INTO calendar_feeds (user_id, token, created_at) "
                                 "VALUES (:u, 'old-token-subscribed-in-a-calendar-app', CURRENT_TIMESTAMP)"),
                         {"u": user_id})
        upgrade()
        from meeting.calendar import feed_user
        assert feed_user("old-token-subscribed-in-a-calendar-app").id == user_id
        with db.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT token_hash FROM calendar_feeds")).scalar_one()
        assert stored == hashlib.sha256(b"old-token-subscribed-in-a-calendar-app").hexdigest()
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
