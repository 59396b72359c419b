"""The audit trail: one call that every state change and every read of case content makes.

Rows are append-only and chained (BIO 8.15): each row stores the hash of the previous row and a
hash over its own fields plus that previous hash, so a changed, removed or inserted row breaks
the chain from that point, which ``core.audit_verify`` (``flask audit verify [--full]`` and the
nightly job ``audit.verify``) reports; its checkpoints (``AuditCheckpoint``, sealed by
``core.audit_seal``) also make removed newest rows detectable. This module knows nothing of the
verification (``core.audit_verify`` imports it, never the other way round). The chain stays
linear with concurrent writers: before the first new row of a flush is hashed, the transaction
takes the chain lock (a one-row table ``audit_chain``, updated, so PostgreSQL holds a row lock and
SQLite the database write lock until commit), and only then reads the last row. Updates and
deletes of audit rows are refused by a session guard on every database and, on PostgreSQL, by a
trigger (``install_pg_guard``).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .clock import utcnow
from .db import db, insert_or_skip
from .models import User

GENESIS = "0" * 64


class AuditEvent(db.Model):
    """One row per change (and later per read) of anything that matters; never updated."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_object", "object_type", "object_id"),
        # The pilot's flow figures read a team's own case events of a period (reports.figures).
        sa.Index("ix_audit_events_team_action_at", "team_id", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    """Who did it; NULL for the system (jobs, CLI without a user)."""
    team_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    """Dotted verb, e.g. 'case.submit', 'user.create'."""
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[Optional[int]]
    result: Mapped[str] = mapped_column(sa.String(16), default="ok")
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    """Structured facts of the event (from/to state, a message); never passwords or tokens."""
    ip: Mapped[Optional[str]] = mapped_column(sa.String(64))
    user_agent: Mapped[Optional[str]] = mapped_column(sa.String(300))
    prev_hash: Mapped[Optional[str]] = mapped_column(sa.String(64))
    """``row_hash`` of the previous row (by id); the first row has the all-zero hash."""
    row_hash: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True)
    """SHA-256 over this row's fields and ``prev_hash``: the chain ``audit verify`` checks."""

    actor: Mapped[Optional[User]] = relationship()


class AuditChain(db.Model):
    """The chain lock: one row (id 1), updated by every transaction that adds audit rows."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    rows: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    """Audit rows added through the chain (a counter; the lock is the point)."""


class AuditCheckpoint(db.Model):
    """A verified state of the chain (``core.audit_verify``): up to row ``last_id`` the chain held
    ``row_count`` rows and ended in ``last_hash``. The nightly check starts from the newest one.
    Every field is sealed (``seal``: an HMAC with a key outside the database, ``core.audit_seal``),
    so a changed or forged checkpoint shows, and ``seq`` numbers them, so a removed one shows."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (sa.Index("ix_audit_checkpoints_last_id", "last_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    verified_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_id: Mapped[int] = mapped_column(sa.BigInteger)
    """The id of the newest audit row the check covered (the chain head at that time)."""
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    """That row's ``row_hash``."""
    row_count: Mapped[int] = mapped_column(sa.BigInteger)
    """How many audit rows have an id up to ``last_id``."""
    full: Mapped[bool] = mapped_column(default=False)
    """Whether the check walked the whole chain (``audit verify --full``, or no checkpoint yet)."""
    seq: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    """Its number in the sequence of checkpoints (1, 2, …; two checks at once may share one): a
    gap shows a removed checkpoint. NULL only on a checkpoint written before they were sealed."""
    swept_id: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    """Where the rotating slice of older rows stopped (the next slice starts after this row);
    NULL: the next slice starts at the beginning of the chain."""
    swept_hash: Mapped[Optional[str]] = mapped_column(sa.String(64))
    """The ``row_hash`` of row ``swept_id`` when the slice checked it: the next slice's known start."""
    swept_count: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    """How many audit rows have an id up to ``swept_id``."""
    sweep_run: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    """Slices done in the current round over the older chain (0 to 6; a round takes at most 7)."""
    seal: Mapped[Optional[str]] = mapped_column(sa.String(64))
    """HMAC-SHA256 over every field above (``core.audit_seal.seal``); NULL only on a checkpoint
    written before they were sealed (``flask audit seal`` seals those once)."""


class AuditImmutable(RuntimeError):
    """An attempt to change or remove an audit row."""


def client_origin() -> tuple[str | None, str | None]:
    if not has_request_context():
        return None, None
    return request.remote_addr, (request.user_agent.string or "")[:300] or None


def record(
    action: str,
    *,
    object_type: str,
    object_id: int | None,
    actor: User | None,
    team_id: int | None = None,
    details: dict[str, Any] | None = None,
    result: str = "ok",
) -> AuditEvent:
    """Add an audit row to the current transaction (the caller commits)."""
    ip, ua = client_origin()
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor.id if actor is not None else None,
        team_id=team_id,
        details=details or {},
        result=result,
        ip=ip,
        user_agent=ua,
        at=utcnow(),
    )
    db.session.add(event)
    return event


# --- hashing ----------------------------------------------------------------------------------

def at_text(at: datetime | None) -> str:
    """A moment as the chain hashes it: naive UTC, ISO 8601 with microseconds ("" for none)."""
    if at is None:
        return ""
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


#: Canonical JSON (sorted keys, no spaces, UTF-8 as is); one encoder, built once.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)

#: The columns a row's hash covers, in the order ``hash_fields`` takes them (after ``prev``).
HASHED_COLUMNS = ("at", "actor_id", "team_id", "action", "object_type", "object_id", "result", "details", "ip",
                  "user_agent")


def hash_fields(prev_hash: str, at, actor_id, team_id, action, object_type, object_id, result, details, ip,
                user_agent) -> str:
    """SHA-256 over a row's fields (canonical JSON) and the previous row's hash; the one hash
    function of the chain, for ORM objects (``row_hash``) and for plain result tuples alike."""
    payload = {
        "prev": prev_hash,
        "at": at_text(at),
        "actor": actor_id,
        "team": team_id,
        "action": action,
        "type": object_type,
        "object": object_id,
        "result": result,
        "details": details or {},
        "ip": ip,
        "ua": user_agent,
    }
    return hashlib.sha256(_CANONICAL.encode(payload).encode("utf-8")).hexdigest()


def row_hash(event: AuditEvent, prev_hash: str) -> str:
    """SHA-256 over the row's fields (canonical JSON) and the previous row's hash."""
    return hash_fields(prev_hash, *(getattr(event, name) for name in HASHED_COLUMNS))


def _take_chain_lock(session: Session) -> str:
    """Lock the chain for this transaction and return the hash of the last committed row."""
    conn = session.connection()
    table = AuditChain.__table__
    take = sa.update(table).where(table.c.id == 1).values(rows=table.c.rows + 1)
    if conn.execute(take).rowcount == 0:  # the first audit row ever: create the lock row
        conn.execute(insert_or_skip(table, conn, index_elements=["id"]).values(id=1, rows=0))
        conn.execute(take)
    last = conn.execute(
        sa.select(AuditEvent.__table__.c.row_hash).order_by(AuditEvent.__table__.c.id.desc()).limit(1)
    ).scalar()
    return last or GENESIS


def _before_flush(session: Session, _context, _instances) -> None:
    for obj in list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditImmutable("audit rows are never deleted")
    for obj in list(session.dirty):
        if isinstance(obj, AuditEvent) and session.is_modified(obj, include_collections=False):
            raise AuditImmutable("audit rows are never changed")
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new:
        return
    new.sort(key=lambda o: sa.inspect(o).insert_order)  # the order the flush inserts them
    prev = session.info.get("audit_last_hash") if session.info.get("audit_chain_locked") else None
    if prev is None:
        prev = _take_chain_lock(session)
    for event in new:
        if event.at is None:
            event.at = utcnow()
        if event.details is None:
            event.details = {}
        event.prev_hash = prev
        event.row_hash = prev = row_hash(event, prev)
    session.info["audit_chain_locked"] = True
    session.info["audit_last_hash"] = prev


def _end_transaction(session: Session, *_args) -> None:
    session.info.pop("audit_chain_locked", None)
    session.info.pop("audit_last_hash", None)


def _do_orm_execute(state) -> None:
    """Refuse bulk UPDATE/DELETE statements on audit rows through the ORM session."""
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is not None and getattr(table, "name", None) == AuditEvent.__tablename__:
            raise AuditImmutable("audit rows are never changed or deleted")


def install_session_guard() -> None:
    """Wire the chain and the append-only guard into every ORM session (idempotent)."""
    if not sa.event.contains(Session, "before_flush", _before_flush):
        sa.event.listen(Session, "before_flush", _before_flush)
        sa.event.listen(Session, "after_commit", _end_transaction)
        sa.event.listen(Session, "after_rollback", _end_transaction)
        sa.event.listen(Session, "after_soft_rollback", _end_transaction)
        sa.event.listen(Session, "do_orm_execute", _do_orm_execute)


# --- PostgreSQL: a trigger refuses UPDATE and DELETE ------------------------------------------

PG_GUARD_SQL = [
    """
    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING
            MESSAGE = 'audit_events is append-only: ' || TG_OP || ' refused',
            ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    """
    CREATE TRIGGER audit_events_append_only
        BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
    """,
]
PG_GUARD_DROP_SQL = [
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    "DROP FUNCTION IF EXISTS audit_events_append_only()",
]


def install_pg_guard(bind) -> bool:
    """Create the trigger on PostgreSQL (no-op elsewhere). ``bind``: an engine or a connection
    (in a migration: ``install_pg_guard(op.get_bind())``). Returns whether it was installed."""
    if bind.dialect.name != "postgresql":
        return False
    if isinstance(bind, sa.engine.Engine):
        with bind.begin() as conn:
            return install_pg_guard(conn)
    for statement in PG_GUARD_SQL:
        bind.exec_driver_sql(statement)
    return True

