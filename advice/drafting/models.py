"""The drafting's own records: the team's catalogues (legal grounds an advice can cite, the cost
catalogue), per-team tables the advice copies from, never parts of an advice; and the archive
copy of each issued version (``AdviceDocument``)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import db

# --- catalogues --------------------------------------------------------------------------------

class LegalReference(db.Model):
    """An entry of the team's list of legal grounds an advice can cite."""

    __tablename__ = "advice_legal_references"
    __table_args__ = (sa.UniqueConstraint("team_id", "law", "article", name="uq_advice_legal_references_team_law_article"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    law: Mapped[str] = mapped_column(sa.String(160))
    article: Mapped[str] = mapped_column(sa.String(80), default="")
    """Article or section, e.g. 'art. 4:84'; empty when the law as a whole is meant."""
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    """What the reference allows or requires, in one sentence."""
    url: Mapped[str] = mapped_column(sa.String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    """Inactive references are no longer offered; earlier advice keeps its copy."""

    @property
    def title(self) -> str:
        return f"{self.law} {self.article}".strip()


class Intervention(db.Model):
    """An entry of the team's cost catalogue (a service, an escalation, a proposed step)."""

    __tablename__ = "advice_interventions"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "name", name="uq_advice_interventions_team_name"),
        sa.CheckConstraint("unit_cost_cents >= 0", name="unit_cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    unit_cost_cents: Mapped[int]
    """Cost of one unit in euro cents."""
    unit: Mapped[str] = mapped_column(sa.String(60))
    """What one unit is, e.g. 'per year', 'per month', 'once'."""
    source: Mapped[str] = mapped_column(sa.String(300), default="")
    """Where the amount comes from."""
    is_example: Mapped[bool] = mapped_column(default=False)
    """An example amount (demo data), to be replaced by a sourced figure."""
    price_year: Mapped[Optional[int]]
    """The year of the price level (index before use); NULL when not known."""
    active: Mapped[bool] = mapped_column(default=True)


# --- the archive copy ---------------------------------------------------------------------------

class AdviceDocument(db.Model):
    """The PDF/A of one issued advice version, made once at issue and kept byte for byte: what
    an organisation downloads is the document that was issued. Kept in the database, in the
    issuing transaction (an issue that rolls back leaves no copy; a backup holds both)."""

    __tablename__ = "advice_documents"

    advice_id: Mapped[int] = mapped_column(sa.ForeignKey("advice.id", ondelete="CASCADE"), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    """The PDF/A-3u bytes (loaded only when downloaded)."""
    sha256: Mapped[str] = mapped_column(sa.String(64))
    """SHA-256 (hex) of the PDF bytes, shown on the advice page beside the content hash."""
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
