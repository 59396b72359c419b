"""Who may see and do what with a case: one place per rule (views and templates both ask here)."""
from __future__ import annotations

import sqlalchemy as sa

from core.models import LEAD_ROLES, TEAM_ROLES, Role, User
from core.permissions import is_chair, is_lead, is_owner, is_team_member, signed_in

from .models import Case, CaseStatus

#: States in which a case is visible to the whole expert team (queue, agenda and after).
TEAM_VISIBLE = frozenset(
    {
        CaseStatus.ACCEPTED,
        CaseStatus.SCHEDULED,
        CaseStatus.DISCUSSED,
        CaseStatus.ADVISED,
        CaseStatus.IN_EXECUTION,
        CaseStatus.COMPLETED,
        CaseStatus.CLOSED,
    }
)
#: States the team lead (chair, secretary) sees: everything once it has been submitted.
LEAD_HIDDEN = frozenset({CaseStatus.DRAFT})
#: States from which the owner (or the lead) may withdraw (DESIGN: any state before advised).
WITHDRAWABLE = frozenset(
    {
        CaseStatus.DRAFT,
        CaseStatus.SUBMITTED,
        CaseStatus.RETURNED,
        CaseStatus.ACCEPTED,
        CaseStatus.SCHEDULED,
        CaseStatus.DISCUSSED,
    }
)


def can_view(user: User | None, case: Case) -> bool:
    """May this user read the case's content? Administrators and contacts: no."""
    if not signed_in(user):
        return False
    if is_owner(user, case):
        return True
    if case.status not in LEAD_HIDDEN and user.has_role(case.team_id, *LEAD_ROLES):
        return True
    return case.status in TEAM_VISIBLE and user.has_role(case.team_id, *TEAM_ROLES)


def can_edit(user: User | None, case: Case) -> bool:
    return is_owner(user, case) and case.status in (CaseStatus.DRAFT, CaseStatus.RETURNED)


def can_submit(user: User | None, case: Case) -> bool:
    return can_edit(user, case)


def can_intake(user: User | None, case: Case) -> bool:
    return case.status == CaseStatus.SUBMITTED and is_lead(user, case.team_id)


def can_withdraw(user: User | None, case: Case) -> bool:
    if case.status not in WITHDRAWABLE or not signed_in(user):
        return False
    return is_owner(user, case) or (case.status != CaseStatus.DRAFT and is_lead(user, case.team_id))


def can_create_case(user: User | None, team_id: int) -> bool:
    return signed_in(user) and user.has_role(team_id, Role.CASE_OWNER)


def can_view_queue(user: User | None, team_id: int) -> bool:
    return is_team_member(user, team_id)


def can_see_reads(user: User | None, case: Case) -> bool:
    """Who read the case: the team's chair."""
    return can_view(user, case) and is_chair(user, case.team_id)


def can_export(user: User | None, case: Case) -> bool:
    """The GDPR export: the case owner (who speaks for the household) and the team's chair or
    secretary."""
    return can_view(user, case) and (is_owner(user, case) or is_lead(user, case.team_id))


def visible_cases_clause(user: User) -> sa.ColumnElement[bool]:
    """SQL filter for the cases a user may see (list pages), matching ``can_view``."""
    owner_teams = user.team_ids(Role.CASE_OWNER)
    lead_teams = user.team_ids(*LEAD_ROLES)
    team_teams = user.team_ids(*TEAM_ROLES)
    clauses = [sa.false()]
    if owner_teams:
        clauses.append(sa.and_(Case.owner_id == user.id, Case.team_id.in_(owner_teams)))
    if lead_teams:
        clauses.append(sa.and_(Case.team_id.in_(lead_teams), Case.status.not_in(list(LEAD_HIDDEN))))
    if team_teams:
        clauses.append(sa.and_(Case.team_id.in_(team_teams), Case.status.in_(list(TEAM_VISIBLE))))
    return sa.or_(*clauses)


def can_maintain_legal_bases(user: User | None, team_id: int) -> bool:
    """The team's list of legal grounds (``casefiles.lawful_basis``): its chair or secretary."""
    return is_lead(user, team_id)


def can_set_retention(user: User | None, team_id: int) -> bool:
    """Set the team's retention term per case result (``casefiles.retention_terms``): an
    administrator or the chair."""
    return signed_in(user) and (bool(user.is_admin) or is_chair(user, team_id))
