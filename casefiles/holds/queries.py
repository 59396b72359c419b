"""Reading the hard cases: a case's open hold and signal requests, and a team's held cases."""
from __future__ import annotations

import sqlalchemy as sa

from casefiles.models import Case
from core.clock import team_today
from core.db import db
from core.models import Commitment, Organisation, Role, Team, User

from .models import CaseHold, ContactSignalRequest, Signal


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
    """Open holds of the team's cases, the earliest retry date first (back-on-the-table part of the agenda)."""
    return list(db.session.scalars(
        sa.select(CaseHold).join(Case, Case.id == CaseHold.case_id)
        .where(Case.team_id == team_id, CaseHold.ended_at.is_(None))
        .order_by(CaseHold.retry_on, CaseHold.id)
        # Of the case only what the list shows and need-to-know reads (no texts of the case file).
        .options(sa.orm.contains_eager(CaseHold.case).load_only(
            Case.id, Case.team_id, Case.owner_id, Case.status, Case.reference))
    ))


def case_signal_requests(case: Case) -> list[ContactSignalRequest]:
    """Every signal request of the case (the open ones first, then the newest), with their
    organisation, signals and reporters loaded: a fixed number of statements."""
    return list(db.session.scalars(
        sa.select(ContactSignalRequest).where(ContactSignalRequest.case_id == case.id)
        .order_by(ContactSignalRequest.ended_at.is_not(None), ContactSignalRequest.id.desc())
        .options(sa.orm.joinedload(ContactSignalRequest.organisation),
                 sa.orm.selectinload(ContactSignalRequest.signals).joinedload(Signal.reported_by))
    ))


def contact_requests(user: User) -> list[ContactSignalRequest]:
    """The open signal requests a contact may see (``permissions.can_see_request`` as SQL): of
    the user's organisations in the same team, while the commitment holds on the team's today.
    Two statements however many requests."""
    pairs = {(m.team_id, m.organisation_id) for m in user.memberships
             if m.active and m.role == Role.ORG_CONTACT and m.organisation_id is not None}
    if not pairs:
        return []
    teams = db.session.scalars(sa.select(Team).where(Team.id.in_({t for t, _o in pairs}))).all()
    committed = [
        sa.and_(Case.team_id == team.id, Commitment.committed_on <= team_today(team),
                sa.or_(Commitment.ended_on.is_(None), Commitment.ended_on > team_today(team)))
        for team in teams
    ]
    holds_commitment = sa.exists().where(
        Commitment.team_id == Case.team_id, Commitment.organisation_id == ContactSignalRequest.organisation_id,
        sa.or_(*committed), Organisation.active.is_(True), Organisation.id == Commitment.organisation_id,
    )
    return list(db.session.scalars(
        sa.select(ContactSignalRequest).join(Case, Case.id == ContactSignalRequest.case_id)
        .where(ContactSignalRequest.ended_at.is_(None),
               sa.or_(*[sa.and_(Case.team_id == t, ContactSignalRequest.organisation_id == o) for t, o in pairs]),
               holds_commitment)
        .order_by(ContactSignalRequest.created_at.desc(), ContactSignalRequest.id.desc())
        .options(sa.orm.contains_eager(ContactSignalRequest.case))
    ))
