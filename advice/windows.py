"""The timed jobs' windows of days per team, shared by the follow-through jobs and the
three-month evaluation's (and the escalation ladder's grouping of teams).

Teams differ in their local date (``core.clock.team_today``) and their settings (reminder and
grace days, ``advice.settings``). One query reads every active team with its settings
(``team_days``); the teams are grouped by their window of dates (``grouped``: few distinct
windows, the same zone and the same settings give the same one), and one condition keeps a
column in its team's window (``within``), so one statement serves all teams at once.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator
from datetime import date, datetime
from typing import TypeVar

import sqlalchemy as sa

from core.clock import team_today
from core.db import db
from core.models import Team

from .settings import DEFAULT_GRACE_DAYS, DEFAULT_REMINDER_DAYS, AdviceSettings

K = TypeVar("K", bound=Hashable)

#: Ids per IN list when loading claimed rows (well below every driver's parameter limit).
CHUNK = 5000

#: A window of dates: teams -> (first date or None, first date past the window).
Windows = dict[tuple[date | None, date], list[int]]


def team_days(now: datetime) -> list[tuple[int, date, int, int]]:
    """(team id, local today, reminder days, grace days) of every active team, in one query."""
    rows = db.session.execute(
        sa.select(Team.id, Team.timezone, AdviceSettings.reminder_days, AdviceSettings.grace_days)
        .outerjoin(AdviceSettings, AdviceSettings.team_id == Team.id)
        .where(Team.active.is_(True))
        .order_by(Team.id)
    ).all()
    return [
        (row.id, team_today(row, now),
         DEFAULT_REMINDER_DAYS if row.reminder_days is None else row.reminder_days,
         DEFAULT_GRACE_DAYS if row.grace_days is None else row.grace_days)
        for row in rows
    ]


def grouped(pairs: Iterable[tuple[int, K]]) -> dict[K, list[int]]:
    """Group the teams by a key (their window of dates, their local today, their days)."""
    out: dict[K, list[int]] = defaultdict(list)
    for team_id, key in pairs:
        out[key].append(team_id)
    return dict(out)


def within(column, team_column, windows: Windows):
    """SQL: ``column`` lies in the window of its team (``team_column``); one branch per distinct
    window. Returns (the per-team condition, a plain range over all windows that an index on
    ``column`` can use)."""
    branches = []
    for (first, past), team_ids in windows.items():
        terms = [team_column.in_(team_ids), column < past]
        if first is not None:
            terms.append(column >= first)
        branches.append(sa.and_(*terms))
    firsts = [first for first, _past in windows]
    overall = [column < max(past for _first, past in windows)]
    if None not in firsts:
        overall.append(column >= min(firsts))
    return sa.or_(*branches), sa.and_(*overall)


def chunks(ids: list[int]) -> Iterator[list[int]]:
    """``ids`` a ``CHUNK`` at a time (for IN lists)."""
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]
