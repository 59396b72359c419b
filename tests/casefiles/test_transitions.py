"""Every (from, to) pair of the case state machine, and every named transition: allowed and refused."""
import itertools

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from casefiles import privacy, services
from casefiles.models import CaseStatus, InclusionCriterion
from casefiles.services import TRANSITIONS, TransitionError
from core.audit import AuditEvent
from core.db import db
from core.errors import PermissionDenied, ServiceError
from notifications.models import Notification


@pytest.mark.parametrize("source,target", list(itertools.product(CaseStatus, CaseStatus)))
def test_every_pair_of_the_table(world, create_case, source, target):
    case = create_case("draft")
    case.status = source  # put the case in the source state directly
    db.session.flush()
    if (source, target) in TRANSITIONS:
        services.transition(case, target, world.chair)
        assert case.status == target
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.object_id == case.id).order_by(AuditEvent.id.desc())
        ).first()
        assert event.action == f"case.{TRANSITIONS[(source, target)]}"
        assert event.details["from"] == source.value and event.details["to"] == target.value
    else:
        with pytest.raises(TransitionError):
            services.transition(case, target, world.chair)
        assert case.status == source


def test_withdraw_is_allowed_from_every_state_before_advice_only():
    before_advice = {s for s, t in TRANSITIONS if t == CaseStatus.WITHDRAWN}
    assert before_advice == {
        CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.RETURNED,
        CaseStatus.ACCEPTED, CaseStatus.SCHEDULED, CaseStatus.DISCUSSED,
    }


def _notifications(user):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)).all()


def test_submit_accept_flow_writes_audit_and_notifies(world, create_case):
    case = create_case("draft")
    services.submit_case(case, world.owner)
    db.session.commit()
    assert case.status == CaseStatus.SUBMITTED and case.submitted_at is not None
    assert {n.kind for n in _notifications(world.chair)} == {"case.submitted"}
    assert {n.kind for n in _notifications(world.secretary)} == {"case.submitted"}
    assert _notifications(world.expert) == []  # experts see a case only once it is accepted

    services.accept_case(case, world.secretary)
    db.session.commit()
    assert case.status == CaseStatus.ACCEPTED and case.queued_at is not None
    assert [n.kind for n in _notifications(world.owner)] == ["case.accepted"]
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_type == "case", AuditEvent.object_id == case.id).order_by(AuditEvent.id)
    ).all()
    assert actions == ["case.create", "case.submit", "case.accept"]


def test_notification_context_carries_no_household_details(world, create_case):
    case = create_case("submitted", household_pseudonym="Gezin Geheim")
    for n in _notifications(world.chair):
        assert "Geheim" not in repr(n.context) and n.context == {"reference": case.reference}


def test_submit_requires_every_field_and_consent(world, create_case):
    case = create_case("draft", consent_date=None, question="")
    with force_locale("en"), pytest.raises(ServiceError) as err:
        services.submit_case(case, world.owner)
    assert "Date of consent" in err.value.message and "Question to the expert team" in err.value.message
    with force_locale("nl"), pytest.raises(ServiceError) as err:
        services.submit_case(case, world.owner)
    assert "Datum toestemming" in err.value.message
    assert case.status == CaseStatus.DRAFT


def test_submit_requires_a_domain(world, create_case):
    case = create_case("draft", domains=[])
    with pytest.raises(ServiceError):
        services.submit_case(case, world.owner)


def test_only_the_owner_submits(world, create_case):
    case = create_case("draft")
    for user in (world.owner2, world.chair, world.admin, world.other_owner):
        with pytest.raises(PermissionDenied):
            services.submit_case(case, user)


def test_return_and_resubmit(world, create_case):
    case = create_case("returned")
    assert case.status == CaseStatus.RETURNED
    first_submitted = case.submitted_at
    services.update_case(case, world.owner, tried="Also tried: budget coaching.")
    services.submit_case(case, world.owner)
    db.session.commit()
    assert case.status == CaseStatus.SUBMITTED
    assert case.submitted_at == first_submitted  # first submission counts for lead times
    assert [n.kind for n in _notifications(world.owner)] == ["case.returned"]


def test_return_and_decline_need_a_message(world, create_case):
    case = create_case("submitted")
    with pytest.raises(ServiceError):
        services.return_case(case, world.chair, message="  ")
    with pytest.raises(ServiceError):
        services.decline_case(case, world.chair, reason="")
    assert case.status == CaseStatus.SUBMITTED


def test_intake_only_by_lead_of_the_same_team(world, create_case):
    case = create_case("submitted")
    for user in (world.owner, world.expert, world.contact, world.admin, world.other_chair):
        with pytest.raises(PermissionDenied):
            services.accept_case(case, user)
        with pytest.raises(PermissionDenied):
            services.decline_case(case, user, reason="no")
        with pytest.raises(PermissionDenied):
            services.return_case(case, user, message="no")


def test_accept_needs_every_inclusion_criterion(world, create_case):
    lead = world.chair
    c1 = services.add_criterion(world.team, "Regular help has been tried", lead)
    c2 = services.add_criterion(world.team, "Problems in several domains", lead)
    db.session.commit()
    case = create_case("submitted")
    with pytest.raises(ServiceError):
        services.accept_case(case, lead, criteria_met=[c1.id])
    with pytest.raises(ServiceError):  # a criterion of another team (tampered id)
        services.accept_case(case, lead, criteria_met=[c1.id, c2.id, 99999])
    assert case.status == CaseStatus.SUBMITTED
    services.accept_case(case, lead, criteria_met=[c1.id, c2.id])
    assert case.status == CaseStatus.ACCEPTED


def test_removed_criterion_no_longer_required(world, create_case):
    c1 = services.add_criterion(world.team, "Regular help has been tried", world.chair)
    services.remove_criterion(world.team, c1.id, world.chair)
    db.session.commit()
    assert db.session.get(InclusionCriterion, c1.id).active is False
    case = create_case("submitted")
    services.accept_case(case, world.chair, criteria_met=[])
    assert case.status == CaseStatus.ACCEPTED


def test_withdraw_by_owner_before_advice_and_refused_after(world, create_case):
    case = create_case("accepted")
    with pytest.raises(ServiceError):
        services.withdraw_case(case, world.owner, reason="")
    services.withdraw_case(case, world.owner, reason="Family moved to another town.")
    assert case.status == CaseStatus.WITHDRAWN and case.queued_at is None

    advised = create_case("draft")
    advised.status = CaseStatus.ADVISED
    with pytest.raises(TransitionError):
        services.withdraw_case(advised, world.owner, reason="too late")
    assert advised.status == CaseStatus.ADVISED


def test_other_owner_cannot_withdraw_or_edit(world, create_case):
    case = create_case("draft")
    with pytest.raises(PermissionDenied):
        services.withdraw_case(case, world.owner2, reason="x")
    with pytest.raises(PermissionDenied):
        services.update_case(case, world.owner2, tried="x")


def test_edit_only_in_draft_or_returned(world, create_case):
    case = create_case("submitted")
    with pytest.raises(PermissionDenied):
        services.update_case(case, world.owner, tried="late change")


def test_references_are_unique_per_team_and_year(world, create_case):
    a = create_case("draft")
    b = create_case("draft")
    c = create_case("draft", owner=world.other_owner, team=world.other_team)
    assert a.reference.startswith("GOO-") and a.reference.endswith("-0001")
    assert b.reference.endswith("-0002")
    assert c.reference.startswith("ELD-") and c.reference.endswith("-0001")


def test_reference_number_restarts_each_year(world):
    from datetime import datetime, timezone

    case_2026 = services.create_case(world.team, world.owner, household_pseudonym="A",
                                     now=datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc))
    # 31 Dec 23:30 UTC is already 1 January in Amsterdam.
    case_2027 = services.create_case(world.team, world.owner, household_pseudonym="B",
                                     now=datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc))
    assert case_2026.reference.endswith("2026-0001")
    assert case_2027.reference.endswith("2027-0001")


def test_free_text_of_a_step_is_kept_with_the_case_not_in_the_audit_trail(world, create_case):
    from casefiles.models import CaseMessage

    case = create_case("submitted")
    services.return_case(case, world.chair, message="Wat heeft de huisarts gezegd over Gezin Test?")
    db.session.commit()
    row = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.return")).one()
    assert "huisarts" not in repr(row.details)
    message = db.session.get(CaseMessage, row.details["message_id"])
    assert message.kind == "return" and "huisarts" in message.text
    assert [text for _e, text in services.timeline(case) if text] == [message.text]

    # Retention can clear it; the audit row (append-only) never held it.
    assert privacy.anonymise_messages([case.id]) == ["messages"]
    db.session.commit()
    assert [text for _e, text in services.timeline(case) if text] == []
    assert privacy.anonymise_messages([case.id]) == []  # safe to run twice
