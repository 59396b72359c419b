"""The lawful basis of a case: the team's list of legal grounds (statute, article, what it
allows, its status, a source) and, per case, the ground on which each receiving organisation
gets the case's data. The referring partner (the controller) is a column of ``Case``."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import db, enum_column
from core.models import Organisation


class BasisStatus(enum.StrEnum):
    IN_FORCE = "in_force"
    BILL = "bill"
    STALLED_BILL = "stalled_bill"
    ADOPTED_NOT_IN_FORCE = "adopted_not_in_force"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    BasisStatus.IN_FORCE: _l("In force"),
    BasisStatus.BILL: _l("Bill"),
    BasisStatus.STALLED_BILL: _l("Stalled bill"),
    BasisStatus.ADOPTED_NOT_IN_FORCE: _l("Adopted, not yet in force"),
}


class LegalBasis(db.Model):
    """One entry of the team's list of legal grounds on which case data may be shared."""

    __tablename__ = "legal_bases"
    __table_args__ = (sa.UniqueConstraint("team_id", "statute", "article", name="uq_legal_bases_team_statute_article"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    statute: Mapped[str] = mapped_column(sa.String(160))
    article: Mapped[str] = mapped_column(sa.String(120), default="")
    allows: Mapped[str] = mapped_column(sa.String(600), default="")
    """What the ground allows, in a sentence or two."""
    status: Mapped[BasisStatus] = mapped_column(enum_column(BasisStatus), default=BasisStatus.IN_FORCE)
    source_url: Mapped[str] = mapped_column(sa.String(300), default="")
    key: Mapped[str | None] = mapped_column(sa.String(40))
    """The starting list's key of a seeded entry (the old single choice maps onto these)."""
    active: Mapped[bool] = mapped_column(default=True)
    """Inactive entries are no longer offered; cases keep the ground they recorded."""

    @property
    def title(self) -> str:
        return f"{self.statute} {self.article}".strip()

    @property
    def in_force(self) -> bool:
        return self.status == BasisStatus.IN_FORCE


class CaseRecipientGround(db.Model):
    """The ground on which one organisation receives a case's data."""

    __tablename__ = "case_recipient_grounds"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), primary_key=True)
    legal_basis_id: Mapped[int] = mapped_column(sa.ForeignKey("legal_bases.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    basis: Mapped[LegalBasis] = relationship()
