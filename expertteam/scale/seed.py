"""A national-scale seed for the benchmark (``flask --app expertteam seed-scale``).

Fills an EMPTY PostgreSQL database with three years of history in minutes: 45 teams, about
10,000 people, 100,000 cases (one busy team with 11,000), about 550,000 actions, 12,000
meetings, 1.2 million notifications and 3 million audit rows whose hash chain verifies. Rows are
made in Python in chunks of cases and written with COPY (``copier``); the audit chain is
hashed with ``core.audit.row_hash``, as the app does. ``--small`` makes the same shape with a
handful of cases, for the benchmark's "small size" column.
"""
from __future__ import annotations

import math
import time

import sqlalchemy as sa

from core.audit_verify import seal_chain
from core.db import db

from .audit import finish_chain
from .cases import CaseWriter
from .copier import Copier
from .people import seed_meetings, seed_people
from .shape import Shape

#: Tables whose plain indexes the national seed builds after the load.
BIG_TABLES = ["audit_events", "notifications", "advice_actions", "cases", "case_domains", "agenda_items", "advice",
              "advice_cost_lines", "advice_legal_grounds", "meeting_attendances", "case_needs", "case_need_links"]


class SeedRefused(RuntimeError):
    """The database is not PostgreSQL, or not empty."""


def check_empty(conn) -> None:
    """Refuse anything but an empty PostgreSQL database (``SeedRefused``)."""
    if conn.dialect.name != "postgresql":
        raise SeedRefused("seed-scale fills PostgreSQL only (set DATABASE_URL to a PostgreSQL database).")
    tables = sa.inspect(conn).get_table_names()
    for name in ("users", "teams", "cases", "audit_events"):
        if name in tables and conn.execute(sa.text(f"SELECT EXISTS (SELECT 1 FROM {name})")).scalar():
            raise SeedRefused(f"the database is not empty (table {name} has rows); seed-scale fills an empty database only.")


def ensure_schema() -> None:
    """Create missing tables from the models (the database is empty) and the audit guard."""
    from core.audit import install_pg_guard

    db.create_all()
    install_pg_guard(db.engine)


def seed_scale(shape: Shape, echo=print) -> dict:
    """Fill the empty database; returns counts and seconds per step."""
    timings: dict[str, float] = {}
    with db.engine.connect() as conn:
        check_empty(conn)
    ensure_schema()
    started = time.monotonic()
    raw = db.engine.raw_connection()
    try:
        cp = Copier(raw.driver_connection, db.metadata, shape.now)
        if not shape.small:
            cp.bulk_begin(BIG_TABLES)
        mark = time.monotonic()
        seed_people(cp, shape)
        seed_meetings(cp, shape)
        timings["people, teams, meetings"] = time.monotonic() - mark
        mark = time.monotonic()
        writer = CaseWriter(cp, shape)
        chunk = max(1, math.ceil(5_000 / max(1, shape.teams)))
        for t in range(1, shape.teams + 1):
            n = shape.team_cases[t - 1]
            for first in range(1, n + 1, chunk * 10):
                writer.write(t, range(first, min(n, first + chunk * 10 - 1) + 1))
            echo(f"  team {t:02d}: {n} cases ({time.monotonic() - started:.0f} s)")
        writer.finish()
        timings["cases and history"] = time.monotonic() - mark
        mark = time.monotonic()
        finish_chain(cp)
        cp.reset_sequences()
        cp.bulk_end()
        raw.commit()
        timings["indexes and sequences"] = time.monotonic() - mark
    finally:
        raw.close()
    mark = time.monotonic()
    # Three years of history: its first checkpoint, as the nightly check would have written it
    # (a trail that old without one reads as checkpoints removed). Walks the chain once.
    seal_chain(now=shape.now)
    timings["audit chain checked and sealed"] = time.monotonic() - mark
    mark = time.monotonic()
    # What autovacuum does to a database in use: statistics for the planner and the visibility
    # map, without which no index-only scan is one (a bulk-loaded table has none yet).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    timings["vacuum and analyze"] = time.monotonic() - mark
    timings["total"] = time.monotonic() - started
    return {"counts": dict(cp.counts), "seconds": timings}
