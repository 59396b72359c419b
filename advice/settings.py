"""The team's follow-through settings (reminder and grace days, the escalation ladder's days per
level, the waiting norm): one row per team, read by the timed jobs, the ladder, the figures and
the catalogue page, with defaults for a team that saved none."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


class AdviceSettings(db.Model):
    """Per-team follow-through settings (kept here: the team model belongs to the shell)."""

    __tablename__ = "advice_settings"

    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), primary_key=True)
    reminder_days: Mapped[int] = mapped_column(default=3)
    """Remind the organisation's contacts this many days before an action's deadline."""
    grace_days: Mapped[int] = mapped_column(default=7)
    """An action this many days past its deadline is escalated to the chair."""
    waiting_norm_days: Mapped[int] = mapped_column(default=28, server_default="28")
    """The team's norm for waiting from submission to the meeting; the pilot figures count the
    cases that waited longer (set on the dashboard)."""
    ladder_team_days: Mapped[int] = mapped_column(default=14, server_default="14")
    """The escalation ladder (``advice.escalation``): days the team has to settle an escalated
    action before it climbs to the organisation's director."""
    ladder_director_days: Mapped[int] = mapped_column(default=10, server_default="10")
    """Days the director has to answer before the steering group is called in."""
    ladder_steering_days: Mapped[int] = mapped_column(default=28, server_default="28")
    """Days the steering group has for an outcome before the national Maatwerkloket."""


DEFAULT_REMINDER_DAYS = 3
DEFAULT_WAITING_NORM_DAYS = 28
DEFAULT_GRACE_DAYS = 7
#: The ladder's days per level (1 team, 2 director, 3 steering group) when a team has no settings.
DEFAULT_LADDER_DAYS = {1: 14, 2: 10, 3: 28}


def settings_for(team_id: int) -> AdviceSettings:
    """The team's follow-through settings (defaults when none were saved)."""
    row = db.session.get(AdviceSettings, team_id)
    return row or AdviceSettings(team_id=team_id, reminder_days=DEFAULT_REMINDER_DAYS, grace_days=DEFAULT_GRACE_DAYS,
                                 ladder_team_days=DEFAULT_LADDER_DAYS[1], ladder_director_days=DEFAULT_LADDER_DAYS[2],
                                 ladder_steering_days=DEFAULT_LADDER_DAYS[3])
