"""The period of the pilot figures: calendar days in the team's time zone, both ends included,
and the presets (this/last quarter, this/last year)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa


@dataclass(frozen=True)
class Period:
    """Calendar days ``start`` .. ``end`` (inclusive) in time zone ``tz``."""

    start: date
    end: date
    tz: str = "Europe/Amsterdam"

    def _utc(self, day: date) -> datetime:
        local = datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(self.tz))
        return local.astimezone(timezone.utc)

    @property
    def start_utc(self) -> datetime:
        """Aware UTC (the columns store UTC on both databases)."""
        return self._utc(self.start)

    @property
    def end_utc(self) -> datetime:
        """Exclusive end: local midnight after the last day, in UTC."""
        return self._utc(self.end + timedelta(days=1))

    def contains(self, column) -> sa.ColumnElement[bool]:
        return sa.and_(column >= self.start_utc, column < self.end_utc)

    def months(self) -> list[str]:
        """Every 'YYYY-MM' the period touches, in order."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def quarter_of(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    nxt = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, nxt - timedelta(days=1)


def preset(name: str, today: date) -> tuple[date, date] | None:
    """The named period around ``today``: this/last quarter, this/last year."""
    if name == "this_quarter":
        return quarter_of(today)
    if name == "last_quarter":
        start, _end = quarter_of(today)
        return quarter_of(start - timedelta(days=1))
    if name == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if name == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return None
