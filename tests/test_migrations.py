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


def _dummy(column: sa.Column):
    """A value a NOT NULL column without a default takes (by the model's type)."""
    from datetime import date, datetime

    kind = column.type
    if isinstance(kind, sa.Enum):
        return kind.enums[0]
    kind = getattr(kind, "impl_instance", kind)  # a decorated type (UTCDateTime): what it stores
    for python_type, value in ((bool, False), (int, 1), (datetime, datetime(2026, 1, 1)),
                               (date, date(2026, 1, 1)), (dict, {}), (str, "x")):
        try:
            if issubclass(kind.python_type, python_type):
                return value
        except NotImplementedError:
            continue
    return "x"


def _insert(conn, table: str, **values) -> None:
    """A row of ``table`` as the database has it now: the given values, a dummy for every other
    NOT NULL column without a server default (typed after the model's column)."""
    model = db.metadata.tables[table]
    present = sa.Table(table, sa.MetaData(), autoload_with=conn)
    row = {c.name: _dummy(model.c[c.name]) for c in present.columns
           if not c.nullable and c.server_default is None and not c.primary_key and c.name not in values}
    conn.execute(sa.insert(present).values(**row, **values))


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_ladder_level_and_the_entries_into_level_1_are_filled_and_the_copied_reasons_emptied(fresh_database):
    """0017 fills ``advice_actions.ladder_level`` by the rule the pages applied (the open ladder's
    level, else 1 while escalated and not carried out, else 0), gives the steps their action and
    each escalated action its entry into level 1, and empties the case messages that copied a
    refusal reason the action still holds."""
    from datetime import datetime

    t1, t2, started = (datetime(2026, 3, d, 9) for d in (1, 2, 20))  # stored as naive UTC
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0016")
        raw = sa.create_engine(fresh_database)  # SQLite: no foreign key pragma; PostgreSQL: triggers off below
        with raw.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SET session_replication_role = replica"))
            _insert(conn, "users", id=5, email="contact@example.test", name="Contact")  # who refused
            _insert(conn, "advice", id=1, case_id=7, version=1, status="issued")
            action = {"advice_id": 1, "organisation_id": 1, "team_id": 1, "deadline": t1.date()}
            _insert(conn, "advice_actions", id=1, status="refused", escalated_at=t1, escalation_kind="refused",
                    refused_by_id=5, refused_reason="No home.", **action)
            _insert(conn, "advice_actions", id=2, status="confirmed", escalated_at=t2, escalation_kind="overdue",
                    **action)
            _insert(conn, "advice_actions", id=3, status="done", escalation_kind="overdue", **action)
            _insert(conn, "advice_actions", id=4, status="open", **action)
            for esc_id, action_id, level, closed in ((1, 2, 3, None), (2, 3, 2, started)):
                _insert(conn, "advice_escalations", id=esc_id, action_id=action_id, team_id=1, organisation_id=1,
                        level=level, started_at=started, level_since=started, closed_at=closed)
            _insert(conn, "advice_escalation_steps", escalation_id=1, from_level=1, to_level=2, at=started)
            for message_id, text in ((1, "No home."), (2, "An earlier reason.")):
                _insert(conn, "case_messages", id=message_id, case_id=7, kind="action_refused", text=text)
        raw.dispose()
        upgrade()
        with db.engine.connect() as conn:
            levels = dict(conn.execute(sa.text("SELECT id, ladder_level FROM advice_actions")).all())
            steps = conn.execute(sa.text("SELECT action_id, escalation_id, from_level, to_level, by_id "
                                         "FROM advice_escalation_steps ORDER BY action_id, to_level")).all()
            messages = dict(conn.execute(sa.text("SELECT id, text FROM case_messages")).all())
        assert levels == {1: 1, 2: 3, 3: 0, 4: 0}
        assert [tuple(s) for s in steps] == [(1, None, 0, 1, 5), (2, None, 0, 1, None), (2, 1, 1, 2, None),
                                             (3, None, 0, 1, None)]
        assert messages == {1: "", 2: "An earlier reason."}
        db.session.remove()
        downgrade(revision="0016")  # with these rows (the rest of the chain is the test above's)
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT escalation_id FROM advice_escalation_steps")).scalars().all() == [1]
            assert "ladder_level" not in {c["name"] for c in sa.inspect(conn).get_columns("advice_actions")}
        db.engine.dispose()
