"""Time: the one ``utcnow`` and the one team-local "today".

Stored times are aware UTC. A team's dates (deadlines, follow-up dates, "today") are its local
calendar dates in the team's time zone (``Team.timezone``, Europe/Amsterdam by default).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def team_zone(team) -> ZoneInfo:
    """The team's time zone (any object with a ``timezone`` name)."""
    return ZoneInfo(team.timezone)


def team_today(team, now: datetime | None = None) -> date:
    """The calendar date in the team's time zone at ``now`` (default: this moment)."""
    return (now or utcnow()).astimezone(team_zone(team)).date()
