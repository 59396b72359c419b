"""How a case ended and the three-month follow-up evaluation: the closure the case owner records, the outcome, and whether the breakthrough still holds.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casefiles.models import Case
from core.clock import utcnow
from core.db import db, enum_column
from core.models import User


class ClosureOutcome(enum.StrEnum):
    """Whether the breakthrough was reached (recorded at closing)."""

    REACHED = "reached"
    PARTLY = "partly"
    NOT = "not"

    @property
    def label(self) -> str:
        return str(CLOSURE_OUTCOME_LABELS[self])


CLOSURE_OUTCOME_LABELS = {
    ClosureOutcome.REACHED: _l("Breakthrough reached"),
    ClosureOutcome.PARTLY: _l("Partly reached"),
    ClosureOutcome.NOT: _l("Not reached"),
}


class FollowupResult(enum.StrEnum):
    """Whether the breakthrough holds three months after closing."""

    HELD = "held"
    PARTLY = "partly"
    NOT = "not"

    @property
    def label(self) -> str:
        return str(FOLLOWUP_LABELS[self])


FOLLOWUP_LABELS = {
    FollowupResult.HELD: _l("It holds"),
    FollowupResult.PARTLY: _l("It partly holds"),
    FollowupResult.NOT: _l("It does not hold"),
}


class CaseClosure(db.Model):
    """How a case ended (recorded by its owner) and the three-month follow-up evaluation."""

    __tablename__ = "advice_case_closures"
    __table_args__ = (
        sa.Index("ix_advice_case_closures_followup_to_ask", "followup_due_on", **{  # advice.closure.jobs.ask_followup
            f"{dialect}_where": sa.text("followup_asked_at IS NULL AND followup_at IS NULL") for dialect in ("postgresql", "sqlite")}),
        # The follow-up list: closures the team has not noted yet, by due date.
        sa.Index("ix_advice_case_closures_to_note", "team_id", "followup_due_on", "id",
                 postgresql_where=sa.text("team_noted_at IS NULL"), sqlite_where=sa.text("team_noted_at IS NULL")),
        # The pilot figures (reports.figures): the team's closures of a period, by outcome.
        sa.Index("ix_advice_case_closures_team_closed", "team_id", "closed_at", "outcome", "followup_result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), unique=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    outcome: Mapped[ClosureOutcome] = mapped_column(enum_column(ClosureOutcome))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    followup_due_on: Mapped[date] = mapped_column(index=True)
    """Three months after closing: the owner is asked whether the breakthrough holds."""
    followup_asked_at: Mapped[Optional[datetime]]
    followup_result: Mapped[Optional[FollowupResult]] = mapped_column(enum_column(FollowupResult))
    followup_note: Mapped[str] = mapped_column(sa.Text, default="")
    followup_at: Mapped[Optional[datetime]]
    followup_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    team_note: Mapped[str] = mapped_column(sa.Text, default="")
    """What the team concluded when the follow-up came back on the table."""
    team_noted_at: Mapped[Optional[datetime]]
    team_noted_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    case: Mapped[Case] = relationship()
    closed_by: Mapped[User] = relationship(foreign_keys=[closed_by_id])
