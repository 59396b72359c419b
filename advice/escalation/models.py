"""The escalation ladder's records.

The levels follow the AVE model's phases, green to dark red. An action's level is one column,
``Action.ladder_level`` (0 the organisation's contact: reminders; 1 the chair and the team: an
escalated action, back on the table; 2 the director, 3 the municipality's steering group, 4 the national
Maatwerkloket Multiproblematiek). An ``Escalation`` row keeps the details of levels 2 to 4 once
an action climbs past the team (who was asked, the answers, the deadline of the level);
``EscalationStep`` keeps the ladder's history, one row per move up, the entry into level 1
included. ``LadderStart`` holds the moment the ladder started in an installation that had
history before it. Only ``advice.escalation.ladder`` writes any of it.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import db, enum_column


class Level(enum.IntEnum):
    CONTACT = 0
    TEAM = 1
    DIRECTOR = 2
    STEERING = 3
    NATIONAL = 4

    @property
    def who(self) -> str:
        return str(LEVEL_WHO[self])

    @property
    def colour(self) -> str:
        return str(LEVEL_COLOUR[self])

    @property
    def css(self) -> str:
        return ("green", "yellow", "orange", "red", "darkred")[self]

    @property
    def label(self) -> str:
        """E.g. 'Level 2 · director (orange)': the colour always in words too."""
        return str(_l("Level %(n)d · %(who)s (%(colour)s)", n=int(self), who=self.who, colour=self.colour))


LEVEL_WHO = {
    Level.CONTACT: _l("contact"),
    Level.TEAM: _l("chair and team"),
    Level.DIRECTOR: _l("director"),
    Level.STEERING: _l("municipal steering group"),
    Level.NATIONAL: _l("national Maatwerkloket"),
}
LEVEL_COLOUR = {
    Level.CONTACT: _l("green"),
    Level.TEAM: _l("yellow"),
    Level.DIRECTOR: _l("orange"),
    Level.STEERING: _l("red"),
    Level.NATIONAL: _l("dark red"),
}


class DirectorAnswer(enum.StrEnum):
    CARRY_OUT = "carry_out"
    """'We carry it out.'"""
    EXPLAIN = "explain"
    """An explanation in writing why not."""

    @property
    def label(self) -> str:
        return str(_l("We carry it out") if self is DirectorAnswer.CARRY_OUT else _l("Explanation in writing"))


class Escalation(db.Model):
    """An action's climb past the team: one row per action, from level 2 on."""

    __tablename__ = "advice_escalations"
    __table_args__ = (
        sa.CheckConstraint("level BETWEEN 2 AND 4", name="level_range"),
        # The ladder job: open rows by their level's deadline (few, whatever the history).
        sa.Index("ix_advice_escalations_open", "level_due_on", "id",
                 postgresql_where=sa.text("closed_at IS NULL"), sqlite_where=sa.text("closed_at IS NULL")),
        # The pilot figures: escalations of a period, per team.
        sa.Index("ix_advice_escalations_team_started", "team_id", "started_at"),
        # The director's e-mail still to send.
        sa.Index("ix_advice_escalations_director_mail", "id",
                 postgresql_where=sa.text("director_mailed_at IS NULL AND director_email <> ''"),
                 sqlite_where=sa.text("director_mailed_at IS NULL AND director_email <> ''")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("advice_actions.id", ondelete="CASCADE"), unique=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    level: Mapped[int]
    """The highest level reached (2, 3 or 4); a ladder only climbs."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When it climbed past the team (to level 2)."""
    level_since: Mapped[datetime] = mapped_column(default=utcnow)
    level_due_on: Mapped[date | None]
    """The team-local day by which this level must answer, else the ladder job climbs; NULL at
    the top level."""
    closed_at: Mapped[datetime | None]
    """The action was done or dropped, or the advice corrected: the ladder is over."""
    # --- level 2: the director (not a user: a signed link is the key, once) ---
    director_name: Mapped[str] = mapped_column(sa.String(160), default="")
    director_email: Mapped[str] = mapped_column(sa.String(254), default="")
    """Copied from the commitment when the ladder reached the director."""
    director_mail_claimed_at: Mapped[datetime | None]
    director_mailed_at: Mapped[datetime | None]
    director_mail_error: Mapped[str] = mapped_column(sa.String(500), default="")
    director_answer: Mapped[DirectorAnswer | None] = mapped_column(enum_column(DirectorAnswer))
    director_explanation: Mapped[str] = mapped_column(sa.Text, default="")
    director_answered_at: Mapped[datetime | None]
    # --- level 3: the municipality's steering group (recorded by the chair) ---
    steering_referred_on: Mapped[date | None]
    steering_outcome: Mapped[str] = mapped_column(sa.Text, default="")
    steering_outcome_at: Mapped[datetime | None]
    # --- level 4: the national Maatwerkloket Multiproblematiek ---
    national_sent_on: Mapped[date | None]

    action = relationship("Action")
    steps: Mapped[list[EscalationStep]] = relationship(back_populates="escalation", order_by="EscalationStep.id",
                                                         cascade="all, delete-orphan")

    @property
    def level_enum(self) -> Level:
        return Level(self.level)

    @property
    def answered(self) -> bool:
        """The current level gave its answer: the job does not climb further."""
        if self.level == Level.DIRECTOR:
            return self.director_answered_at is not None
        if self.level == Level.STEERING:
            return self.steering_outcome_at is not None
        return False


class EscalationStep(db.Model):
    """One move on the ladder (the history the national summary lists)."""

    __tablename__ = "advice_escalation_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("advice_actions.id", ondelete="CASCADE"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("advice_escalations.id", ondelete="CASCADE"),
                                                      index=True)
    """The ladder past the team the move belongs to; NULL for the entry into level 1."""
    from_level: Mapped[int]
    to_level: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    """Who moved it: the chair climbing by hand, or the contact who refused (the entry into level
    1); NULL: the scheduler (the level's deadline or the grace period passed)."""

    escalation: Mapped[Escalation] = relationship(back_populates="steps")


class LadderStart(db.Model):
    """The moment the ladder started in this installation, when it was added to one with history
    (one row at most; written by migration 0013 when actions were escalated already, or by the
    scale seed). An action escalated before it starts its clock here: it climbs past the team only
    after the team's days counted from this moment, like a fresh escalation, not on the first
    night. No row: the ladder was there from the start (a new installation, the demo, the tests).
    """

    __tablename__ = "advice_ladder_start"
    __table_args__ = (sa.CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    started_at: Mapped[datetime]
