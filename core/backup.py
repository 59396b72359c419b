"""A consistent copy of the SQLite database while the app runs (PostgreSQL: pg_dump)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from .db import db


def backup_sqlite(path: str) -> int:
    """Copy the SQLite database with SQLite's online backup API: a consistent snapshot while
    the app keeps running. Returns the number of tables copied. PostgreSQL: use pg_dump."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise ValueError("backup copies a SQLite database; for PostgreSQL use pg_dump (see README)")
    target = Path(path)
    if target.exists():
        raise ValueError(f"{path} exists; choose a new file")
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        with sqlite3.connect(str(target)) as dest:
            source.backup(dest)
        with sqlite3.connect(str(target)) as dest:
            tables = dest.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        raw.close()
    return int(tables)


