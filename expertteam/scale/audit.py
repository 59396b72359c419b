"""The scale seed's audit trail: rows hashed into one chain with the app's own
``core.audit.row_hash`` (so ``audit verify`` passes) and written with COPY."""
from __future__ import annotations

from datetime import datetime

from core.audit import GENESIS, row_hash

from .copier import Copier

COLUMNS = ("id", "at", "actor_id", "team_id", "action", "object_type", "object_id", "result", "details",
           "ip", "user_agent", "prev_hash", "row_hash")


class _Row:
    """What ``row_hash`` reads of an audit event (one object, refilled per row)."""

    __slots__ = ("action", "actor_id", "at", "details", "ip", "object_id", "object_type", "result", "team_id",
                 "user_agent")


class AuditWriter:
    """Collects rows in the order they are added and writes them chained."""

    def __init__(self, cp: Copier):
        self.cp = cp
        self.rows: list[tuple] = []
        self.next_id = 1
        self.prev = GENESIS

    def add(self, at: datetime, actor: int | None, team: int | None, action: str, object_type: str,
            object_id: int | None, details: dict | None = None) -> None:
        self.rows.append((at, actor, team, action, object_type, object_id, details or {}))

    def flush(self) -> None:
        if not self.rows:
            return
        ev = _Row()
        ev.result, ev.ip, ev.user_agent = "ok", None, None
        out = []
        prev = self.prev
        for at, actor, team, action, otype, oid, details in self.rows:
            ev.at, ev.actor_id, ev.team_id, ev.action, ev.object_type, ev.object_id, ev.details = (
                at, actor, team, action, otype, oid, details)
            h = row_hash(ev, prev)
            out.append((self.next_id, at, actor, team, action, otype, oid, "ok", details, None, None, prev, h))
            prev = h
            self.next_id += 1
        self.prev = prev
        self.rows.clear()
        self.cp.copy("audit_events", COLUMNS, out)


def finish_chain(cp: Copier) -> None:
    """The chain lock's row, counting the rows written."""
    rows = cp.counts["audit_events"]
    cp.execute("INSERT INTO audit_chain (id, rows) VALUES (1, %s) ON CONFLICT (id) DO UPDATE SET rows = EXCLUDED.rows",
               (rows,))
