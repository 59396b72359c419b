"""Reading the hard cases: a case's open hold and signal requests, and a team's held cases."""
from __future__ import annotations

import sqlalchemy as sa

from casefiles.models import Case
from core.db import db

from .models import CaseHold, ContactSignalRequest


def active_hold(case: Case) -> CaseHold | None:
    return db.session.scalar(
        sa.select(CaseHold).where(CaseHold.case_id == case.id, CaseHold.ended_at.is_(None)).order_by(CaseHold.id.desc()).limit(1)
    )


def signal_requests(case: Case, *, active_only: bool = False) -> list[ContactSignalRequest]:
    stmt = sa.select(ContactSignalRequest).where(ContactSignalRequest.case_id == case.id)
    if active_only:
        stmt = stmt.where(ContactSignalRequest.ended_at.is_(None))
    return list(db.session.scalars(stmt.order_by(ContactSignalRequest.id.desc())
                                   .options(sa.orm.selectinload(ContactSignalRequest.signals))))


def held_cases(team_id: int) -> list[CaseHold]:
    """Open holds of the team's cases, the earliest retry date first (follow-up part of the agenda)."""
    return list(db.session.scalars(
        sa.select(CaseHold).join(Case, Case.id == CaseHold.case_id)
        .where(Case.team_id == team_id, CaseHold.ended_at.is_(None))
        .order_by(CaseHold.retry_on, CaseHold.id).options(sa.orm.contains_eager(CaseHold.case))
    ))
