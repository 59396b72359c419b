"""Closing the case with its outcome (the owner), the three-month evaluation, and
what the team concluded when it came back on the table."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from advice import permissions
from advice.lifecycle import TransitionError, add_months, audit_step
from advice.plan import services as plan
from casefiles import services as case_services
from casefiles.models import Case, CaseStatus
from core.clock import team_today, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import User

from .models import CaseClosure, ClosureOutcome, EvaluationResult

EVALUATION_MONTHS = 3


def closure_of(case: Case) -> CaseClosure | None:
    return db.session.scalar(sa.select(CaseClosure).where(CaseClosure.case_id == case.id))


def close_case(case: Case, actor: User, *, outcome: ClosureOutcome | str, note: str, now: datetime | None = None) -> CaseClosure:
    """The owner closes a completed case with its outcome; the evaluation is due in three months."""
    now = now or utcnow()
    if case.status == CaseStatus.COMPLETED and permissions.has_open_draft(case):
        raise TransitionError(_("A correction of the advice is still being drafted: issue or discard it "
                                "before closing the case."))
    if not permissions.can_close(actor, case):
        if case.status != CaseStatus.COMPLETED:
            raise TransitionError(_("A case is closed once every action is done."))
        raise PermissionDenied(_("Only the case owner closes the case."))
    try:
        outcome = ClosureOutcome(outcome)
    except ValueError:
        raise ServiceError(_("Choose the outcome.")) from None
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Add a note on the outcome."))
    case_services.close_case(case, actor, outcome=outcome.value, now=now)
    closure = CaseClosure(case=case, team_id=case.team_id, outcome=outcome, note=note, closed_at=now,
                          closed_by_id=actor.id,
                          evaluation_due_on=add_months(team_today(case.team, now), EVALUATION_MONTHS))
    db.session.add(closure)
    db.session.flush()
    return closure


def record_evaluation(case: Case, actor: User, *, result: EvaluationResult | str, note: str,
                    now: datetime | None = None, goal_answers: dict[int, tuple[bool, bool]] | None = None) -> CaseClosure:
    """The owner's answer to 'is the breakthrough holding?' (once); when the plan names goals, per
    goal whether it was reached and whether the breakthrough holds (``goal_answers`` by position,
    ``advice.plan.services.record_goal_reviews``)."""
    now = now or utcnow()
    if not permissions.can_record_evaluation(actor, case):
        raise PermissionDenied(_("Only the case owner records the three-month evaluation of a closed case."))
    closure = closure_of(case)
    if closure is None:
        raise TransitionError(_("This case was not closed with an outcome."))
    if closure.evaluation_at is not None:
        raise TransitionError(_("The three-month evaluation has already been recorded."))
    try:
        result = EvaluationResult(result)
    except ValueError:
        raise ServiceError(_("Choose whether the breakthrough holds.")) from None
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Add a note on how it is going."))
    if plan.goals_for_evaluation(case):
        plan.record_goal_reviews(case, actor, goal_answers or {})
    closure.evaluation_result, closure.evaluation_note = result, note
    closure.evaluation_at, closure.evaluation_by_id = now, actor.id
    db.session.flush()
    audit_step("case.followup", "case", case.id, actor, case.team_id, {"result": result.value})
    return closure


def record_evaluation_review(closure: CaseClosure, actor: User, *, note: str, now: datetime | None = None) -> None:
    """What the team concluded when the evaluation came back on the table."""
    if not permissions.is_lead(actor, closure.team_id):
        raise PermissionDenied(_("Only the chair or secretary records the team's decision."))
    if closure.team_noted_at is not None:
        raise TransitionError(_("The team has already discussed this evaluation."))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Record what the team decided and why."))
    closure.team_note, closure.team_noted_at, closure.team_noted_by_id = note, now or utcnow(), actor.id
    db.session.flush()
    audit_step("case.followup_review", "case", closure.case_id, actor, closure.team_id,
               case_services.keep_text(closure.case, "followup_review", note, actor))
