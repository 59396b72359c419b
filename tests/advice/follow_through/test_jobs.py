"""The follow-through jobs: each does its work once; a second run changes nothing and notifies
nobody."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from advice.closure import jobs as closure_jobs
from advice.closure.models import CaseClosure
from advice.closure.services import close_case
from advice.follow_through import jobs
from advice.follow_through.services import complete_action, confirm_action, back_on_table
from advice.models import (
    Action,
    ActionStatus,
    EscalationKind,
)
from advice.settings import AdviceSettings
from core.audit import AuditEvent
from core.db import db
from core.jobs import registered
from notifications.models import Notification


def snapshot():
    db.session.expire_all()
    actions = db.session.execute(sa.select(Action.id, Action.status, Action.reminded_at, Action.overdue_notified_at,
                                           Action.escalated_at, Action.escalation_kind, Action.version)
                                 .order_by(Action.id)).all()
    closures = db.session.execute(sa.select(CaseClosure.id, CaseClosure.evaluation_asked_at)).all()
    counts = (db.session.scalar(sa.select(sa.func.count(Notification.id))),
              db.session.scalar(sa.select(sa.func.count(AuditEvent.id))))
    return actions, closures, counts


def noon(day: date) -> datetime:
    return datetime.combine(day, time(11, 0), tzinfo=timezone.utc)


def kinds(user):
    return db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)
                              .where(Notification.kind.in_(["advice.action_due_soon", "advice.action_overdue"]))).all()


@pytest.fixture
def two_actions(aw, issued):
    advice = issued()
    housing, ggz = (next(a for a in advice.actions if a.organisation_id == o.id) for o in (aw.org, aw.org2))
    return advice, housing, ggz


def test_jobs_are_registered(app):
    for name in ("remind_due_soon", "mark_overdue", "escalate_overdue"):
        assert registered(app)[f"advice.{name}"].func is getattr(jobs, name)
    assert registered(app)["advice.ask_followup"].func is closure_jobs.ask_evaluation


def test_remind_due_soon_once(aw, two_actions):
    advice, housing, ggz = two_actions
    deadline = housing.deadline
    assert jobs.remind_due_soon(noon(deadline - timedelta(days=4))) == "0 actions reminded"
    before = snapshot()
    assert jobs.remind_due_soon(noon(deadline - timedelta(days=3))) == "2 actions reminded"
    after = snapshot()
    assert after != before
    assert kinds(aw.contact) == ["advice.action_due_soon"] and kinds(aw.contact2) == ["advice.action_due_soon"]
    assert jobs.remind_due_soon(noon(deadline - timedelta(days=2))) == "0 actions reminded"
    assert snapshot() == after


def test_done_actions_are_not_reminded_and_settings_per_team(aw, two_actions):
    advice, housing, ggz = two_actions
    complete_action(ggz, aw.contact2, expected_version=ggz.version, note="done", done_on=date.today())
    db.session.add(AdviceSettings(team_id=aw.team.id, reminder_days=10, grace_days=2))
    db.session.commit()
    assert jobs.remind_due_soon(noon(housing.deadline - timedelta(days=10))) == "1 actions reminded"
    assert kinds(aw.contact2) == []


def test_overdue_and_escalation_once_each(aw, two_actions):
    advice, housing, ggz = two_actions
    confirm_action(ggz, aw.contact2, expected_version=ggz.version)
    complete_action(ggz, aw.contact2, expected_version=ggz.version, note="done", done_on=date.today())
    db.session.commit()
    deadline = housing.deadline
    on_deadline = noon(deadline)
    assert jobs.mark_overdue(on_deadline) == "0 actions marked overdue"
    day_after = noon(deadline + timedelta(days=1))
    assert jobs.mark_overdue(day_after) == "1 actions marked overdue"
    first = snapshot()
    assert jobs.mark_overdue(day_after + timedelta(hours=1)) == "0 actions marked overdue"
    assert snapshot() == first
    assert kinds(aw.contact) == ["advice.action_overdue"] and kinds(aw.contact1b) == ["advice.action_overdue"]
    assert kinds(aw.contact2) == []

    # Escalation after the grace period (default 7 days past the deadline).
    assert jobs.escalate_overdue(noon(deadline + timedelta(days=7))) == "0 overdue actions escalated"
    later = noon(deadline + timedelta(days=8))
    assert jobs.escalate_overdue(later) == "1 overdue actions escalated"
    second = snapshot()
    assert jobs.escalate_overdue(later + timedelta(days=1)) == "0 overdue actions escalated"
    assert snapshot() == second
    db.session.refresh(housing)
    assert housing.escalated_at == later and housing.escalation_kind == EscalationKind.OVERDUE
    assert housing.status == ActionStatus.OPEN
    chair = db.session.scalars(sa.select(Notification).where(Notification.user_id == aw.chair.id,
                                                             Notification.kind == "advice.action_escalated")).all()
    assert len(chair) == 1
    assert [a.id for a in back_on_table(aw.team).escalated] == [housing.id]


def test_evaluation_asked_once(aw, two_actions):
    advice, housing, ggz = two_actions
    for a, c in ((housing, aw.contact), (ggz, aw.contact2)):
        complete_action(a, c, expected_version=a.version, note="done", done_on=date.today())
    closure = close_case(advice.case, aw.owner, outcome="reached", note="ok")
    db.session.commit()
    due = closure.evaluation_due_on
    assert closure_jobs.ask_evaluation(noon(due - timedelta(days=1))) == "0 three-month evaluations asked"
    assert closure_jobs.ask_evaluation(noon(due)) == "1 three-month evaluations asked"
    first = snapshot()
    assert closure_jobs.ask_evaluation(noon(due + timedelta(days=1))) == "0 three-month evaluations asked"
    assert snapshot() == first
    assert db.session.scalars(sa.select(Notification.kind).where(
        Notification.user_id == aw.owner.id, Notification.kind == "advice.followup_due")).all() == ["advice.followup_due"]
