"""One plan, one coordinator, and lessons for the system.

``AdvicePlan``: the advice as a coordinated approach: the coordinator (regisseur) who watches
over its execution, the household's own goals for the coming year (one per line) and how
progress is checked; part of the issued content (``advice.plan.services.canonical_plan``).
``PlanNote``: the coordinator's progress notes between meetings. ``PlanGoalReview``: the
three-month evaluation per goal. ``LessonSource`` and ``BlockageLesson``: the team's list of
rules, laws, procedures and organisations that block cases, and per issued advice which of them
caused each blockage and whether the advice deviates from it (the lessons of "systeemleren").
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advice.models import Advice
from core.clock import utcnow
from core.db import db, enum_column
from core.models import User


class AdvicePlan(db.Model):
    __tablename__ = "advice_plans"

    advice_id: Mapped[int] = mapped_column(sa.ForeignKey("advice.id", ondelete="CASCADE"), primary_key=True)
    coordinator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    """The coordinator (regisseur): by default the case owner; does not take over anyone's responsibility."""
    year_goals: Mapped[str] = mapped_column(sa.Text, default="")
    """The household's own goals for the coming year, in its words, one per line."""
    progress_check: Mapped[str] = mapped_column(sa.Text, default="")
    """How progress is checked (when, by whom, with the household)."""

    coordinator: Mapped[User | None] = relationship()
    advice: Mapped[Advice] = relationship(
        viewonly=True, backref=sa.orm.backref("plan", uselist=False, viewonly=True))
    """Read only, both ways: ``Advice.plan`` lets a page load the plan (or its absence) with
    the advice in one statement (``advice.plan.services.plan_of`` then reads it from there)."""

    @property
    def goals(self) -> list[str]:
        return [line.strip(" -*\t") for line in self.year_goals.splitlines() if line.strip(" -*\t")]


class PlanNote(db.Model):
    """A progress note of the coordinator against the plan."""

    __tablename__ = "advice_plan_notes"
    __table_args__ = (sa.Index("ix_advice_plan_notes_case_created", "case_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()


class PlanGoalReview(db.Model):
    """The three-month evaluation of one goal of the plan: reached, and does the breakthrough hold."""

    __tablename__ = "advice_plan_goal_reviews"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    goal: Mapped[str] = mapped_column(sa.Text, default="")
    """The goal as the plan put it (cleared by retention)."""
    reached: Mapped[bool]
    holds: Mapped[bool]


class SourceKind(enum.StrEnum):
    RULE = "rule"
    LAW = "law"
    PROCEDURE = "procedure"
    ORGANISATION = "organisation"

    @property
    def label(self) -> str:
        return str(SOURCE_KIND_LABELS[self])


SOURCE_KIND_LABELS = {
    SourceKind.RULE: _l("Rule or policy"),
    SourceKind.LAW: _l("Law"),
    SourceKind.PROCEDURE: _l("Procedure"),
    SourceKind.ORGANISATION: _l("Organisation"),
}


class LessonSource(db.Model):
    """An entry of the team's list of what blocks cases (kept by the chair or secretary)."""

    __tablename__ = "advice_signal_sources"
    __table_args__ = (sa.UniqueConstraint("team_id", "kind", "name", name="uq_advice_signal_sources_team_kind_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind))
    name: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)


class BlockageLesson(db.Model):
    """What caused one blockage of an issued advice, and whether the advice deviates from it."""

    __tablename__ = "advice_blockage_signals"
    __table_args__ = (sa.Index("ix_advice_blockage_signals_team_recorded", "team_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    advice_id: Mapped[int] = mapped_column(sa.ForeignKey("advice.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"))
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_needs.id", ondelete="SET NULL"))
    """The need on the blockage map; NULL for the advice's blockage when the case has no map."""
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("advice_signal_sources.id"), index=True)
    free_text: Mapped[str] = mapped_column(sa.String(500), default="")
    """What caused it in the team's words (beside or instead of the list)."""
    deviates: Mapped[bool] = mapped_column(default=False)
    deviation_ground: Mapped[str] = mapped_column(sa.String(1000), default="")
    """On which ground the advice deviates from it."""
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    source: Mapped[LessonSource | None] = relationship()
