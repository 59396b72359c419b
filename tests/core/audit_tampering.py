"""Helpers of the audit chain tests: rows added through the app, and tampering behind its back.

Tampering goes behind the app's back, as an attacker with SQL access would: a plain connection
(the session guard only watches the ORM) with the PostgreSQL append-only trigger switched off.
"""
from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from core import audit
from core.audit import AuditCheckpoint, AuditEvent
from core.db import db

EVENTS = AuditEvent.__table__
CHECKPOINTS = AuditCheckpoint.__table__


def add(n: int, start: int = 0) -> list[int]:
    """Add ``n`` audit rows through the app (chained by the session guard), with object ids
    ``start``, ``start + 1``, …; their ids."""
    events = [audit.record("test.step", object_type="test", object_id=i, actor=None, details={"i": i})
              for i in range(start, start + n)]
    db.session.commit()
    return [e.id for e in events]


def ids() -> list[int]:
    db.session.rollback()  # a fresh snapshot after tampering on another connection
    return db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)).all()


def checkpoints() -> list[AuditCheckpoint]:
    db.session.rollback()
    return db.session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id)).all()


@contextmanager
def behind_the_apps_back():
    with db.engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        yield conn
        if pg:
            conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")


def change(row_id: int) -> None:
    with behind_the_apps_back() as conn:
        conn.execute(sa.update(EVENTS).where(EVENTS.c.id == row_id).values(action="test.tampered"))


def remove(*row_ids: int) -> None:
    with behind_the_apps_back() as conn:
        conn.execute(sa.delete(EVENTS).where(EVENTS.c.id.in_(row_ids)))


def rewrite_from(row_id: int) -> str:
    """Change row ``row_id`` and hash it and every later row again, as someone who knows the
    (keyless) hash function would: every link holds. Returns the new head's hash."""
    with behind_the_apps_back() as conn:
        prev = conn.scalar(sa.select(EVENTS.c.row_hash).where(EVENTS.c.id < row_id).order_by(EVENTS.c.id.desc())
                           .limit(1)) or audit.GENESIS
        conn.execute(sa.update(EVENTS).where(EVENTS.c.id == row_id).values(action="test.tampered"))
        for row in conn.execute(sa.select(EVENTS).where(EVENTS.c.id >= row_id).order_by(EVENTS.c.id)).all():
            own = audit.hash_fields(prev, *(row._mapping[name] for name in audit.HASHED_COLUMNS))
            conn.execute(sa.update(EVENTS).where(EVENTS.c.id == row.id).values(prev_hash=prev, row_hash=own))
            prev = own
    return prev
