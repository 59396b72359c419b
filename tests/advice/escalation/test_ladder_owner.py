"""One owner of an action's escalation (``advice.escalation.ladder``): the level is the action's
column and follows every move in the same transaction (refusal, the overdue job, climbing by the
job and by hand, the team's decision, done, a correction, the ladder closing), the history holds
the entry into level 1, a move of the ladder alone leaves the action's lock version alone, the
database refuses a level off the ladder, and the refusal reason lives on the action only."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from advice.drafting.issuing import correct_advice, issue_advice
from advice.escalation import services as escalation
from advice.escalation.jobs import climb
from advice.escalation.models import Escalation, Level
from advice.follow_through import jobs as follow_through_jobs
from advice.follow_through.services import complete_action, record_team_decision, refuse_action
from advice.lifecycle import current_advice
from advice.models import Action, EscalationKind
from casefiles.models import CaseMessage
from core.audit import AuditEvent
from core.clock import utcnow
from core.db import db
from tests.casefiles.blockage.conftest import _english_pages  # noqa: F401  (the pages in English)

REASON = "No home free this year."


def _steps(action: Action) -> list[tuple]:
    return [(s.from_level, s.to_level, s.by_id, s.escalation_id is not None) for s in escalation.history(action)]


def _level(action_id: int) -> int:
    return db.session.scalar(sa.select(Action.ladder_level).where(Action.id == action_id))


@pytest.fixture
def housing(aw, issued):
    advice = issued()
    return next(a for a in advice.actions if a.organisation_id == aw.org.id)


def test_a_refusal_enters_level_1_with_its_step_and_keeps_the_reason_on_the_action_alone(aw, housing):
    refuse_action(housing, aw.contact, expected_version=housing.version, reason=REASON)
    db.session.commit()
    assert housing.ladder_level == Level.TEAM and housing.escalation_kind == EscalationKind.REFUSED
    assert _steps(housing) == [(0, 1, aw.contact.id, False)]  # the entry, by the contact who refused
    assert housing.refused_reason == REASON
    case_id = housing.advice.case_id
    texts = db.session.scalars(sa.select(CaseMessage.text).where(CaseMessage.case_id == case_id)).all()
    assert REASON not in texts  # no copy in the case's messages
    refusal = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "action.refuse",
                                                            AuditEvent.object_id == housing.id))
    assert "message_id" not in refusal.details


def test_the_overdue_job_enters_level_1_with_a_step_and_leaves_the_lock_version(aw, housing):
    version, deadline = housing.version, housing.deadline
    later = datetime.combine(deadline + timedelta(days=8), time(12), tzinfo=UTC)
    assert follow_through_jobs.escalate_overdue(later) == "2 overdue actions escalated"  # both actions
    db.session.expire_all()
    assert housing.ladder_level == Level.TEAM and housing.version == version
    assert _steps(housing) == [(0, 1, None, False)]
    assert follow_through_jobs.escalate_overdue(later + timedelta(days=1)) == "0 overdue actions escalated"
    assert _steps(housing) == [(0, 1, None, False)]


def test_the_level_follows_every_move_and_the_history_keeps_them(aw, housing, login_as, client):
    refuse_action(housing, aw.contact, expected_version=housing.version, reason=REASON)
    db.session.commit()
    version = housing.version
    night = housing.escalated_at + timedelta(days=15)
    climb(night)  # the team's 14 days passed: the director
    esc = db.session.scalar(sa.select(Escalation))
    assert _level(housing.id) == esc.level == Level.DIRECTOR and housing.version == version
    escalation.climb_by_hand(housing, aw.chair, now=night + timedelta(hours=3))
    db.session.commit()
    assert _level(housing.id) == Level.STEERING and housing.version == version  # the contact's form still holds
    record_team_decision(housing, aw.chair, decision="extend", note="Try again.",
                         new_deadline=date.today() + timedelta(days=30))
    db.session.commit()
    assert housing.escalated_at is None and _level(housing.id) == Level.STEERING  # the ladder stays
    assert _steps(housing) == [(0, 1, aw.contact.id, False), (1, 2, None, True), (2, 3, aw.chair.id, True)]
    login_as(aw.chair)
    page = client.get(f"/escalation/actions/{housing.id}").get_data(as_text=True)
    assert "the organisation (refused)" in page and "the scheduler (deadline passed)" in page
    complete_action(housing, aw.contact, expected_version=housing.version, note="Housed.", done_on=date.today())
    db.session.commit()
    assert _level(housing.id) == Level.CONTACT  # done: with the contact at once; the job closes the ladder
    assert climb(utcnow() + timedelta(days=1)).startswith("0 escalations moved up, 1 closed")
    assert _level(housing.id) == Level.CONTACT


def test_a_correction_carries_the_escalation_to_the_team_over(aw, housing):
    refuse_action(housing, aw.contact, expected_version=housing.version, reason=REASON)
    db.session.commit()
    climb(housing.escalated_at + timedelta(days=15))
    assert _level(housing.id) == Level.DIRECTOR
    advice = housing.advice
    issue_advice(correct_advice(advice, aw.chair, reason="A typo."), aw.chair)
    db.session.commit()
    new = next(a for a in current_advice(advice.case).actions if a.previous_action_id == housing.id)
    assert new.ladder_level == Level.TEAM and new.escalated_at == housing.escalated_at
    assert _steps(new) == [(0, 1, aw.contact.id, False)]
    # The old version's ladder closes with the night job; its action falls back as the rule says.
    assert climb(utcnow()).startswith("0 escalations moved up, 1 closed")
    assert _level(housing.id) == Level.TEAM


def test_the_database_refuses_a_level_off_the_ladder(housing):
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Action).where(Action.id == housing.id).values(ladder_level=5))
        db.session.flush()
    db.session.rollback()
