"""COPY for the scale seed: rows as tuples into a table, in PostgreSQL's text format.

Only the columns the seed names are written; any other NOT NULL column without a database
default (e.g. one a later change adds with a Python-side default) is filled from the model's
scalar default, so the seed keeps working as the models grow.
"""
from __future__ import annotations

import enum
import json
from collections import Counter
from datetime import date, datetime, time

import sqlalchemy as sa

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _datetime(value: datetime) -> str:
    # Every datetime of the seed is UTC; PostgreSQL drops the offset for a column without a time zone.
    return value.isoformat(sep=" ")


def _str(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def _json(value) -> str:
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    return _str(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


_BY_TYPE = {
    str: _str,
    int: str,
    bool: lambda v: "t" if v else "f",
    datetime: _datetime,
    date: date.isoformat,
    time: time.isoformat,
    dict: _json,
    list: _json,
    type(None): lambda v: "\\N",
}


def text_value(value) -> str:
    """One value in COPY's text format."""
    convert = _BY_TYPE.get(type(value))
    if convert is not None:
        return convert(value)
    if isinstance(value, enum.Enum):
        return _str(str(value.value))
    return _str(str(value))


class Copier:
    """Writes rows with COPY through one psycopg connection (the caller commits)."""

    def __init__(self, conn, metadata: sa.MetaData, now: datetime):
        self.conn = conn
        self.metadata = metadata
        self.now = now
        self.counts: Counter = Counter()
        self._extra: dict[tuple, tuple[tuple[str, ...], str]] = {}

    def _extras(self, table: str, columns: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        key = (table, columns)
        if key not in self._extra:
            names, values = [], []
            for col in self.metadata.tables[table].columns:
                if col.name in columns or col.nullable or col.server_default is not None:
                    continue
                if col.primary_key and col.autoincrement in (True, "auto") and isinstance(col.type, sa.Integer):
                    continue
                default = col.default
                if default is None:
                    raise RuntimeError(f"seed-scale: {table}.{col.name} is NOT NULL without a default; add it to the seed")
                if default.is_callable:
                    value = default.arg(None)  # SQLAlchemy wraps it to take an execution context
                else:
                    value = default.arg
                names.append(col.name)
                values.append(text_value(value))
            suffix = "".join("\t" + v for v in values)
            self._extra[key] = (tuple(names), suffix)
        return self._extra[key]

    def copy(self, table: str, columns: tuple[str, ...], rows) -> int:
        extra_names, suffix = self._extras(table, tuple(columns))
        cols = ", ".join(f'"{c}"' for c in (*columns, *extra_names))
        n = 0
        with self.conn.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
            buf = []
            for row in rows:
                buf.append("\t".join(map(text_value, row)) + suffix + "\n")
                n += 1
                if len(buf) >= 5_000:
                    copy.write("".join(buf))
                    buf.clear()
            if buf:
                copy.write("".join(buf))
        self.counts[table] += n
        return n

    def execute(self, sql: str, params=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None

    def reset_sequences(self) -> None:
        """Move every id sequence past the ids the seed wrote."""
        for table in self.metadata.sorted_tables:
            if "id" not in table.columns:
                continue
            seq = self.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table.name,))[0][0]
            if seq:
                self.execute(f'SELECT setval(%s, COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1, false)', (seq,))

    # --- bulk mode (the national seed): no per-row trigger checks, indexes built once at the end
    def bulk_begin(self, tables: list[str]) -> None:
        """Turn off the foreign-key triggers for this session (needs a superuser; the rows are
        generated consistent, and the small seed, which the tests run, keeps them on) and drop
        the plain indexes of the big tables, to build them once after the load."""
        self.execute("SET session_replication_role = replica")
        self._indexes = self.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary", (tables,)) or []
        for name, _definition in self._indexes:
            self.execute(f'DROP INDEX "{name}"')

    def bulk_end(self) -> None:
        for _name, definition in getattr(self, "_indexes", []):
            self.execute(definition)
        self._indexes = []
        self.execute("SET session_replication_role = DEFAULT")

