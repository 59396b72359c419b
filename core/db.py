"""The database: one SQLAlchemy object, one declarative base with a naming convention for
constraints, and the column types every package uses (aware UTC datetimes, enums as strings)."""
from __future__ import annotations

import enum
import weakref
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, registry

# A naming convention so Alembic names constraints stably on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    Stored as naive UTC (SQLite has no time zones; on PostgreSQL it keeps one column type for
    both), always returned as an aware UTC datetime. Naive input is refused: it is a bug.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


def enum_column(enum_cls: type[enum.Enum], **kw: Any) -> sa.Enum:
    """Store a StrEnum as its value in a VARCHAR with a CHECK constraint (portable, migratable).
    The constraint is named after the class unless ``name`` keeps an earlier one."""
    kw.setdefault("name", enum_cls.__name__.lower())
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        **kw,
    )


def insert_or_skip(table: sa.Table, bind=None, **conflict):
    """An INSERT that skips rows violating a unique constraint (ON CONFLICT DO NOTHING), on
    PostgreSQL and SQLite alike; ``bind`` (default: the session's) names the dialect and
    ``conflict`` is passed on (e.g. ``index_elements=["id"]``)."""
    dialect = (bind or db.session.get_bind()).dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the app supports these two
        raise RuntimeError(f"unsupported database {dialect}")
    return insert(table).on_conflict_do_nothing(**conflict)


def days_between(later, earlier, *, dates: bool = False):
    """SQL: the days from ``earlier`` to ``later`` as a number, the same on PostgreSQL and
    SQLite (fractional for timestamps; whole days when ``dates``: ``later`` is a date column)."""
    if db.session.get_bind().dialect.name == "postgresql":
        if dates:
            return later - sa.cast(earlier, sa.Date)
        return sa.extract("epoch", later - earlier) / 86400.0
    if dates:
        return sa.func.julianday(later) - sa.func.julianday(sa.func.date(earlier))
    return sa.func.julianday(later) - sa.func.julianday(earlier)


def month_of(column):
    """'YYYY-MM' of a timestamp column (UTC), per dialect."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def configure_sqlite(app) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine = db.engine

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()


def configure_postgresql(app) -> None:
    """On PostgreSQL (psycopg), keep the driver's prepared statements from request to request.

    psycopg prepares a statement on a connection once it ran five times there, so PostgreSQL
    plans it once instead of at every execution; for the lists' joins planning costs more than
    running them. But psycopg forgets every prepared statement at each ROLLBACK, and every read
    request ends with one (the session closes its transaction by rolling it back): without this,
    nothing stays prepared. So a transaction that only read ends with COMMIT instead, which for
    such a transaction does exactly the same. "Only read" is checked twice: no statement other
    than a SELECT went through SQLAlchemy, and PostgreSQL assigned the transaction no id (it
    does so at the first row written, whichever way it was written). Anything else, or a failed
    transaction, is rolled back as before.

    ``DATABASE_PREPARED_STATEMENTS = False`` turns prepared statements off (needed behind a
    connection pooler in transaction mode that does not track them)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("postgresql+psycopg"):
        return
    with app.app_context():
        engine = db.engine
    if not app.config.get("DATABASE_PREPARED_STATEMENTS", True):
        @sa.event.listens_for(engine, "connect")
        def _no_prepare(dbapi_connection, _record):
            dbapi_connection.prepare_threshold = None
        return

    from psycopg.pq import TransactionStatus

    wrote: weakref.WeakSet = weakref.WeakSet()  # DBAPI connections whose transaction ran more than SELECTs

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _note_writes(conn, _cursor, statement, _parameters, _context, _many):
        if statement.lstrip()[:6].upper() != "SELECT":
            wrote.add(conn.connection.dbapi_connection)

    dialect = engine.dialect

    def do_rollback(dbapi_connection):
        raw = _driver_connection(dbapi_connection)
        if (raw.info.transaction_status == TransactionStatus.INTRANS
                and raw not in wrote and _no_transaction_id(raw)):
            raw.commit()
        else:
            wrote.discard(raw)
            raw.rollback()

    def do_commit(dbapi_connection):
        raw = _driver_connection(dbapi_connection)
        wrote.discard(raw)
        raw.commit()

    dialect.do_rollback, dialect.do_commit = do_rollback, do_commit


def _driver_connection(connection):
    """psycopg's connection, also when the pool hands its proxy of it."""
    return getattr(connection, "dbapi_connection", connection)


def _no_transaction_id(dbapi_connection) -> bool:
    """Whether PostgreSQL assigned the connection's open transaction no id: it wrote nothing."""
    with dbapi_connection.cursor() as cursor:
        return cursor.execute("SELECT txid_current_if_assigned() IS NULL").fetchone()[0]
