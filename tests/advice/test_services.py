"""Advice services: the state tables, issuing and locking, the hash, corrections, committed
organisations, follow-through and the case following its actions."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from advice.closure.models import CaseClosure
from advice.closure.services import close_case, record_evaluation, record_evaluation_review
from advice.drafting.issuing import compute_hash, correct_advice, issue_advice, verify_hash
from advice.drafting.services import (
    add_action,
    add_cost_line,
    add_legal_ground,
    discard_draft,
    draft_advice,
    remove_action,
    update_draft,
)
from advice.follow_through.services import (
    complete_action,
    confirm_action,
    back_on_table,
    record_team_decision,
    refuse_action,
)
from advice.guard import ImmutableAdviceError
from advice.lifecycle import (
    ACTION_TRANSITIONS,
    ADVICE_TRANSITIONS,
    StaleAction,
    StaleDraft,
    TransitionError,
    add_months,
    current_advice,
    transition_action,
    transition_advice,
)
from advice.models import Action, ActionStatus, Advice, AdviceStatus, CostLine, EscalationKind
from casefiles.models import CaseStatus
from core.audit import AuditEvent
from core.clock import team_today
from core.db import db
from core.errors import PermissionDenied, ServiceError
from notifications.models import EmailStatus, Notification


def notes_for(user, kind=None):
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return db.session.scalars(stmt).all()


# --- state tables -----------------------------------------------------------------------------

def test_advice_transition_table_every_pair(aw, drafted):
    advice = drafted()
    for frm in AdviceStatus:
        for to in AdviceStatus:
            advice.status = frm
            if (frm, to) in ADVICE_TRANSITIONS:
                transition_advice(advice, to, aw.chair)
                assert advice.status == to
            else:
                with pytest.raises(TransitionError):
                    transition_advice(advice, to, aw.chair)
                assert advice.status == frm
    db.session.rollback()


def test_action_transition_table_every_pair(aw, drafted):
    action = drafted().actions[0]
    allowed = 0
    for frm in ActionStatus:
        for to in ActionStatus:
            action.status = frm
            if (frm, to) in ACTION_TRANSITIONS:
                transition_action(action, to, aw.chair)
                assert action.status == to
                allowed += 1
            else:
                with pytest.raises(TransitionError):
                    transition_action(action, to, aw.chair)
                assert action.status == frm
    assert allowed == len(ACTION_TRANSITIONS)
    db.session.rollback()


# --- drafting ---------------------------------------------------------------------------------

def test_draft_needs_discussed_case_and_lead(aw, create_case, discussed):
    accepted = create_case("accepted")
    with pytest.raises(TransitionError):
        draft_advice(accepted, aw.chair)
    case = discussed()
    for outsider in (aw.expert, aw.owner, aw.contact, aw.other_chair):
        with pytest.raises(PermissionDenied):
            draft_advice(case, outsider)
    advice = draft_advice(case, aw.secretary)
    assert advice.meeting_id == case.meeting.id and advice.version == 1
    with pytest.raises(ServiceError):
        draft_advice(case, aw.chair)


def test_stale_draft_is_refused_and_keeps_the_other_text(aw, drafted):
    advice = drafted()
    loaded = advice.lock_version
    update_draft(advice, aw.chair, expected_version=loaded, advice_text="First save")
    db.session.commit()
    with pytest.raises(StaleDraft):
        update_draft(advice, aw.secretary, expected_version=loaded, advice_text="Second save")
    db.session.rollback()
    assert db.session.get(Advice, advice.id).advice_text == "First save"


def test_only_committed_organisations_get_actions(aw, drafted):
    advice = drafted()
    for org in (aw.uncommitted_org, aw.ended_org, aw.elsewhere_org):
        with pytest.raises(ServiceError, match="active commitment"):
            add_action(advice, aw.chair, organisation_id=org.id, description="Do it",
                                deadline=date.today() + timedelta(days=3))
    with pytest.raises(ServiceError):
        add_action(advice, aw.chair, organisation_id=aw.org.id, description="  ", deadline=date.today())
    with pytest.raises(ServiceError):
        add_action(advice, aw.chair, organisation_id=aw.org.id, description="Late",
                            deadline=date.today() - timedelta(days=1))
    db.session.rollback()
    assert len(db.session.get(Advice, advice.id).actions) == 2
    # A commitment that ended after drafting blocks issuing.
    from core.models import Commitment
    c = db.session.scalar(sa.select(Commitment).where(Commitment.organisation_id == aw.org2.id))
    c.ended_on = date.today()
    db.session.commit()
    with pytest.raises(ServiceError, match="active commitment"):
        issue_advice(advice, aw.chair)


def test_legal_grounds_come_from_the_team_list_and_are_copied(aw, drafted):
    advice = drafted()
    ground = add_legal_ground(advice, aw.chair, aw.ref.id)
    with pytest.raises(ServiceError):
        add_legal_ground(advice, aw.chair, aw.ref.id)
    with pytest.raises(ServiceError):
        add_legal_ground(advice, aw.chair, aw.foreign_ref.id)
    aw.ref.note = "Changed later in the catalogue"
    db.session.commit()
    assert ground.note == "Duty to provide youth care."


def test_cost_lines_totals_and_net_effect_are_computed(aw, drafted):
    advice = drafted()
    add_cost_line(advice, aw.chair, side="current", intervention_id=aw.eviction.id, quantity="0.5")
    add_cost_line(advice, aw.chair, side="current", name="Shelter", unit_cost="3000", unit="per month",
                           quantity="6")
    add_cost_line(advice, aw.chair, side="breakthrough", name="Debt arrangement", unit_cost="1234.57",
                           quantity="1.5")
    for bad in ("0", "-1", "abc", "1.234"):
        with pytest.raises(ServiceError):
            add_cost_line(advice, aw.chair, side="current", name="X", unit_cost="1", quantity=bad)
    with pytest.raises(ServiceError):
        add_cost_line(advice, aw.chair, side="current", name="X", unit_cost="-5", quantity="1")
    with pytest.raises(ServiceError):
        add_cost_line(advice, aw.chair, side="sideways", name="X", unit_cost="5", quantity="1")
    db.session.commit()
    assert [c.amount_cents for c in advice.cost_lines] == [1_000_000, 1_800_000, 185_186]  # 1851.855 -> 1851.86
    assert advice.total_current_cents == 2_800_000
    assert advice.total_breakthrough_cents == 185_186
    assert advice.net_effect_cents == 2_614_814
    assert advice.cost_lines[0].is_example


# --- issuing and locking ----------------------------------------------------------------------

def test_issue_locks_and_notifies(aw, drafted):
    advice = drafted()
    with pytest.raises(PermissionDenied):
        issue_advice(advice, aw.secretary)
    issue_advice(advice, aw.chair)
    db.session.commit()
    assert advice.status == AdviceStatus.ISSUED
    assert advice.issued_by_id == aw.chair.id and advice.issued_at is not None
    assert advice.content_hash == compute_hash(advice) and len(advice.content_hash) == 64
    assert advice.case.status == CaseStatus.ADVISED
    assert [n.kind for n in notes_for(aw.owner, "advice.issued")] == ["advice.issued"]
    for contact in (aw.contact, aw.contact1b, aw.contact2):
        assert [n.kind for n in notes_for(contact)] == ["advice.action_assigned"]
    assert notes_for(aw.other_team_contact) == []
    # Services refuse every edit…
    with pytest.raises(TransitionError):
        update_draft(advice, aw.chair, expected_version=advice.lock_version, advice_text="Changed")
    with pytest.raises(TransitionError):
        add_action(advice, aw.chair, organisation_id=aw.org.id, description="More",
                            deadline=date.today() + timedelta(days=3))
    with pytest.raises(TransitionError):
        remove_action(advice, aw.chair, advice.actions[0].id)
    with pytest.raises(TransitionError):
        issue_advice(advice, aw.chair)


def test_no_code_path_edits_an_issued_version(aw, issued):
    """The before_flush guard refuses direct changes that bypass the services."""
    advice = issued()
    add_legal_ground  # noqa: B018 - services are not the only path tested here
    edits = [
        lambda a: setattr(a, "advice_text", "Tampered"),
        lambda a: setattr(a, "content_hash", "0" * 64),
        lambda a: setattr(a.actions[0], "description", "Tampered"),
        lambda a: setattr(a.actions[0], "deadline", date.today() + timedelta(days=99)),
        lambda a: setattr(a.actions[0], "organisation_id", aw.org2.id),
        lambda a: a.actions.append(Action(organisation_id=aw.org.id, description="Extra", deadline=date.today())),
        lambda a: a.cost_lines.append(CostLine(side="current", name="X", unit_cost_cents=1, quantity_hundredths=100)),
        lambda a: a.actions.pop(),
        lambda a: db.session.delete(a),
    ]
    for i, edit in enumerate(edits):
        a = db.session.get(Advice, advice.id)
        edit(a)
        with pytest.raises(ImmutableAdviceError, match="issued advice"):
            db.session.flush()
        db.session.rollback()
    fresh = db.session.get(Advice, advice.id)
    assert fresh.advice_text == "Grant urgency now; settle the debt in parallel."
    assert verify_hash(fresh)
    # Follow-through fields may change.
    fresh.actions[0].reminded_at = fresh.issued_at
    db.session.flush()
    db.session.rollback()


def test_content_hash_is_stable_and_changes_with_content(aw, drafted):
    advice = drafted()
    first = compute_hash(advice)
    assert compute_hash(advice) == first
    db.session.expire_all()
    assert compute_hash(db.session.get(Advice, advice.id)) == first
    update_draft(advice, aw.chair, expected_version=advice.lock_version, advice_text="Something else")
    second = compute_hash(advice)
    assert second != first
    update_draft(advice, aw.chair, expected_version=advice.lock_version,
                          advice_text="Grant urgency now; settle the debt in parallel.")
    assert compute_hash(advice) == first
    add_cost_line(advice, aw.chair, side="current", name="Shelter", unit_cost="10", quantity="1")
    assert compute_hash(advice) != first
    advice.cost_lines[0].quantity_hundredths = 200
    assert compute_hash(advice) not in (first,)
    db.session.rollback()


def test_issue_requires_an_action_and_text(aw, drafted):
    advice = drafted(actions=[])
    with pytest.raises(ServiceError, match="at least one action"):
        issue_advice(advice, aw.chair)
    db.session.rollback()
    assert db.session.get(Advice, advice.id).status == AdviceStatus.DRAFT
    assert advice.case.status == CaseStatus.DISCUSSED


# --- corrections ------------------------------------------------------------------------------

def test_correction_makes_a_new_version_and_keeps_the_old(aw, issued):
    v1 = issued()
    old_hash = v1.content_hash
    with pytest.raises(ServiceError):
        correct_advice(v1, aw.chair, reason=" ")
    v2 = correct_advice(v1, aw.chair, reason="Wrong deadline for the housing corporation")
    db.session.commit()
    assert v2.version == 2 and v2.status == AdviceStatus.DRAFT and v2.supersedes_id == v1.id
    assert v1.status == AdviceStatus.ISSUED  # in force until the correction is issued
    housing = next(a for a in v2.actions if a.organisation_id == aw.org.id)
    housing_v1 = next(a for a in v1.actions if a.organisation_id == aw.org.id)
    ggz_v1 = next(a for a in v1.actions if a.organisation_id == aw.org2.id)
    confirm_action(ggz_v1, aw.contact2, expected_version=ggz_v1.version)  # follow-through goes on
    remove_action(v2, aw.chair, housing.id)
    add_action(v2, aw.chair, organisation_id=aw.org.id, description="Offer a home within two weeks.",
                        deadline=date.today() + timedelta(days=21))
    db.session.commit()
    before = {u.id: len(notes_for(u)) for u in (aw.contact, aw.contact2, aw.owner)}
    issue_advice(v2, aw.chair)
    db.session.commit()
    assert v1.status == AdviceStatus.SUPERSEDED and v1.superseded_at is not None
    assert v1.content_hash == old_hash and verify_hash(v1)
    assert [a.status for a in v1.actions if a.organisation_id == aw.org.id] == [ActionStatus.OPEN]
    assert v2.status == AdviceStatus.ISSUED and verify_hash(v2) and v2.content_hash != old_hash
    assert current_advice(v1.case).id == v2.id
    # The unchanged GGZ action keeps its confirmation; the case stays in execution.
    ggz_v2 = next(a for a in v2.actions if a.organisation_id == aw.org2.id)
    assert ggz_v2.status == ActionStatus.CONFIRMED and ggz_v2.previous_action_id == ggz_v1.id
    assert v2.case.status == CaseStatus.IN_EXECUTION
    # Only the organisation whose action changed hears of the correction.
    assert [n.kind for n in notes_for(aw.contact)][before[aw.contact.id]:] == ["advice.action_assigned", "advice.corrected"]
    assert len(notes_for(aw.contact2)) == before[aw.contact2.id]
    # Acting on the superseded version is refused.
    with pytest.raises(TransitionError):
        confirm_action(housing_v1, aw.contact, expected_version=housing_v1.version)


# --- follow-through ---------------------------------------------------------------------------

def test_only_contacts_of_the_organisation_act(aw, issued):
    advice = issued()
    housing = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    for outsider in (aw.contact2, aw.other_team_contact, aw.chair, aw.owner):
        with pytest.raises(PermissionDenied):
            confirm_action(housing, outsider, expected_version=housing.version)
    db.session.rollback()
    assert housing.status == ActionStatus.OPEN


def test_refuse_needs_a_reason_and_escalates_at_once(aw, issued):
    advice = issued()
    action = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    with pytest.raises(ServiceError, match="reason"):
        refuse_action(action, aw.contact, expected_version=action.version, reason="   ")
    db.session.rollback()
    assert action.status == ActionStatus.OPEN and action.escalated_at is None
    refuse_action(action, aw.contact, expected_version=action.version, reason="No homes available")
    db.session.commit()
    assert action.status == ActionStatus.REFUSED and action.refused_reason == "No homes available"
    assert action.escalated_at is not None and action.escalation_kind == EscalationKind.REFUSED
    chair_notes = notes_for(aw.chair, "advice.action_refused")
    assert len(chair_notes) == 1 and chair_notes[0].email_status == EmailStatus.PENDING
    assert notes_for(aw.other_chair) == []
    items = back_on_table(aw.team)
    assert [a.id for a in items.escalated] == [action.id]
    assert back_on_table(aw.other_team).escalated.items == []


def test_stale_version_is_refused_with_the_current_state(aw, issued):
    advice = issued()
    action = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    seen = action.version
    confirm_action(action, aw.contact, expected_version=seen)
    db.session.commit()
    with pytest.raises(StaleAction, match="Contact"):
        refuse_action(action, aw.contact1b, expected_version=seen, reason="Cannot")
    db.session.rollback()
    assert action.status == ActionStatus.CONFIRMED and action.confirmed_by_id == aw.contact.id


def test_concurrent_confirm_in_two_sessions_loses_nothing(app, aw, issued):
    """Both sessions load version 1 and pass the check; the second flush finds the row changed."""
    advice = issued()
    action_id = next(a.id for a in advice.actions if a.organisation_id == aw.org.id)
    contact_id = aw.contact.id
    db.session.remove()
    from sqlalchemy.orm import Session

    s1, s2 = Session(db.engine), Session(db.engine)
    a1, a2 = s1.get(Action, action_id), s2.get(Action, action_id)
    loaded = a1.version
    assert a2.version == loaded
    a1.status, a1.confirmed_by_id = ActionStatus.CONFIRMED, contact_id
    s1.commit()
    a2.status, a2.refused_reason = ActionStatus.REFUSED, "Other contact"
    from sqlalchemy.orm.exc import StaleDataError
    with pytest.raises(StaleDataError):
        s2.flush()
    s2.rollback()
    s1.close(), s2.close()
    fresh = db.session.get(Action, action_id)
    assert fresh.status == ActionStatus.CONFIRMED and fresh.confirmed_by_id == contact_id and fresh.version == loaded + 1


def test_case_follows_the_actions(aw, issued):
    advice = issued()
    case = advice.case
    housing, ggz = (next(a for a in advice.actions if a.organisation_id == o.id) for o in (aw.org, aw.org2))
    confirm_action(housing, aw.contact, expected_version=housing.version)
    db.session.commit()
    assert case.status == CaseStatus.IN_EXECUTION
    confirm_action(ggz, aw.contact2, expected_version=ggz.version)
    complete_action(housing, aw.contact1b, expected_version=housing.version, note="Home offered",
                             done_on=date.today())
    db.session.commit()
    assert case.status == CaseStatus.IN_EXECUTION
    with pytest.raises(ServiceError):
        complete_action(ggz, aw.contact2, expected_version=ggz.version, note="", done_on=date.today())
    with pytest.raises(ServiceError):
        complete_action(ggz, aw.contact2, expected_version=ggz.version, note="x",
                                 done_on=date.today() + timedelta(days=1))
    db.session.rollback()
    complete_action(ggz, aw.contact2, expected_version=ggz.version, note="Treatment started",
                             done_on=date.today())
    db.session.commit()
    assert case.status == CaseStatus.COMPLETED
    assert [n.kind for n in notes_for(aw.owner, "advice.case_completed")] == ["advice.case_completed"]
    transitions = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "case", AuditEvent.object_id == case.id).order_by(AuditEvent.id)).all()
    assert transitions[-3:] == ["case.advise", "case.start_execution", "case.complete"]
    # Closing: owner only, outcome and note required; evaluation due three months later.
    with pytest.raises(PermissionDenied):
        close_case(case, aw.chair, outcome="reached", note="ok")
    with pytest.raises(ServiceError):
        close_case(case, aw.owner, outcome="reached", note=" ")
    with pytest.raises(ServiceError):
        close_case(case, aw.owner, outcome="maybe", note="ok")
    db.session.rollback()
    closure = close_case(case, aw.owner, outcome="partly", note="Home yes, debt not yet")
    db.session.commit()
    assert case.status == CaseStatus.CLOSED
    assert closure.evaluation_due_on == add_months(team_today(aw.team, closure.closed_at), 3)
    record_evaluation(case, aw.owner, result="held", note="Still in the home")
    db.session.commit()
    with pytest.raises(TransitionError):
        record_evaluation(case, aw.owner, result="not", note="again")


def test_refused_action_blocks_completion_until_the_team_decides(aw, issued):
    advice = issued()
    housing, ggz = (next(a for a in advice.actions if a.organisation_id == o.id) for o in (aw.org, aw.org2))
    refuse_action(housing, aw.contact, expected_version=housing.version, reason="No homes")
    complete_action(ggz, aw.contact2, expected_version=ggz.version, note="Done", done_on=date.today())
    db.session.commit()
    assert advice.case.status == CaseStatus.IN_EXECUTION
    with pytest.raises(PermissionDenied):
        record_team_decision(housing, aw.expert, decision="drop", note="x")
    with pytest.raises(ServiceError):
        record_team_decision(housing, aw.chair, decision="drop", note=" ")
    with pytest.raises(ServiceError):
        record_team_decision(housing, aw.chair, decision="extend", note="Try again", new_deadline=date.today())
    db.session.rollback()
    new_deadline = date.today() + timedelta(days=10)
    record_team_decision(housing, aw.chair, decision="extend", note="Urgency granted; try again",
                                  new_deadline=new_deadline)
    db.session.commit()
    assert housing.status == ActionStatus.OPEN and housing.effective_deadline == new_deadline
    assert housing.deadline != new_deadline and verify_hash(advice)  # the advice itself is untouched
    assert housing.escalated_at is None and housing.team_decision_note == "Urgency granted; try again"
    assert back_on_table(aw.team).escalated.items == []
    refuse_action(housing, aw.contact, expected_version=housing.version, reason="Still no homes")
    record_team_decision(housing, aw.secretary, decision="drop", note="Other route found")
    db.session.commit()
    assert housing.status == ActionStatus.DROPPED
    assert advice.case.status == CaseStatus.COMPLETED


def test_back_on_table_lists_due_evaluations_once(aw, issued):
    advice = issued()
    for a in advice.actions:
        contact = aw.contact if a.organisation_id == aw.org.id else aw.contact2
        complete_action(a, contact, expected_version=a.version, note="done", done_on=date.today())
    closure = close_case(advice.case, aw.owner, outcome="reached", note="Fine")
    db.session.commit()
    assert back_on_table(aw.team).evaluations.items == []
    closure.evaluation_due_on = date.today() - timedelta(days=1)
    db.session.commit()
    assert [c.id for c in back_on_table(aw.team).evaluations] == [closure.id]
    record_evaluation_review(closure, aw.chair, note="Holding; nothing to do")
    db.session.commit()
    assert back_on_table(aw.team).evaluations.items == []
    assert db.session.scalar(sa.select(sa.func.count(CaseClosure.id))) == 1


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 1, 15), 3) == date(2026, 4, 15)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_a_case_is_not_closed_while_a_correction_of_its_advice_is_drafted(aw, issued):
    """Found by the state-machine test: completing every action while a correction draft was
    open let the owner close the case with the draft left behind."""
    from advice import permissions

    advice = issued()
    case = advice.case
    correction = correct_advice(advice, aw.chair, reason="Deadline was wrong.")
    for action, contact in zip(advice.actions, (aw.contact, aw.contact2)):
        complete_action(action, contact, expected_version=action.version, note="Done", done_on=date.today())
    db.session.commit()
    assert case.status == CaseStatus.COMPLETED
    assert not permissions.can_close(aw.owner, case)
    with pytest.raises(TransitionError):
        close_case(case, aw.owner, outcome="reached", note="ok")
    assert case.status == CaseStatus.COMPLETED
    db.session.rollback()
    discard_draft(correction, aw.chair)
    db.session.commit()
    assert permissions.can_close(aw.owner, case)
    close_case(case, aw.owner, outcome="reached", note="ok")
    assert case.status == CaseStatus.CLOSED
