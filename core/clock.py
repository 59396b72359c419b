"""Time: the one ``utcnow`` and the one team-local "today".

Stored times are aware UTC. A team's dates (deadlines, evaluation dates, "today") are its local
calendar dates in the team's time zone (``Team.timezone``, Europe/Amsterdam by default).

``running_at(moment)`` sets the clock the services read for a block of code: time runs on from
``moment`` as it does in the real world. The demo builds its history with it, so every timeline
event, audit row and notification carries the moment it happened in the story. While the clock
runs in the past (``replaying()``), notifications are history: they are kept in the inbox as
read and never e-mailed (``notifications.services``).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

_offset: ContextVar[timedelta] = ContextVar("clock_offset", default=timedelta(0))

#: A clock set further back than this is replaying history (a few seconds are not history).
REPLAY_THRESHOLD = timedelta(minutes=1)


def utcnow() -> datetime:
    return datetime.now(timezone.utc) + _offset.get()


@contextmanager
def running_at(moment: datetime) -> Iterator[datetime]:
    """Within the block, ``utcnow()`` starts at ``moment`` (aware) and runs on from there."""
    if moment.tzinfo is None:
        raise ValueError("running_at needs an aware datetime")
    token = _offset.set(moment - datetime.now(timezone.utc))
    try:
        yield moment
    finally:
        _offset.reset(token)


def replaying() -> bool:
    """True while the clock is set in the past (``running_at``): what happens now is history."""
    return _offset.get() < -REPLAY_THRESHOLD


def team_zone(team) -> ZoneInfo:
    """The team's time zone (any object with a ``timezone`` name)."""
    return ZoneInfo(team.timezone)


def team_today(team, now: datetime | None = None) -> date:
    """The calendar date in the team's time zone at ``now`` (default: this moment)."""
    return _today_in(team_zone(team), now)


#: The time zone of a "today" that belongs to no one team (a form's "not in the future", a
#: contact's lists across teams, the administrator's overview): the teams' default.
DEFAULT_ZONE = "Europe/Amsterdam"


def local_today(now: datetime | None = None) -> date:
    """The calendar date in the teams' default time zone at ``now`` (default: this moment).

    Never ``date.today()``: that is the server's own calendar (often UTC), a day behind the
    teams' for an hour or two after their midnight (a test keeps it out of the app's code)."""
    return _today_in(ZoneInfo(DEFAULT_ZONE), now)


def _today_in(zone: ZoneInfo, now: datetime | None) -> date:
    return (now or utcnow()).astimezone(zone).date()
