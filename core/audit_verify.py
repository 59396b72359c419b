"""Verifying the audit chain (``core.audit``): incremental every night, in full on request.

A verification that finds the chain intact writes a checkpoint (``AuditCheckpoint``: the id and
hash of the newest row, the number of rows up to it, the time) and writes the same chain head to
the application log (logger ``expertteam.audit``, INFO), so a copy exists outside the database.

- **Incremental** (``verify_incremental``: the nightly job ``audit.verify``, ``flask audit
  verify``) starts from the newest checkpoint. It checks that the checkpointed row still exists
  with the same hash (so removing the newest rows, or that row, is detected), that the number of
  rows up to it is unchanged (a removed or inserted older row is detected with one ``count(*)``),
  and then hashes only the rows added since, in id order, checking each link. Without a
  checkpoint it walks the whole chain. When a checkpoint check fails it walks the whole chain to
  name the first broken row.
- **Full** (``verify_chain``, ``flask audit verify --full``) walks every row and also compares
  the chain with every checkpoint on the way. It finds what the incremental check cannot see: a
  changed row older than the newest checkpoint. Run it now and then (e.g. weekly).

Both read plain tuples through one streaming statement (a server-side cursor on PostgreSQL, in
batches), so memory stays constant whatever the length of the trail.

Limits: rows removed from the end of the chain after the newest checkpoint, before the next
verification, leave no trace in the database (only a later row's ``prev_hash`` shows a removed
row before it); the chain head in the log is the copy to compare with. Checkpoints are only ever
added; two verifications at once each add a true one, and the next run starts from the one
reaching furthest.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from .audit import (
    GENESIS,
    HASHED_COLUMNS,
    AuditCheckpoint,
    AuditEvent,
    hash_fields,
    record,
)
from .clock import utcnow
from .db import db

log = logging.getLogger("expertteam.audit")

#: Rows fetched per round trip while streaming.
BATCH = 5000

_EVENTS = AuditEvent.__table__
_CHECKPOINTS = AuditCheckpoint.__table__
# Read lean: ``at`` as the naive UTC value it is stored as (what the hash covers), ``details`` as
# its JSON text, parsed by ``_fields`` (the driver's own JSON loading costs twice as much).
_RAW = {"at": sa.type_coerce(_EVENTS.c.at, sa.DateTime).label("at"),
        "details": sa.cast(_EVENTS.c.details, sa.Text).label("details")}
_COLUMNS = (_EVENTS.c.id, _EVENTS.c.prev_hash, _EVENTS.c.row_hash,
            *(_RAW.get(name, _EVENTS.c[name]) for name in HASHED_COLUMNS))
_DETAILS = HASHED_COLUMNS.index("details")

LINK = "its link to the previous row does not match (a row before it was removed, inserted or changed)"
CHANGED = "its content does not match its hash (the row was changed)"


@dataclass
class ChainReport:
    rows: int
    """Rows in the chain up to the newest verified row (when broken: up to the broken row)."""
    checked: int = 0
    """Rows read and hashed by this run."""
    broken_id: int | None = None
    reason: str = ""
    head_id: int | None = None
    """The newest verified row (the chain head), None for an empty trail."""
    head_hash: str | None = None
    since_id: int | None = None
    """The checkpointed row an incremental run started after (None: from the start)."""
    full: bool = True

    @property
    def ok(self) -> bool:
        return self.broken_id is None

    def __str__(self) -> str:
        if not self.ok:
            return f"audit chain broken at row {self.broken_id}: {self.reason} ({self.checked} rows checked)"
        text = f"audit chain intact: {self.rows} rows"
        if self.head_id is not None:
            text += f" up to row {self.head_id}"
        if self.full:
            return text + " (full check)"
        return text + f" ({self.checked} new rows checked after the checkpoint at row {self.since_id})"


@dataclass(frozen=True)
class _Mark:
    last_id: int
    last_hash: str
    row_count: int
    verified_at: datetime

    @property
    def when(self) -> str:
        return f"the checkpoint of {self.verified_at:%Y-%m-%d %H:%M} UTC"


def _marks(conn: sa.Connection, *, latest: bool = False) -> list[_Mark]:
    c = _CHECKPOINTS.c
    query = sa.select(c.last_id, c.last_hash, c.row_count, c.verified_at)
    if latest:  # the one reaching furthest (two runs at once may end at different rows)
        query = query.order_by(c.last_id.desc(), c.id.desc()).limit(1)
    else:
        query = query.order_by(c.last_id, c.id)
    return [_Mark(*row) for row in conn.execute(query)]


def _stream(conn: sa.Connection, after_id: int, batch: int) -> Iterator[sa.Row]:
    """The rows after ``after_id`` in id order, as tuples, ``batch`` at a time (one statement)."""
    query = sa.select(*_COLUMNS).where(_EVENTS.c.id > after_id).order_by(_EVENTS.c.id)
    result = conn.execution_options(yield_per=batch).execute(query)
    for part in result.partitions():
        yield from part


def _unpack(row: sa.Row) -> tuple[int, str, str, list]:
    row_id, prev_hash, own_hash, *fields = row
    if fields[_DETAILS] is not None:
        fields[_DETAILS] = json.loads(fields[_DETAILS])
    return row_id, prev_hash, own_hash, fields


def _walk(rows: Iterable[sa.Row], *, prev: str, count: int, marks: list[_Mark], since_id: int | None) -> ChainReport:
    """Check each row's link and hash; compare with the checkpoints passed on the way."""
    checked = 0
    head_id = since_id
    pending = [m for m in marks if m.last_id > (since_id or 0)]
    i = 0

    def broken(row_id: int, reason: str) -> ChainReport:
        return ChainReport(count, checked, row_id, reason, since_id=since_id)

    def gone(mark: _Mark, after: str) -> ChainReport:
        return broken(mark.last_id, f"row {mark.last_id}, the chain head at {mark.when}, is gone "
                                    f"(rows were removed; {after})")

    for row in rows:
        row_id, prev_hash, own_hash, fields = _unpack(row)
        if i < len(pending) and pending[i].last_id < row_id:
            return gone(pending[i], f"the next row is {row_id}")
        checked += 1
        count += 1
        if prev_hash != prev:
            return broken(row_id, LINK)
        if own_hash != hash_fields(prev, *fields):
            return broken(row_id, CHANGED)
        prev = own_hash
        head_id = row_id
        while i < len(pending) and pending[i].last_id == row_id:
            mark = pending[i]
            i += 1
            if mark.last_hash != prev:
                return broken(row_id, f"its hash differs from {mark.when} (the chain was rewritten)")
            if mark.row_count != count:
                return broken(row_id, f"{count} rows up to it, where {mark.when} counted {mark.row_count} "
                                      "(rows before it were removed or inserted)")
    if i < len(pending):
        return gone(pending[i], f"the chain now ends at row {head_id}" if head_id else "the trail is empty")
    return ChainReport(count, checked, head_id=head_id, head_hash=prev if head_id else None, since_id=since_id)


def verify_chain(batch: int = BATCH, *, checkpoint: bool = False, now: datetime | None = None) -> ChainReport:
    """Walk the whole chain (and every checkpoint); with ``checkpoint``, write one when intact."""
    with db.engine.connect() as conn:
        marks = _marks(conn)
        report = _walk(_stream(conn, 0, batch), prev=GENESIS, count=0, marks=marks, since_id=None)
    if checkpoint and report.ok:
        _write_checkpoint(report, now)
    return report


def _check_checkpoint(conn: sa.Connection, mark: _Mark) -> ChainReport | None:
    """Is the checkpointed row still there, unchanged, with as many rows up to it? (Two lookups.)"""
    def broken(reason: str) -> ChainReport:
        return ChainReport(0, broken_id=mark.last_id, reason=reason, since_id=mark.last_id, full=False)

    found = conn.execute(sa.select(*_COLUMNS).where(_EVENTS.c.id == mark.last_id)).first()
    if found is None:
        newest = conn.scalar(sa.select(sa.func.max(_EVENTS.c.id)))
        after = f"the chain now ends at row {newest}" if newest else "the trail is empty"
        return broken(f"row {mark.last_id}, the chain head at {mark.when}, is gone (rows were removed; {after})")
    _id, prev_hash, own_hash, fields = _unpack(found)
    if own_hash != mark.last_hash or own_hash != hash_fields(prev_hash, *fields):
        return broken(f"its content or hash differs from {mark.when} (the row was changed or the chain rewritten)")
    count = conn.scalar(sa.select(sa.func.count()).select_from(_EVENTS).where(_EVENTS.c.id <= mark.last_id))
    if count != mark.row_count:
        return broken(f"{count} rows up to it, where {mark.when} counted {mark.row_count} "
                      "(rows before it were removed or inserted)")
    return None


def verify_incremental(batch: int = BATCH, *, now: datetime | None = None) -> ChainReport:
    """Check the rows added since the newest checkpoint (all rows without one); write a new
    checkpoint when intact. A failed checkpoint check walks the whole chain to name the first
    broken row."""
    with db.engine.connect() as conn:
        latest = _marks(conn, latest=True)
        mark = latest[0] if latest else None
        problem = _check_checkpoint(conn, mark) if mark is not None else None
        if mark is not None and problem is None:
            report = _walk(_stream(conn, mark.last_id, batch), prev=mark.last_hash, count=mark.row_count,
                           marks=[], since_id=mark.last_id)
            report.full = False
    if mark is None:
        return verify_chain(batch, checkpoint=True, now=now)
    if problem is not None:
        located = verify_chain(batch)
        return located if not located.ok else problem
    if report.ok:
        _write_checkpoint(report, now)
    return report


def _write_checkpoint(report: ChainReport, now: datetime | None) -> None:
    """Record the verified head in the database and in the log (an empty trail has none)."""
    if report.head_id is None or report.head_hash is None:
        return
    with db.engine.begin() as conn:
        conn.execute(sa.insert(_CHECKPOINTS).values(
            verified_at=now or utcnow(), last_id=report.head_id, last_hash=report.head_hash,
            row_count=report.rows, full=report.full))
    log.info("audit checkpoint (%s check): head row %s, %s rows, hash %s", "full" if report.full else "incremental",
             f"{report.head_id:_}", f"{report.rows:_}", spaced_hash(report.head_hash))


def spaced_hash(value: str) -> str:
    """The hash in groups of 16, so the log's redaction of long tokens leaves it readable."""
    return " ".join(value[i:i + 16] for i in range(0, len(value), 16))


def log_safe(text: str) -> str:
    """Long numbers grouped with '_', so the log's redaction of six-digit codes leaves ids readable."""
    return re.sub(r"\d{5,}", lambda m: f"{int(m.group()):_}", text)


def verify_job(now: datetime) -> str:
    """Nightly: the incremental check; a break is logged as an error (and audited) for the administrator."""
    report = verify_incremental(now=now)
    if not report.ok:
        log.error("%s", log_safe(str(report)))
        record("audit.verify", object_type="audit", object_id=report.broken_id, actor=None, result="failed",
               details={"rows": report.rows, "broken_id": report.broken_id})
        db.session.commit()
    return str(report)
