"""Verifying the audit chain (``core.audit``): every night from the last checkpoint plus a
rotating slice of the older chain, in full on request.

A verification that finds the chain intact writes a checkpoint (``AuditCheckpoint``: the id and
hash of the newest row, the number of rows up to it, the time, where the rotating slice stands,
all sealed by ``core.audit_seal``) and writes the same chain head to the application log (logger
``expertteam.audit``, INFO) and to the head file outside the database.

Every check first checks the checkpoints themselves (``core.audit_seal``): each seal, their
numbering, the checkpoint named in the head file, and that a trail older than ``ANCHOR_GRACE``
has a checkpoint at all. A checkpoint that does not hold is reported, and nothing it vouches for
is trusted.

- **Incremental** (``verify_incremental``) starts from the newest checkpoint. It checks that the
  checkpointed row still exists with the same hash (so removing the newest rows, or that row, is
  detected), that the number of rows up to it is unchanged (a removed or inserted older row is
  detected with one ``count(*)``), and then hashes only the rows added since, in id order,
  checking each link. Without a checkpoint it walks the whole chain. When a checkpoint check
  fails it walks the whole chain to name the first broken row.
- **The rotating slice** (``sweep=True``: the nightly job ``audit.verify`` and ``flask audit
  verify``) also re-checks a slice of the rows up to that checkpoint, keyset by id, starting from
  the row and hash the previous run sealed into its checkpoint (the start of the chain for the
  first slice of a round), and compares every checkpoint it passes. After slice *k* of a round at
  least *k*/7 of the chain is covered (counted at each run), so a round takes at most 7 runs and
  every row is hashed again at least every 7 nights: an edit of an older row is found within a
  week.
- **Full** (``verify_chain``, ``flask audit verify --full``) walks every row and compares the chain
  with every checkpoint on the way.

All read plain tuples through one streaming statement (a server-side cursor on PostgreSQL, in
batches), so memory stays constant whatever the length of the trail.

Limits: rows removed from the end of the chain after the newest checkpoint, before the next
verification, leave no trace in the database (only a later row's ``prev_hash`` shows a removed
row before it); the chain head in the log is the copy to compare with. Checkpoints are only ever
added; two verifications at once each add a true one (with the same number), and the next run
starts from the one reaching furthest. Nothing here can tell a consistent rewrite of the chain
and its checkpoints by someone holding both the database and the HMAC key.
"""
from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from .audit import (
    GENESIS,
    HASHED_COLUMNS,
    AuditCheckpoint,
    AuditEvent,
    hash_fields,
    record,
)
from .audit_seal import (
    HeadUnreadable,
    checkpoint_key,
    checkpoint_problem,
    head_path,
    head_problem,
    read_head,
    seal,
    write_head,
)
from .clock import utcnow
from .db import db

log = logging.getLogger("expertteam.audit")

#: Rows fetched per round trip while streaming.
BATCH = 5000
#: The nightly check writes a checkpoint within a day of the first row; a trail with a row older
#: than this and no checkpoint at all has lost its checkpoints.
ANCHOR_GRACE = timedelta(days=2)
#: The rotating slice covers the chain up to the last checkpoint in at most this many runs.
SWEEP_RUNS = 7

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
    """Rows read and hashed by this run (the rotating slice's apart)."""
    broken_id: int | None = None
    """The first broken row; None when intact, or when a checkpoint does not hold."""
    reason: str = ""
    """Why the chain is not intact ("" when it is)."""
    head_id: int | None = None
    """The newest verified row (the chain head), None for an empty trail."""
    head_hash: str | None = None
    since_id: int | None = None
    """The checkpointed row an incremental run started after (None: from the start)."""
    full: bool = True
    swept: int = 0
    """Older rows hashed again by the rotating slice."""
    slice_no: int = 0
    """Which slice of its round the run checked (1 to 7); 0: none."""

    @property
    def ok(self) -> bool:
        return not self.reason

    def __str__(self) -> str:
        if not self.ok:
            where = "not intact" if self.broken_id is None else f"broken at row {self.broken_id}"
            return f"audit chain {where}: {self.reason} ({self.checked + self.swept} rows checked)"
        text = f"audit chain intact: {self.rows} rows"
        if self.head_id is not None:
            text += f" up to row {self.head_id}"
        if self.full:
            text += " (full check)"
        else:
            text += f" ({self.checked} new rows checked after the checkpoint at row {self.since_id})"
        if self.slice_no:
            text += f"; {self.swept} older rows checked again (slice {self.slice_no} of at most {SWEEP_RUNS})"
        return text


@dataclass(frozen=True)
class _Mark:
    """What a checkpoint vouches for: up to row ``last_id``, ``row_count`` rows ending in ``last_hash``."""
    last_id: int
    last_hash: str
    row_count: int
    verified_at: datetime

    @property
    def when(self) -> str:
        return f"the checkpoint of {self.verified_at:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class _Sweep:
    """Where the rotating slice stands, sealed in every checkpoint: the next slice starts after row
    ``swept_id`` (its hash, the rows up to it) and is slice ``sweep_run + 1`` of its round; the
    defaults: the next slice starts a round at the beginning of the chain."""
    swept_id: int | None = None
    swept_hash: str | None = None
    swept_count: int | None = None
    sweep_run: int = 0


def _checkpoints(conn: sa.Connection) -> list[Mapping]:
    return list(conn.execute(sa.select(_CHECKPOINTS).order_by(_CHECKPOINTS.c.id)).mappings())


def _latest(rows: Sequence[Mapping]) -> Mapping:
    """The checkpoint reaching furthest (two runs at once may end at different rows)."""
    return max(rows, key=lambda row: (row["last_id"], row["id"]))


def _next_seq(rows: Sequence[Mapping]) -> int:
    return max((row["seq"] or 0 for row in rows), default=0) + 1


def _marks(rows: Sequence[Mapping]) -> list[_Mark]:
    """Every statement the checkpoints make about the chain (their heads and their slices' ends), by row."""
    marks = [_Mark(row["last_id"], row["last_hash"], row["row_count"], row["verified_at"]) for row in rows]
    marks += [_Mark(row["swept_id"], row["swept_hash"], row["swept_count"], row["verified_at"])
              for row in rows if row["swept_id"] is not None]
    return sorted(marks, key=lambda mark: mark.last_id)


def _stream(conn: sa.Connection, after_id: int, batch: int, *, until_id: int | None = None,
            limit: int | None = None) -> Iterator[sa.Row]:
    """The rows after ``after_id`` (up to ``until_id``, at most ``limit``) in id order, as tuples,
    ``batch`` at a time (one statement)."""
    query = sa.select(*_COLUMNS).where(_EVENTS.c.id > after_id).order_by(_EVENTS.c.id)
    if until_id is not None:
        query = query.where(_EVENTS.c.id <= until_id)
    if limit is not None:
        query = query.limit(limit)
    result = conn.execution_options(yield_per=batch).execute(query)
    for part in result.partitions():
        yield from part


def _unpack(row: sa.Row) -> tuple[int, str, str, list]:
    row_id, prev_hash, own_hash, *fields = row
    if fields[_DETAILS] is not None:
        fields[_DETAILS] = json.loads(fields[_DETAILS])
    return row_id, prev_hash, own_hash, fields


def _walk(rows: Iterable[sa.Row], *, prev: str, count: int, marks: list[_Mark], since_id: int | None,
          open_end: bool = False) -> ChainReport:
    """Check each row's link and hash; compare with the checkpoints passed on the way. With
    ``open_end`` (a slice) the chain goes on after the last row given."""
    checked = 0
    head_id = since_id
    pending = [m for m in marks if m.last_id > (since_id or 0)]
    i = 0

    def broken(row_id: int, reason: str) -> ChainReport:
        return ChainReport(count, checked, row_id, reason, since_id=since_id)

    def gone(mark: _Mark, after: str) -> ChainReport:
        return broken(mark.last_id, f"row {mark.last_id}, which {mark.when} vouches for, is gone "
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
    if i < len(pending) and not open_end:
        return gone(pending[i], f"the chain now ends at row {head_id}" if head_id else "the trail is empty")
    return ChainReport(count, checked, head_id=head_id, head_hash=prev if head_id else None, since_id=since_id)


def _anchor_problem(conn: sa.Connection, rows: Sequence[Mapping], now: datetime) -> str | None:
    """Do the checkpoints hold (seals, numbers, the head file), and does a trail old enough to
    have had a nightly check have one at all? The reason when not."""
    problem = checkpoint_problem(rows, checkpoint_key())
    if problem is not None:
        return problem
    path = head_path()
    try:
        head = read_head(path)
    except HeadUnreadable as exc:
        return str(exc)
    if head is not None:
        problem = head_problem(rows, head, path)
        if problem is not None:
            return problem
    elif rows:
        log.warning("no copy of the audit chain head outside the database yet (%s); the next checkpoint writes it", path)
    if not rows:
        oldest = conn.scalar(sa.select(_EVENTS.c.at).order_by(_EVENTS.c.id).limit(1))
        if oldest is not None and oldest < now - ANCHOR_GRACE:
            return (f"the trail holds rows since {oldest:%Y-%m-%d} but no checkpoint: the checkpoints were removed "
                    "(on a restored database, or one whose nightly check never ran, run "
                    "`flask --app expertteam audit seal`)")
    return None


def verify_chain(batch: int = BATCH, *, checkpoint: bool = False, now: datetime | None = None) -> ChainReport:
    """Walk the whole chain (and every checkpoint); with ``checkpoint``, write one when intact."""
    now = now or utcnow()
    with db.engine.connect() as conn:
        rows = _checkpoints(conn)
        problem = _anchor_problem(conn, rows, now)
        if problem is not None:
            return ChainReport(0, reason=problem)
        report = _walk(_stream(conn, 0, batch), prev=GENESIS, count=0, marks=_marks(rows), since_id=None)
    if checkpoint and report.ok:
        _write_checkpoint(report, now, seq=_next_seq(rows))
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


def _sweep(conn: sa.Connection, latest: Mapping, report: ChainReport, marks: list[_Mark], batch: int) -> _Sweep:
    """Hash the next slice of the rows up to ``latest`` (the checkpoint this run started from)
    again, from the row and hash ``latest`` sealed, so that after slice *k* of a round at least
    *k*/``SWEEP_RUNS`` of tonight's chain is covered; record it in ``report`` (broken or not).
    Returns where the next slice starts."""
    run = latest["sweep_run"] if latest["swept_id"] is not None else 0
    if run:
        start_id, start_hash, start_count = latest["swept_id"], latest["swept_hash"], latest["swept_count"]
    else:
        start_id, start_hash, start_count = 0, GENESIS, 0
    size = max(math.ceil((run + 1) * report.rows / SWEEP_RUNS) - start_count, 0)
    end = latest["last_id"]
    rows = _stream(conn, start_id, batch, until_id=end, limit=size) if size and start_id < end else iter(())
    part = _walk(rows, prev=start_hash, count=start_count, marks=marks, since_id=start_id, open_end=True)
    report.swept, report.slice_no = part.checked, run + 1
    if not part.ok:
        report.broken_id, report.reason = part.broken_id, part.reason
        return _Sweep()
    last = part.head_id if part.checked else start_id
    if last >= end:  # the round is complete: the next one starts at the beginning
        return _Sweep()
    return _Sweep(last, part.head_hash or start_hash, part.rows, run + 1)


def verify_incremental(batch: int = BATCH, *, now: datetime | None = None, sweep: bool = False) -> ChainReport:
    """Check the rows added since the newest checkpoint (all rows without one) and, with
    ``sweep``, the next slice of the older chain; write a new checkpoint when intact. A failed
    checkpoint check walks the whole chain to name the first broken row."""
    now = now or utcnow()
    with db.engine.connect() as conn:
        rows = _checkpoints(conn)
        problem = _anchor_problem(conn, rows, now)
        if problem is not None:
            return ChainReport(0, reason=problem, full=False)
        if rows:
            latest = _latest(rows)
            mark = _Mark(latest["last_id"], latest["last_hash"], latest["row_count"], latest["verified_at"])
            broken = _check_checkpoint(conn, mark)
            if broken is None:
                report = _walk(_stream(conn, mark.last_id, batch), prev=mark.last_hash, count=mark.row_count,
                               marks=[], since_id=mark.last_id)
                report.full = False
                state = _Sweep(*(latest[name] for name in ("swept_id", "swept_hash", "swept_count", "sweep_run")))
                if sweep and report.ok:
                    state = _sweep(conn, latest, report, _marks(rows), batch)
    if not rows:
        return verify_chain(batch, checkpoint=True, now=now)
    if broken is not None:
        located = verify_chain(batch, now=now)
        return located if not located.ok else broken
    if report.ok:
        _write_checkpoint(report, now, seq=_next_seq(rows), sweep=state)
    return report


def _write_checkpoint(report: ChainReport, now: datetime | None, *, seq: int = 1, sweep: _Sweep = _Sweep()) -> None:
    """Record the verified head, sealed, in the database, in the log and in the head file (an
    empty trail has none)."""
    if report.head_id is None or report.head_hash is None:
        return
    values = dict(seq=seq, verified_at=now or utcnow(), last_id=report.head_id, last_hash=report.head_hash,
                  row_count=report.rows, full=report.full, **asdict(sweep))
    values["seal"] = seal(values, checkpoint_key())
    with db.engine.begin() as conn:
        conn.execute(sa.insert(_CHECKPOINTS).values(**values))
    log.info("audit checkpoint %s (%s check): head row %s, %s rows, hash %s", seq,
             "full" if report.full else "incremental", f"{report.head_id:_}", f"{report.rows:_}",
             spaced_hash(report.head_hash))
    write_head(head_path(), values)


def seal_chain(batch: int = BATCH, *, now: datetime | None = None) -> tuple[ChainReport, int]:
    """Walk the whole chain and compare it with every checkpoint (their seals aside); when intact,
    seal every checkpoint anew, numbered in id order, and write a sealed checkpoint of the head
    and the head file. Trusts the chain as it stands: for once after the upgrade that brought the
    seals, after changing the key, and after restoring a backup. Returns the report and how many
    checkpoints were sealed."""
    with db.engine.connect() as conn:
        rows = _checkpoints(conn)
        report = _walk(_stream(conn, 0, batch), prev=GENESIS, count=0, marks=_marks(rows), since_id=None)
    if not report.ok:
        return report, 0
    if rows:
        key = checkpoint_key()
        c = _CHECKPOINTS.c
        update = sa.update(_CHECKPOINTS).where(c.id == sa.bindparam("checkpoint_id")).values(
            seq=sa.bindparam("new_seq"), seal=sa.bindparam("new_seal"))
        with db.engine.begin() as conn:
            conn.execute(update, [{"checkpoint_id": row["id"], "new_seq": seq, "new_seal": seal({**row, "seq": seq}, key)}
                                  for seq, row in enumerate(rows, 1)])
    _write_checkpoint(report, now, seq=len(rows) + 1)
    return report, len(rows)


def spaced_hash(value: str) -> str:
    """The hash in groups of 16, so the log's redaction of long tokens leaves it readable."""
    return " ".join(value[i:i + 16] for i in range(0, len(value), 16))


def log_safe(text: str) -> str:
    """Long numbers grouped with '_', so the log's redaction of six-digit codes leaves ids readable."""
    return re.sub(r"\d{5,}", lambda m: f"{int(m.group()):_}", text)


def verify_job(now: datetime) -> str:
    """Nightly: the incremental check and the next rotating slice; a break is logged as an error
    (and audited) for the administrator."""
    report = verify_incremental(now=now, sweep=True)
    if not report.ok:
        log.error("%s", log_safe(str(report)))
        record("audit.verify", object_type="audit", object_id=report.broken_id, actor=None, result="failed",
               details={"rows": report.rows, "broken_id": report.broken_id})
        db.session.commit()
    return str(report)
