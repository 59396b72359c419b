"""History on request: keyset pagination for every list that grows with the years.

Open work is shown in full; history (done, decided, closed, read) is shown a page at a time,
newest first, by a keyset over ``(key, id)``: the next page is "rows before the last one shown",
so a page costs the same at the first page and the thousandth, and a row added or removed
between two clicks neither repeats nor skips another row. The cursor in the link is opaque
(``key|id``, base64url); a cursor that does not parse shows the first page.

    page = keyset(query, Action.done_at, Action.id, cursor=request.args.get("done"), size=25)
    page.items, page.next_cursor, page.has_more

In templates, ``{{ paging.older(page, "done") }}`` from ``_paging.html`` renders the link to the
next page (the current query string is kept, only this list's cursor changes).

The ordering column must be NOT NULL (or wrapped in a COALESCE the index also uses) and the
query should be backed by an index on ``(key, id)`` or on the filter plus ``(key, id)``.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from .db import db
from .text import unstorable

T = TypeVar("T")

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


@dataclass
class Page(Generic[T]):
    """One page of a keyset-paged list."""

    items: list[T]
    next_cursor: str | None
    """The cursor of the page after this one (older rows when newest first); None at the end."""
    cursor: str | None = None
    """The cursor this page was asked with (None: the first page)."""
    total: int | None = None
    """The number of rows in the whole list, when the caller counted them (in SQL)."""
    extra: dict = field(default_factory=dict)

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None

    @property
    def is_first(self) -> bool:
        return self.cursor is None

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def _encode_value(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return "t" + value.isoformat()
    if isinstance(value, date):
        return "d" + value.isoformat()
    if isinstance(value, bool):
        return "b" + ("1" if value else "0")
    if isinstance(value, int):
        return "i" + str(value)
    return "s" + str(value)


def _decode_value(text: str) -> Any:
    kind, rest = text[:1], text[1:]
    if kind == "t":
        return datetime.fromisoformat(rest).replace(tzinfo=UTC)
    if kind == "d":
        return date.fromisoformat(rest)
    if kind == "b":
        return rest == "1"
    if kind == "i":
        return int(rest)
    if kind == "s":
        return rest
    raise ValueError("unknown cursor value")


def encode_cursor(key: Any, row_id: int) -> str:
    raw = f"{_encode_value(key)}|{int(row_id)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[Any, int] | None:
    """``(key, id)`` of a cursor, or None when there is none or it does not parse."""
    if not cursor or len(cursor) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key_text, _, id_text = raw.rpartition("|")
        if unstorable(key_text):  # a forged cursor: nothing the database could compare with
            return None
        return _decode_value(key_text), int(id_text)
    except (ValueError, UnicodeDecodeError):
        return None


def page_size(value: Any, default: int = PAGE_SIZE) -> int:
    """A page size from user input, clamped to 1..MAX_PAGE_SIZE."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return default
    return max(1, min(MAX_PAGE_SIZE, size))


def keyset(query: sa.Select, key, row_id, *, cursor: str | None = None, size: int = PAGE_SIZE,
           newest_first: bool = True, scalars: bool = True, total: int | None = None,
           key_of=None, count: sa.Select | None = None) -> Page:
    """One page of ``query`` ordered by ``(key, row_id)``, newest first (or oldest first).

    ``key`` and ``row_id`` are column expressions; the query must select the rows the caller wants
    (``scalars=True``: the first column of each row, e.g. a model). ``key_of(item)`` returns the key
    value of an item (default: the attribute of the same name as ``key``, then ``row_id``).
    One statement; ``size + 1`` rows are read to know whether there is a next page.
    ``count`` (a ``SELECT count(...)`` of the whole list) is answered in the same statement, as an
    uncorrelated subquery the database evaluates once; it gives ``Page.total`` (None on an empty
    later page, where no row carries it).
    """
    position = decode_cursor(cursor)
    if position is not None:
        k, i = position
        # A row-value comparison: PostgreSQL reads it as one range of the (key, id) index.
        position_clause = sa.tuple_(key, row_id) < (k, i) if newest_first else sa.tuple_(key, row_id) > (k, i)
        query = query.where(position_clause)
    if newest_first:
        query = query.order_by(key.desc(), row_id.desc())
    else:
        query = query.order_by(key.asc(), row_id.asc())
    query = query.limit(size + 1)
    if count is not None:
        query = query.add_columns(count.correlate(None).scalar_subquery().label("list_total"))
        counted = list(db.session.execute(query).unique().all())
        rows = [row[0] if scalars else tuple(row)[:-1] for row in counted]
        if counted:
            total = counted[0][-1]
        elif position is None:
            total = 0
    else:
        result = db.session.execute(query)
        rows = list(result.scalars().unique() if scalars else result.all())
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        if key_of is not None:
            last_key, last_id = key_of(last)
        else:
            last_key = getattr(last, key.key)
            last_id = getattr(last, row_id.key)
        next_cursor = encode_cursor(last_key, last_id)
    return Page(items=rows, next_cursor=next_cursor, cursor=cursor if position is not None else None, total=total)


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (None removes one); for paging links."""
    from urllib.parse import urlencode

    from flask import request

    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = [str(value)]
    query = urlencode([(k, v) for k, values in args.items() for v in values])
    return request.path + (f"?{query}" if query else "")


def init_app(app) -> None:
    from .registry import add_template_global

    add_template_global(app, "url_with", url_with)
