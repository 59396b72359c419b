"""A period of figures and history: calendar days in the team's time zone, both ends included;
the presets (this/last quarter, this/last year); and the recent periods a page of follow-through
offers (the chair's overview, the contact's home), the last three months by default."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .clock import DEFAULT_ZONE

#: The time zone of a period that belongs to no single team (e.g. a contact's organisations in
#: several teams): the Netherlands'.
DEFAULT_TZ = DEFAULT_ZONE


@dataclass(frozen=True)
class Period:
    """Calendar days ``start`` .. ``end`` (inclusive) in time zone ``tz``."""

    start: date
    end: date
    tz: str = DEFAULT_TZ

    def _utc(self, day: date) -> datetime:
        local = datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(self.tz))
        return local.astimezone(UTC)

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


#: The periods the follow-through pages offer (the actions assigned in them); the first is the default.
RECENT_PERIODS = {
    "last_3_months": _l("The last three months"),
    "this_quarter": _l("This quarter"),
    "last_quarter": _l("Last quarter"),
    "this_year": _l("This year"),
    "last_year": _l("Last year"),
}


def recent_period(name: str | None, today: date, tz: str) -> tuple[str, Period]:
    """The chosen recent period (``RECENT_PERIODS``; anything else is the default) and its days."""
    if name not in RECENT_PERIODS:
        name = "last_3_months"
    start, end = preset(name, today) or (today - timedelta(days=91), today)
    return name, Period(start, end, tz)
