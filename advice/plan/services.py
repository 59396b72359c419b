"""One plan, one coordinator ("1 gezin, 1 plan, 1 regisseur"): the plan part of the advice (the
coordinator, the household's goals for the coming year, how progress is checked), saved with the
draft and part of the issued content; the coordinator's progress notes between meetings; the
three-month evaluation per goal. Free text lives in these rows (retention clears it); audit rows
hold ids only."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from advice import permissions
from advice.lifecycle import audit_step
from advice.models import Advice, AdviceStatus
from casefiles.models import Case
from core.clock import utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Membership, Role, User

from .models import AdvicePlan, PlanGoalReview, PlanNote

TEXT_MAX = 5_000
NOTE_MAX = 5_000
#: Roles of the team whose members may coordinate the plan (professionals of the team).
COORDINATOR_ROLES = (Role.CASE_OWNER, Role.EXPERT, Role.CHAIR, Role.SECRETARY)


def coordinator_choices(case: Case) -> list[User]:
    """The professionals of the team who may coordinate: the case owner first, then the others by name."""
    people = db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == case.team_id, Membership.active.is_(True), Membership.role.in_(COORDINATOR_ROLES),
               User.active.is_(True))
        .distinct().order_by(User.name)).all()
    return sorted(people, key=lambda u: (u.id != case.owner_id, u.name))


def plan_of(advice: Advice) -> AdvicePlan | None:
    """The plan of ``advice``: as loaded with it (``Advice.plan``, e.g. the advice page, so also
    its absence costs no statement), else by its key."""
    loaded = sa.inspect(advice).dict
    if "plan" in loaded:
        return loaded["plan"]
    return db.session.get(AdvicePlan, advice.id)


def coordinator_of(case: Case) -> User | None:
    """The coordinator of the case's advice in force (or draft): named in the plan, else the owner."""
    advice = db.session.scalar(sa.select(Advice).where(
        Advice.case_id == case.id, Advice.status.in_([AdviceStatus.ISSUED, AdviceStatus.DRAFT]))
        .order_by(Advice.version.desc()).limit(1))
    plan = plan_of(advice) if advice is not None else None
    return plan.coordinator if plan is not None and plan.coordinator is not None else case.owner


def save_plan(advice: Advice, actor: User, *, coordinator_id: int | None, year_goals: str, progress_check: str) -> AdvicePlan:
    """Set the plan of a draft advice (the caller checked the draft may be edited)."""
    if advice.is_locked:
        raise ServiceError(_("An issued advice cannot be changed; correct it instead."))
    year_goals, progress_check = (year_goals or "").strip(), (progress_check or "").strip()
    if len(year_goals) > TEXT_MAX or len(progress_check) > TEXT_MAX:
        raise ServiceError(_("The plan's texts are too long."))
    if coordinator_id is None:
        coordinator_id = advice.case.owner_id
    elif coordinator_id not in {u.id for u in coordinator_choices(advice.case)}:
        raise ServiceError(_("The coordinator must be a professional of the team."))
    plan = plan_of(advice)
    if plan is None:
        plan = AdvicePlan(advice_id=advice.id)
        db.session.add(plan)
        sa.orm.attributes.set_committed_value(advice, "plan", plan)  # no longer "loaded: none"
    changed = (plan.coordinator_id, plan.year_goals, plan.progress_check) != (coordinator_id, year_goals, progress_check)
    plan.coordinator_id, plan.year_goals, plan.progress_check = coordinator_id, year_goals, progress_check
    db.session.flush()
    if changed:
        audit_step("advice.plan", "advice", advice.id, actor, advice.case.team_id, {"coordinator_id": coordinator_id})
    return plan


def canonical_plan(advice: Advice) -> dict[str, Any]:
    """The plan's part of the canonical content; empty (the hash of older advice unchanged) without a plan."""
    plan = plan_of(advice)
    if plan is None:
        return {}
    return {"plan": {"coordinator_id": plan.coordinator_id, "year_goals": plan.year_goals,
                     "progress_check": plan.progress_check}}


def copy_plan(old: Advice, new: Advice) -> None:
    plan = plan_of(old)
    if plan is not None:
        db.session.add(AdvicePlan(advice_id=new.id, coordinator_id=plan.coordinator_id, year_goals=plan.year_goals,
                                  progress_check=plan.progress_check))
        db.session.flush()


# --- progress notes ---------------------------------------------------------------------------

def may_write_note(user: User | None, case: Case) -> bool:
    coordinator = coordinator_of(case)
    return permissions.can_write_plan_note(user, case, coordinator.id if coordinator else None)


def add_note(case: Case, actor: User, text: str, now: datetime | None = None) -> PlanNote:
    if not may_write_note(actor, case):
        raise PermissionDenied(_("Only the coordinator writes progress notes while the advice is carried out."))
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write what changed since the last note."))
    if len(text) > NOTE_MAX:
        raise ServiceError(_("A note holds at most %(n)s characters.", n=NOTE_MAX))
    note = PlanNote(case_id=case.id, author_id=actor.id, text=text, created_at=now or utcnow())
    db.session.add(note)
    db.session.flush()
    audit_step("advice.plan_note", "case", case.id, actor, case.team_id, {"note_id": note.id})
    return note


def notes_of(case: Case, limit: int = 200) -> list[PlanNote]:
    return list(db.session.scalars(sa.select(PlanNote).where(PlanNote.case_id == case.id)
                                   .order_by(PlanNote.created_at.desc(), PlanNote.id.desc()).limit(limit)))


# --- the three-month evaluation per goal -----------------------------------------------------

def goals_for_evaluation(case: Case) -> list[str]:
    advice = db.session.scalar(sa.select(Advice).where(Advice.case_id == case.id, Advice.status == AdviceStatus.ISSUED)
                               .order_by(Advice.version.desc()).limit(1))
    plan = plan_of(advice) if advice is not None else None
    return plan.goals if plan is not None else []


def record_goal_reviews(case: Case, actor: User, answers: dict[int, tuple[bool, bool]]) -> list[PlanGoalReview]:
    """Per goal (its position in the plan): reached, and does the breakthrough hold. Every goal needs an answer."""
    goals = goals_for_evaluation(case)
    if set(answers) != set(range(len(goals))):
        raise ServiceError(_("Answer for every goal of the plan whether it was reached and whether it holds."))
    if db.session.scalar(sa.select(PlanGoalReview.case_id).where(PlanGoalReview.case_id == case.id).limit(1)):
        raise ServiceError(_("The goals have already been evaluated."))
    rows = [PlanGoalReview(case_id=case.id, position=i, goal=goal, reached=answers[i][0], holds=answers[i][1])
            for i, goal in enumerate(goals)]
    db.session.add_all(rows)
    db.session.flush()
    audit_step("case.followup_goals", "case", case.id, actor, case.team_id,
               {"reached": sum(r.reached for r in rows), "holds": sum(r.holds for r in rows), "goals": len(rows)})
    return rows


def goal_reviews(case: Case) -> list[PlanGoalReview]:
    return list(db.session.scalars(sa.select(PlanGoalReview).where(PlanGoalReview.case_id == case.id)
                                   .order_by(PlanGoalReview.position)))


# --- privacy ----------------------------------------------------------------------------------

def export_plan(case: Case) -> dict:
    advice_ids = sa.select(Advice.id).where(Advice.case_id == case.id)
    plans = db.session.scalars(sa.select(AdvicePlan).where(AdvicePlan.advice_id.in_(advice_ids))).all()
    return {
        "plans": [{"advice_id": p.advice_id, "coordinator_id": p.coordinator_id, "year_goals": p.year_goals,
                   "progress_check": p.progress_check} for p in plans],
        "progress_notes": [{"at": n.created_at, "author_id": n.author_id, "text": n.text} for n in notes_of(case, 10_000)],
        "goal_reviews": [{"goal": r.goal, "reached": r.reached, "holds": r.holds} for r in goal_reviews(case)],
    }


def anonymise_plan(case_ids) -> list[str]:
    """Retention: clear the plan's texts, the progress notes and the goals of the evaluation."""
    from core import privacy

    advice_ids = sa.select(Advice.id).where(Advice.case_id.in_(case_ids))
    cleared = privacy.clear({
        "plan": sa.update(AdvicePlan).where(AdvicePlan.advice_id.in_(advice_ids),
                                            sa.or_(AdvicePlan.year_goals != "", AdvicePlan.progress_check != ""))
        .values(year_goals="", progress_check=""),
        "plan_note": sa.update(PlanNote).where(PlanNote.case_id.in_(case_ids), PlanNote.text != "").values(text=""),
        "goal_review": sa.update(PlanGoalReview).where(PlanGoalReview.case_id.in_(case_ids), PlanGoalReview.goal != "")
        .values(goal=""),
    })
    return sorted(cleared)


# --- the guard: an issued advice's plan does not change -----------------------------------------

def _plan_guard(session, flush_context, instances) -> None:
    """Like ``advice.guard``: the plan of an issued (or superseded) advice is part of its hashed
    content and cannot be added, changed or removed through the ORM on any code path (retention
    clears its text by a bulk UPDATE, the guard's one sanctioned exception)."""
    from advice.guard import ImmutableAdviceError
    from advice.models import LOCKED_STATUSES

    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, AdvicePlan) or (obj in session.dirty and not session.is_modified(obj)):
            continue
        advice = session.get(Advice, obj.advice_id)
        if advice is None:
            continue
        status = sa.inspect(advice).attrs.status.history
        before = status.deleted[0] if status.deleted else advice.status
        if before in LOCKED_STATUSES:
            raise ImmutableAdviceError(f"the plan of issued advice {advice.id} cannot change")


def install_guard() -> None:
    from sqlalchemy.orm import Session

    if not sa.event.contains(Session, "before_flush", _plan_guard):
        sa.event.listen(Session, "before_flush", _plan_guard)
