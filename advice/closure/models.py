"""How a case ended and the three-month evaluation: the closure the case owner records, the outcome, and whether the breakthrough still holds.
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


class EvaluationResult(enum.StrEnum):
    """Whether the breakthrough holds three months after closing."""

    HELD = "held"
    PARTLY = "partly"
    NOT = "not"

    @property
    def label(self) -> str:
        return str(EVALUATION_LABELS[self])


EVALUATION_LABELS = {
    EvaluationResult.HELD: _l("It holds"),
    EvaluationResult.PARTLY: _l("It partly holds"),
    EvaluationResult.NOT: _l("It does not hold"),
}


class CaseClosure(db.Model):
    """How a case ended (recorded by its owner) and the three-month evaluation."""

    __tablename__ = "advice_case_closures"
    __table_args__ = (
        sa.Index("ix_advice_case_closures_followup_to_ask", "followup_due_on", **{  # advice.closure.jobs.ask_evaluation
            f"{dialect}_where": sa.text("followup_asked_at IS NULL AND followup_at IS NULL") for dialect in ("postgresql", "sqlite")}),
        # The list back on the table: closures the team has not noted yet, by due date.
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
    evaluation_due_on: Mapped[date] = mapped_column("followup_due_on", index=True)
    """Three months after closing: the owner is asked whether the breakthrough holds."""
    evaluation_asked_at: Mapped[Optional[datetime]] = mapped_column("followup_asked_at")
    evaluation_result: Mapped[Optional[EvaluationResult]] = mapped_column(
        "followup_result", enum_column(EvaluationResult, name="followupresult"))
    evaluation_note: Mapped[str] = mapped_column("followup_note", sa.Text, default="")
    evaluation_at: Mapped[Optional[datetime]] = mapped_column("followup_at")
    evaluation_by_id: Mapped[Optional[int]] = mapped_column("followup_by_id", sa.ForeignKey("users.id"))
    team_note: Mapped[str] = mapped_column(sa.Text, default="")
    """What the team concluded when the evaluation came back on the table."""
    team_noted_at: Mapped[Optional[datetime]]
    team_noted_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    case: Mapped[Case] = relationship()
    closed_by: Mapped[User] = relationship(foreign_keys=[closed_by_id])
