"""Pay for success: a team's financing agreements, the cases the team marks for one, and the
ledger book (entries and corrections) derived from the cases' recorded outcomes.

Money is integer cents everywhere (sums exact on both databases); shares are whole percents.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import db, enum_column
from core.models import Team


class Scope(enum.StrEnum):
    """Which cases fall under an agreement."""

    ACCEPTED = "accepted"
    """Every case of the team accepted at intake within the agreement's period."""
    MARKED = "marked"
    """Only the cases the team marks (``FinancedCase``)."""

    @property
    def label(self) -> str:
        return str(SCOPE_LABELS[self])


SCOPE_LABELS = {
    Scope.ACCEPTED: _l("Every case accepted in the period"),
    Scope.MARKED: _l("The cases the team marks"),
}


class PriceKind(enum.StrEnum):
    FIXED = "fixed"
    """A fixed amount per successful household (``price_cents``)."""
    COSTS = "costs"
    """The advice's "breaking through" cost lines (the version in force), up to ``cap_cents``."""

    @property
    def label(self) -> str:
        return str(PRICE_LABELS[self])


PRICE_LABELS = {
    PriceKind.FIXED: _l("A fixed amount per successful household"),
    PriceKind.COSTS: _l("The advice's breaking-through costs, up to a cap"),
}


class MissingRule(enum.StrEnum):
    """What an evaluation still missing after the grace period counts as."""

    NOTHING = "nothing"
    PARTIAL = "partial"
    FULL = "full"

    @property
    def label(self) -> str:
        return str(MISSING_LABELS[self])


MISSING_LABELS = {
    MissingRule.NOTHING: _l("Nothing is due"),
    MissingRule.PARTIAL: _l("Counts as partly successful"),
    MissingRule.FULL: _l("Counts as successful"),
}


class LedgerState(enum.StrEnum):
    """The state of one case under an agreement (derived, never typed)."""

    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    NO_SUCCESS = "no_success"
    EVALUATION_MISSING = "followup_missing"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    LedgerState.RUNNING: _l("Running"),
    LedgerState.SUCCESS: _l("Success"),
    LedgerState.PARTIAL: _l("Partly successful"),
    LedgerState.NO_SUCCESS: _l("No success"),
    LedgerState.EVALUATION_MISSING: _l("Evaluation missing"),
}


class EntryKind(enum.StrEnum):
    ENTRY = "entry"
    """The first booking of a case (its state became final)."""
    CORRECTION = "correction"
    """A later change of a booked case (a corrected or late outcome, changed terms)."""

    @property
    def label(self) -> str:
        return str(_l("Correction") if self is EntryKind.CORRECTION else _l("Entry"))


class FinancingAgreement(db.Model):
    """A financier pre-finances the team's extra support; the municipality repays per success."""

    __tablename__ = "financing_agreements"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="period_in_order"),
        sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint("cap_cents IS NULL OR cap_cents >= 0", name="cap_not_negative"),
        sa.CheckConstraint("partial_share_percent BETWEEN 0 AND 100", name="share_is_percent"),
        sa.CheckConstraint("grace_days >= 0", name="grace_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    financier: Mapped[str] = mapped_column(sa.String(160))
    """Who pre-finances (an organisation's name, never a person's)."""
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    """Last day of the agreement (team-local calendar days, both ends included)."""
    scope: Mapped[Scope] = mapped_column(enum_column(Scope), default=Scope.ACCEPTED)
    price_kind: Mapped[PriceKind] = mapped_column(enum_column(PriceKind), default=PriceKind.FIXED)
    price_cents: Mapped[int] = mapped_column(default=0)
    """Fixed price: the amount per successful household (cents); unused for cost-based prices."""
    cap_cents: Mapped[int | None]
    """Cost-based price: the most one household can cost (cents); NULL: no cap."""
    partial_share_percent: Mapped[int] = mapped_column(default=50)
    """The share of the price due when the breakthrough was partly reached or partly holds."""
    grace_days: Mapped[int] = mapped_column(default=30)
    """Days after the three-month evaluation date before a missing evaluation counts."""
    missing_rule: Mapped[MissingRule] = mapped_column(enum_column(MissingRule), default=MissingRule.NOTHING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    """Optimistic-locking counter: a stale form is refused instead of overwriting."""

    team: Mapped[Team] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<FinancingAgreement {self.id} {self.financier}>"


class FinancedCase(db.Model):
    """A case the team marked as falling under an agreement (scope 'marked')."""

    __tablename__ = "financing_cases"

    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("financing_agreements.id", ondelete="CASCADE"),
                                              primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), primary_key=True, index=True)
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class LedgerEntry(db.Model):
    """One booking of a case under an agreement: append-only. The derived state of a case is
    booked when it first becomes final; every later difference is a correction row (the old
    rows stay), so what a past statement showed can always be shown again."""

    __tablename__ = "financing_ledger"
    __table_args__ = (
        # The last entry per case of an agreement; the book of an agreement in order.
        sa.Index("ix_financing_ledger_agreement_case", "agreement_id", "case_id", "id"),
        # A statement: the entries booked in a period.
        sa.Index("ix_financing_ledger_agreement_booked", "agreement_id", "booked_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("financing_agreements.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind))
    state: Mapped[LedgerState] = mapped_column(enum_column(LedgerState))
    amount_cents: Mapped[int]
    """What is due for the case after this entry."""
    delta_cents: Mapped[int]
    """The change this entry makes (the amount of a first entry; new minus old for a correction)."""
    due_on: Mapped[date | None]
    """The date the amount became due (the evaluation date, or that date plus the grace period)."""
    booked_on: Mapped[date]
    """The team-local day the entry was written: a statement counts the entries booked in its period."""
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
