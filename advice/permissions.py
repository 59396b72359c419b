"""Who may see and do what with advice and actions: one place per rule (views and templates ask here).

Need-to-know: the case's viewers (owner, team) read the issued advice; the chair and secretary
draft it; only the chair issues it. An organisation contact sees only the actions addressed to
their organisation in their team, with the minimum of case context (never the intake details).
"""
from __future__ import annotations

import sqlalchemy as sa

from casefiles import permissions as case_permissions
from casefiles.models import Case, CaseStatus
from core.db import db
from core.models import User
from core.permissions import is_chair, is_lead, is_owner, signed_in

from .models import (
    PENDING_ACTION,
    Action,
    ActionStatus,
    Advice,
    AdviceStatus,
)

#: Case states in which a correction of the issued advice may be drafted.
CORRECTABLE = frozenset({CaseStatus.ADVISED, CaseStatus.IN_EXECUTION})


def can_draft(user: User | None, case: Case) -> bool:
    """Start the first advice on a discussed case (chair or secretary)."""
    return case.status == CaseStatus.DISCUSSED and is_lead(user, case.team_id)


def can_edit(user: User | None, advice: Advice) -> bool:
    return advice.status == AdviceStatus.DRAFT and is_lead(user, advice.case.team_id)


def can_issue(user: User | None, advice: Advice) -> bool:
    return advice.status == AdviceStatus.DRAFT and is_chair(user, advice.case.team_id)


def can_correct(user: User | None, advice: Advice) -> bool:
    return (
        advice.status == AdviceStatus.ISSUED
        and advice.case.status in CORRECTABLE
        and is_lead(user, advice.case.team_id)
    )


def can_view_advice(user: User | None, advice: Advice) -> bool:
    """Case viewers read issued versions; drafts are for the team (experts, chair, secretary)."""
    if not case_permissions.can_view(user, advice.case):
        return False
    if advice.status == AdviceStatus.DRAFT:
        return case_permissions.can_view_queue(user, advice.case.team_id)
    return True


def is_contact_for(user: User | None, action: Action) -> bool:
    return signed_in(user) and action.organisation_id in user.organisation_ids(action.advice.case.team_id)


def can_view_action(user: User | None, action: Action) -> bool:
    """Contacts of the action's organisation (in the case's team) see the action; so do case viewers."""
    if action.advice.status == AdviceStatus.DRAFT:
        return False
    return is_contact_for(user, action) or case_permissions.can_view(user, action.advice.case)


def can_act_on(user: User | None, action: Action) -> bool:
    """Confirm, report done or refuse: a contact of that organisation in that team, on the
    current issued version."""
    return (
        action.advice.status == AdviceStatus.ISSUED
        and action.status in PENDING_ACTION
        and is_contact_for(user, action)
    )


def can_confirm(user: User | None, action: Action) -> bool:
    return action.status == ActionStatus.OPEN and can_act_on(user, action)


def can_decide(user: User | None, action: Action) -> bool:
    """Record the team's decision on an escalated action (chair or secretary)."""
    return (
        action.advice.status == AdviceStatus.ISSUED
        and action.escalated_at is not None
        and is_lead(user, action.advice.case.team_id)
    )


def can_close(user: User | None, case: Case) -> bool:
    """The owner closes a completed case, unless a correction of its advice is being drafted."""
    return case.status == CaseStatus.COMPLETED and is_owner(user, case) and not has_open_draft(case)


def has_open_draft(case: Case) -> bool:
    return db.session.scalar(
        sa.select(sa.exists().where(Advice.case_id == case.id, Advice.status == AdviceStatus.DRAFT))
    )


def can_record_evaluation(user: User | None, case: Case) -> bool:
    return case.status == CaseStatus.CLOSED and is_owner(user, case)



def can_maintain_catalogue(user: User | None, team_id: int) -> bool:
    return is_lead(user, team_id)


def can_share_attachments(user: User | None, advice: Advice) -> bool:
    """The chair shares case files with the actions of the advice in force."""
    return advice.status == AdviceStatus.ISSUED and is_chair(user, advice.case.team_id)


def can_keep_ladder(user: User | None, action: Action) -> bool:
    """Keep an action's escalation ladder (advice.escalation): climb by hand, record the steering
    group, download the national summary: the chair or secretary of the action's team."""
    return is_lead(user, action.team_id)


#: The case states in which the plan's coordinator writes progress notes.
PLAN_NOTE_STATES = frozenset({CaseStatus.ADVISED, CaseStatus.IN_EXECUTION, CaseStatus.COMPLETED})


def can_write_plan_note(user: User | None, case: Case, coordinator_id: int | None) -> bool:
    """The plan's coordinator, the case owner and the chair or secretary, while the advice is carried out."""
    if not signed_in(user) or case.status not in PLAN_NOTE_STATES:
        return False
    return user.id in (coordinator_id, case.owner_id) or is_lead(user, case.team_id)


def can_read_plan_notes(user: User | None, case: Case) -> bool:
    """Those who may read the case (its need-to-know)."""
    return signed_in(user) and case_permissions.can_view(user, case)


def can_record_lessons(user: User | None, advice: Advice) -> bool:
    """The team's lessons for the system are recorded by its chair or secretary, on the issued advice."""
    return advice.status == AdviceStatus.ISSUED and is_lead(user, advice.case.team_id)


def can_keep_lesson_sources(user: User | None, team_id: int) -> bool:
    return is_lead(user, team_id)


def can_record_grounds(user: User | None, case: Case) -> bool:
    """The case owner, the chair or the secretary record the legal ground of each organisation
    that receives the case's data (``advice.follow_through.recipients``), while that data is kept."""
    return case.anonymised_at is None and case_permissions.can_view(user, case) and (
        is_owner(user, case) or is_lead(user, case.team_id))
