"""The agenda: proposed from the queue at cut-off, edited, published with notifications."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from casefiles import services as case_services
from casefiles.models import CaseStatus
from core.clock import team_zone, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from meeting import jobs
from meeting.agenda import (
    add_item,
    move_item,
    propose_agenda,
    publish_agenda,
    remove_item,
    set_item,
)
from meeting.models import AgendaItem, Meeting, MeetingStatus
from meeting.session import end_session
from notifications.models import Notification

UTC = timezone.utc


def _notified(kind: str) -> dict[int, list[Notification]]:
    rows = db.session.scalars(sa.select(Notification).where(Notification.kind == kind)).all()
    out: dict[int, list[Notification]] = {}
    for n in rows:
        out.setdefault(n.user_id, []).append(n)
    return out


def test_proposal_orders_by_urgency_then_waiting_time_up_to_capacity(world, make_meeting, queued):
    normal_old = queued("normal", days=40)
    high_new = queued("high", days=1)
    crisis = queued("crisis", days=0.5)
    high_old = queued("high", days=9)
    queued("normal", days=3)  # does not fit: capacity 4
    other_team = queued("crisis", days=50, owner=world.other_owner, team=world.other_team)
    meeting = make_meeting()
    items = propose_agenda(meeting, utcnow())
    db.session.commit()
    assert [i.case_id for i in meeting.items] == [crisis.id, high_old.id, high_new.id, normal_old.id]
    assert len(items) == world.team.capacity == 4
    assert other_team.id not in [i.case_id for i in meeting.items]
    # Slots from the meeting start with the default duration (3 hours / 4 = 45 minutes).
    assert [i.starts_at - meeting.starts_at for i in meeting.items] == [timedelta(minutes=m) for m in (0, 45, 90, 135)]
    assert [i.position for i in meeting.items] == [1, 2, 3, 4]
    # Proposing is not publishing: the cases are still in the queue.
    assert {i.case.status for i in meeting.items} == {CaseStatus.ACCEPTED}


def test_cases_on_another_agenda_are_not_proposed_again(world, make_meeting, queued):
    a, b = queued("normal", 5), queued("normal", 4)
    first = make_meeting()
    second = make_meeting(starts_at=first.starts_at + timedelta(days=7))
    propose_agenda(first, utcnow())
    propose_agenda(second, utcnow())
    db.session.commit()
    assert [i.case_id for i in first.items] == [a.id, b.id]
    assert second.items == []


def test_cutoff_job_proposes_once(world, make_meeting, queued):
    case = queued("high", 2)
    start = utcnow() + timedelta(days=3)
    meeting = make_meeting(starts_at=start)
    meeting.cutoff_at = start - timedelta(days=1)
    db.session.commit()
    assert jobs.propose_agendas(start - timedelta(days=2)).startswith("0 agendas")  # before the cut-off
    assert jobs.propose_agendas(start - timedelta(hours=20)) == "1 agendas proposed with 1 cases"
    later = queued("crisis", 1)
    assert jobs.propose_agendas(start - timedelta(hours=19)).startswith("0 agendas")  # run again: nothing
    db.session.expire_all()
    assert [i.case_id for i in db.session.get(Meeting, meeting.id).items] == [case.id]
    assert later.status == CaseStatus.ACCEPTED


def test_lead_edits_the_agenda_and_the_slots_follow(world, make_meeting, queued):
    a, b, c = queued("normal", 5), queued("normal", 4), queued("normal", 3)
    meeting = make_meeting()
    propose_agenda(meeting, utcnow(), world.chair)
    first, second, third = meeting.items
    move_item(third, world.chair, by=-1)
    assert [i.case_id for i in sorted(meeting.items, key=lambda i: i.position)] == [a.id, c.id, b.id]
    set_item(first, world.secretary, duration=20)
    assert third.starts_at == meeting.starts_at + timedelta(minutes=20)
    assert second.starts_at == meeting.starts_at + timedelta(minutes=65)
    remove_item(first, world.chair)
    db.session.commit()
    assert [(i.position, i.case_id) for i in meeting.items] == [(1, c.id), (2, b.id)]
    assert meeting.items[0].starts_at == meeting.starts_at
    assert a.status == CaseStatus.ACCEPTED
    d = queued("crisis", 0)
    item = add_item(meeting, d, world.chair, duration=30)
    db.session.commit()
    assert item.position == 3 and item.starts_at == meeting.starts_at + timedelta(minutes=90)


def test_agenda_edits_are_refused_cleanly(world, make_meeting, queued, create_case):
    meeting = make_meeting()
    case = queued("normal", 1)
    add_item(meeting, case, world.chair)
    db.session.commit()
    with pytest.raises(ServiceError):
        add_item(meeting, case, world.chair)  # already on it
    with pytest.raises(ServiceError):
        add_item(meeting, create_case("submitted"), world.chair)  # not in the queue
    foreign = queued("normal", 1, owner=world.other_owner, team=world.other_team)
    with pytest.raises(ServiceError):
        add_item(meeting, foreign, world.chair)
    with pytest.raises(PermissionDenied):
        add_item(meeting, queued("normal", 1), world.expert)
    with pytest.raises(ServiceError):
        set_item(meeting.items[0], world.chair, duration=2)
    with pytest.raises(ServiceError):
        move_item(meeting.items[0], world.chair, by=-1)
    db.session.rollback()
    assert len(db.session.get(Meeting, meeting.id).items) == 1


def test_publish_schedules_and_notifies_the_right_people_only(world, make_meeting, queued, make_user):
    uninvited_owner = make_user("case_owner", team=world.team, name="Owner Three")
    waiting_owner = make_user("case_owner", team=world.team, name="Owner Four")
    a = queued("normal", 5, owner=world.owner)
    b = queued("normal", 4, owner=world.owner2)
    c = queued("normal", 3, owner=uninvited_owner)
    meeting = make_meeting()
    propose_agenda(meeting, utcnow(), world.chair)
    queued("normal", 1, owner=waiting_owner)  # after the proposal: stays in the queue
    set_item(meeting.items[2], world.chair, presenter_invited=False)
    db.session.commit()
    db.session.execute(sa.delete(Notification))
    publish_agenda(meeting, world.chair)
    db.session.commit()
    assert meeting.status == MeetingStatus.PUBLISHED and meeting.sequence == 1
    assert [a.status, b.status, c.status] == [CaseStatus.SCHEDULED] * 3
    team = _notified("meeting.agenda_published")
    assert set(team) == {world.expert.id, world.secretary.id}  # not the chair who published
    presenting = _notified("meeting.presenting")
    assert set(presenting) == {world.owner.id, world.owner2.id}
    slot = meeting.items[1].starts_at.astimezone(team_zone(world.team)).strftime("%H:%M")
    assert presenting[world.owner2.id][0].context["time"] == slot
    assert presenting[world.owner2.id][0].context["reference"] == b.reference
    everyone = set(db.session.scalars(sa.select(Notification.user_id)))
    assert everyone == {world.expert.id, world.secretary.id, world.owner.id, world.owner2.id}


def test_republish_only_after_a_change_and_notifies_again(world, published, queued):
    meeting = published(2)
    with pytest.raises(ServiceError):
        publish_agenda(meeting, world.chair)
    db.session.rollback()
    extra = queued("crisis", 1, owner=world.owner2)
    add_item(meeting, extra, world.secretary)
    db.session.commit()
    assert meeting.agenda_changed_at is not None and extra.status == CaseStatus.ACCEPTED
    publish_agenda(meeting, world.secretary)
    db.session.commit()
    assert extra.status == CaseStatus.SCHEDULED and meeting.sequence == 2 and meeting.agenda_changed_at is None
    assert set(_notified("meeting.agenda_changed")) == {world.expert.id, world.chair.id}
    assert len(_notified("meeting.presenting")[world.owner.id]) == 2


def test_removing_a_published_item_returns_the_case_to_the_head(world, published, queued):
    meeting = published(2)
    crisis = queued("crisis", 20)
    removed = meeting.items[1].case
    remove_item(meeting.items[1], world.chair)
    db.session.commit()
    assert removed.status == CaseStatus.ACCEPTED and removed.queue_priority == 1
    queue = db.session.scalars(case_services.queue_query(world.team.id)).all()
    assert [c.id for c in queue] == [removed.id, crisis.id]
    assert world.owner2.id in _notified("meeting.item_removed")


def test_publish_refuses_an_empty_agenda_and_withdrawn_cases(world, make_meeting, queued):
    meeting = make_meeting()
    with pytest.raises(ServiceError):
        publish_agenda(meeting, world.chair)
    case = queued("normal", 1)
    add_item(meeting, case, world.chair)
    case_services.withdraw_case(case, world.owner, reason="Moved away")
    db.session.commit()
    with pytest.raises(ServiceError):
        publish_agenda(meeting, world.chair)
    db.session.rollback()
    assert db.session.get(Meeting, meeting.id).status == MeetingStatus.PLANNED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.kind.like("meeting.%"))) == 0


def test_no_agenda_edits_after_the_session(world, published):
    meeting = published(1)
    end_session(meeting, world.chair)
    db.session.commit()
    with pytest.raises(ServiceError):
        remove_item(meeting.items[0], world.chair)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) == 1
