"""Keyset paging (core/paging.py): every row exactly once across pages, in order, on both databases."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from core.audit import AuditEvent
from core.db import db
from core.paging import decode_cursor, encode_cursor, keyset


def _rows(n: int, same_time_every: int = 3, day: int = 1) -> list[int]:
    base = datetime(2026, 1, day, 9, 0, tzinfo=UTC)
    ids = []
    for i in range(n):
        # several rows share a time: the id breaks the tie
        row = AuditEvent(at=base + timedelta(minutes=i // same_time_every), action="test.row", object_type="test")
        db.session.add(row)
        db.session.flush()
        ids.append(row.id)
    db.session.commit()
    return ids


def _walk(query, key, row_id, size, newest_first=True):
    seen, cursor, pages = [], None, 0
    while True:
        page = keyset(query, key, row_id, cursor=cursor, size=size, newest_first=newest_first)
        seen.extend(r.id for r in page.items)
        pages += 1
        assert len(page.items) <= size
        if not page.has_more:
            return seen, pages
        cursor = page.next_cursor


def test_every_row_once_newest_first(app):
    with app.app_context():
        ids = _rows(23)
        query = sa.select(AuditEvent).where(AuditEvent.action == "test.row")
        seen, pages = _walk(query, AuditEvent.at, AuditEvent.id, 5)
        assert pages == 5
        assert seen == sorted(ids, reverse=True)  # equal times: higher id first
        assert len(set(seen)) == len(ids)


def test_every_row_once_oldest_first_and_exact_multiple(app):
    with app.app_context():
        ids = _rows(10)
        query = sa.select(AuditEvent).where(AuditEvent.action == "test.row")
        seen, pages = _walk(query, AuditEvent.at, AuditEvent.id, 5, newest_first=False)
        assert seen == ids
        assert pages == 2, "a full last page does not leave an empty page after it"


def test_rows_added_between_clicks_neither_repeat_nor_skip(app):
    with app.app_context():
        ids = _rows(9)
        query = sa.select(AuditEvent).where(AuditEvent.action == "test.row")
        first = keyset(query, AuditEvent.at, AuditEvent.id, size=4)
        _rows(3, day=2)  # newer rows arrive while the first page is on screen
        second = keyset(query, AuditEvent.at, AuditEvent.id, cursor=first.next_cursor, size=4)
        assert [r.id for r in second.items] == sorted(ids, reverse=True)[4:8]


def test_a_cursor_that_does_not_parse_shows_the_first_page(app):
    with app.app_context():
        _rows(4)
        query = sa.select(AuditEvent).where(AuditEvent.action == "test.row")
        first = keyset(query, AuditEvent.at, AuditEvent.id, size=2)
        for bad in ("x", "!!!", "dGhpcyBpcyBub3Q", "a" * 500, encode_cursor("text", 1)[:-3] + "%%%"):
            page = keyset(query, AuditEvent.at, AuditEvent.id, cursor=bad, size=2)
            if decode_cursor(bad) is None:
                assert [r.id for r in page.items] == [r.id for r in first.items] and page.is_first


def test_cursor_round_trip():
    moment = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert decode_cursor(encode_cursor(moment, 42)) == (moment, 42)
    assert decode_cursor(encode_cursor(moment.date(), 7)) == (moment.date(), 7)
    assert decode_cursor(encode_cursor(3, 1)) == (3, 1)
    assert decode_cursor(None) is None


def test_the_count_comes_in_the_same_statement_and_counts_the_whole_list(app, count_queries):
    with app.app_context():
        _rows(12)
        query = sa.select(AuditEvent).where(AuditEvent.action == "test.row")
        count = sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "test.row")
        with count_queries() as counter:
            first = keyset(query, AuditEvent.at, AuditEvent.id, size=5, count=count)
        assert counter.count == 1 and first.total == 12 and len(first.items) == 5
        second = keyset(query, AuditEvent.at, AuditEvent.id, cursor=first.next_cursor, size=5, count=count)
        assert second.total == 12, "the count is of the whole list, not of the rows after the cursor"
        empty = keyset(sa.select(AuditEvent).where(AuditEvent.action == "none"), AuditEvent.at, AuditEvent.id,
                       count=sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "none"))
        assert empty.total == 0 and not empty.items
