"""One plan, one coordinator (issue 17 part 2): the plan is part of the issued content and hash,
the coordinator's progress notes (audited by id, cleared by retention), the three-month
evaluation per goal."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from advice.closure.services import close_case, record_evaluation
from advice.drafting.issuing import canonical_content, compute_hash, correct_advice, issue_advice, verify_hash
from advice.follow_through.services import complete_action
from advice.guard import ImmutableAdviceError
from advice.plan import services as plan
from core.audit import AuditEvent
from core.db import db
from core.errors import PermissionDenied, ServiceError
from tests.conftest import login, post_form

GOALS = "Een eigen huis voor ons drieën\nDe huurschuld in een regeling"


def test_the_plan_is_part_of_the_issued_content_and_its_hash(aw, drafted, client):
    advice = drafted()
    assert "plan" not in canonical_content(advice)  # older advice: the hash is unchanged without a plan
    login(client, aw.secretary)
    page = client.get(f"/advice/cases/{advice.case_id}/edit").get_data(as_text=True)
    assert 'name="coordinator"' in page and "Owner One" in page
    form = {"lock_version": str(advice.lock_version), "situation": advice.situation, "blockage": advice.blockage,
            "advice_text": advice.advice_text, "legal_free_text": advice.legal_free_text,
            "coordinator": str(aw.expert.id), "year_goals": GOALS, "progress_check": "Elke maand met het gezin.",
            "save": "1"}
    response = post_form(client, f"/advice/cases/{advice.case_id}/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    current = plan.plan_of(advice)
    assert current.coordinator_id == aw.expert.id and current.goals == GOALS.splitlines()
    issue_advice(advice, aw.chair)
    db.session.commit()
    assert canonical_content(advice)["plan"] == {"coordinator_id": aw.expert.id, "year_goals": GOALS,
                                                 "progress_check": "Elke maand met het gezin."}
    assert verify_hash(advice)
    current.year_goals = "Iets anders"  # a changed plan no longer matches the stored hash
    with db.session.no_autoflush:
        assert compute_hash(advice) != advice.content_hash
    with pytest.raises(ImmutableAdviceError):  # and no code path stores it
        db.session.flush()
    db.session.rollback()
    shown = client.get(f"/advice/{advice.id}").get_data(as_text=True)
    assert "Expert Housing" in shown and "De huurschuld in een regeling" in shown
    assert "De huurschuld in een regeling" in client.get(f"/advice/{advice.id}/print").get_data(as_text=True)
    with pytest.raises(ServiceError):
        plan.save_plan(advice, aw.chair, coordinator_id=None, year_goals="x", progress_check="")
    db.session.rollback()
    correction = correct_advice(advice, aw.chair, reason="Typo")
    assert plan.plan_of(correction).year_goals == GOALS  # the plan goes along with a correction


def test_the_coordinator_must_be_a_professional_of_the_team(aw, drafted):
    advice = drafted()
    with pytest.raises(ServiceError):
        plan.save_plan(advice, aw.secretary, coordinator_id=aw.contact.id, year_goals="", progress_check="")
    assert plan.save_plan(advice, aw.secretary, coordinator_id=None, year_goals="", progress_check="").coordinator_id \
        == advice.case.owner_id  # by default the case owner


def test_coordinator_notes_are_audited_by_id_and_cleared_by_retention(aw, drafted, client):
    advice = drafted()
    plan.save_plan(advice, aw.secretary, coordinator_id=aw.expert.id, year_goals=GOALS, progress_check="")
    issue_advice(advice, aw.chair)
    db.session.commit()
    case = advice.case
    with pytest.raises(PermissionDenied):
        plan.add_note(case, aw.contact, "Not mine to write")
    login(client, aw.expert)
    response = post_form(client, f"/plan/cases/{case.id}/notes", {"text": "Woonstichting biedt woning aan; SECRET-NOTE"})
    assert response.status_code == 302
    [note] = plan.notes_of(case)
    assert note.author_id == aw.expert.id
    rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "advice.plan_note")).all()
    assert [r.details for r in rows] == [{"note_id": note.id}]
    assert "SECRET-NOTE" in client.get(f"/plan/cases/{case.id}/notes").get_data(as_text=True)
    login(client, aw.contact)
    assert client.post(f"/plan/cases/{case.id}/notes", data={"text": "x"}).status_code in (400, 403, 404)
    assert plan.anonymise_plan([case.id]) == ["plan", "plan_note"]
    db.session.commit()
    db.session.refresh(note)
    assert note.text == "" and plan.plan_of(advice).year_goals == ""
    assert plan.anonymise_plan([case.id]) == []  # twice changes nothing


def test_the_evaluation_asks_per_goal(aw, drafted):
    advice = drafted(actions=[(aw.org, "Offer a home.")])
    plan.save_plan(advice, aw.secretary, coordinator_id=None, year_goals=GOALS, progress_check="")
    issue_advice(advice, aw.chair)
    db.session.commit()
    [action] = advice.actions
    complete_action(action, aw.contact, expected_version=action.version, note="Done", done_on=date.today())
    case = advice.case
    close_case(case, aw.owner, outcome="reached", note="Home")
    db.session.commit()
    with pytest.raises(ServiceError):
        record_evaluation(case, aw.owner, result="held", note="Fine", goal_answers={0: (True, True)})
    db.session.rollback()
    assert plan.goal_reviews(case) == []
    record_evaluation(case, aw.owner, result="partly", note="Fine", goal_answers={0: (True, True), 1: (False, True)})
    db.session.commit()
    assert [(r.goal, r.reached, r.holds) for r in plan.goal_reviews(case)] == [
        ("Een eigen huis voor ons drieën", True, True), ("De huurschuld in een regeling", False, True)]
