"""Retention per case result: how long a declined, withdrawn or closed case keeps its content,
per team, with the archive category the municipality's archivist confirms. Without a term of
its own a result keeps the team's general term (``Team.retention_years``). The retention job's
due query (``casefiles.privacy.due_query``) reads these terms in the same one statement."""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.clock import team_today, utcnow
from core.db import db, enum_column
from core.errors import PermissionDenied, ServiceError
from core.models import Team, User

from . import permissions

#: What the archivist has not confirmed yet (FIELD.md: the category of an expert-team advice was not verified).
TO_CONFIRM = "te bevestigen door de archivaris"


class CaseResult(enum.StrEnum):
    """How a case ended (its final status)."""

    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"
    """Closed after the advice."""

    @property
    def label(self) -> str:
        return str(RESULT_LABELS[self])


RESULT_LABELS = {
    CaseResult.DECLINED: _l("Declined at intake"),
    CaseResult.WITHDRAWN: _l("Withdrawn"),
    CaseResult.CLOSED: _l("Closed after the advice"),
}

#: What the Selectielijst gemeenten 2020 suggests (FIELD.md), shown as a hint, never applied
#: by itself: the archivist confirms the category.
SUGGESTIONS = {
    CaseResult.DECLINED: _l("Selectielijst gemeenten 2020: no provision granted, 5 years (category not verified)."),
    CaseResult.WITHDRAWN: _l("Selectielijst gemeenten 2020: no provision granted, 5 years (category not verified)."),
    CaseResult.CLOSED: _l("Selectielijst gemeenten 2020: Wmo support plan, 15 years (result 3.1.5); youth 20 years "
                          "(category of an expert-team advice not verified)."),
}


class RetentionTerm(db.Model):
    __tablename__ = "case_retention_terms"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "result", name="uq_case_retention_terms_team_result"),
        sa.CheckConstraint("years BETWEEN 1 AND 30", name="years_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"))
    result: Mapped[CaseResult] = mapped_column(enum_column(CaseResult))
    years: Mapped[int]
    archive_category: Mapped[str] = mapped_column(sa.String(200), default=TO_CONFIRM)
    confirmed_on: Mapped[date | None]
    """When the municipality's archivist confirmed the category and term; NULL: to be confirmed."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


def terms_of(team: Team) -> dict[CaseResult, RetentionTerm | None]:
    rows = db.session.scalars(sa.select(RetentionTerm).where(RetentionTerm.team_id == team.id)).all()
    by_result = {row.result: row for row in rows}
    return {result: by_result.get(result) for result in CaseResult}


def set_term(team: Team, actor: User, result: CaseResult | str, *, years: int | None, archive_category: str,
             confirmed_on: date | None) -> RetentionTerm:
    """Set (or correct) the term of one result; audited. The caller commits."""
    if not permissions.can_set_retention(actor, team.id):
        raise PermissionDenied(_("Only an administrator or the chair sets the retention terms."))
    try:
        result = CaseResult(result)
    except ValueError:
        raise ServiceError(_("Choose a case result.")) from None
    if years is None or not (1 <= years <= 30):
        raise ServiceError(_("A retention term is 1 to 30 years."))
    category = " ".join((archive_category or "").split()) or TO_CONFIRM
    if len(category) > 200:
        raise ServiceError(_("The archive category is too long (at most 200 characters)."))
    if confirmed_on is not None and confirmed_on > team_today(team):
        raise ServiceError(_("The confirmation date cannot be in the future."))
    row = db.session.scalar(sa.select(RetentionTerm).where(RetentionTerm.team_id == team.id,
                                                           RetentionTerm.result == result))
    if row is None:
        row = RetentionTerm(team_id=team.id, result=result)
        db.session.add(row)
    row.years, row.archive_category, row.confirmed_on = years, category, confirmed_on
    row.updated_at, row.updated_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record("retention.term_set", object_type="team", object_id=team.id, actor=actor, team_id=team.id,
                 details={"result": result.value, "years": years, "confirmed": confirmed_on is not None})
    return row
