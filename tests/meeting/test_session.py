"""The session: attendance and quorum, decisions on items, notes without lost text, minutes."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from casefiles import services as case_services
from casefiles.models import CaseStatus
from core.clock import utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Domain
from meeting.agenda import propose_agenda
from meeting.attendance import quorum_status, record_attendance
from meeting.lifecycle import VersionConflict
from meeting.minutes import close_minutes, update_minutes
from meeting.models import AgendaItem, AttendanceStatus, MeetingStatus, Outcome
from meeting.session import (
    end_session,
    mark_discussed,
    postpone_item,
    save_notes,
    withdraw_item,
)
from notifications.models import Notification


def test_quorum_counts_present_experts_and_deputies(world, make_meeting, experts):
    meeting = make_meeting()
    team_domains = set(world.team.domain_values)
    q = quorum_status(meeting)
    assert (q.required, q.present, q.met) == (5, 0, False)
    assert set(q.missing_domains) == team_domains
    for expert in experts[:3]:
        record_attendance(meeting, world.secretary, expert.id, "present")
    record_attendance(meeting, world.secretary, experts[3].id, "deputy", deputy_name="J. de Vries")
    record_attendance(meeting, world.secretary, world.expert.id, "absent")
    record_attendance(meeting, world.secretary, world.chair.id, "present")  # not an expert
    db.session.commit()
    q = quorum_status(meeting)
    assert (q.present, q.met) == (4, False)
    assert Domain.HOUSING in q.missing_domains and Domain.GGZ not in q.missing_domains
    assert Domain.PARENTING not in q.missing_domains  # covered by the deputy
    record_attendance(meeting, world.secretary, world.expert.id, "present")
    db.session.commit()
    q = quorum_status(meeting)
    assert (q.present, q.met) == (5, True)
    assert set(q.missing_domains) == team_domains - {Domain.GGZ, Domain.DEBT, Domain.POLICE, Domain.PARENTING, Domain.HOUSING}
    assert len(meeting.attendances) == 6  # updated in place, not duplicated


def test_attendance_input_is_checked(world, make_meeting):
    meeting = make_meeting()
    with pytest.raises(ServiceError):
        record_attendance(meeting, world.chair, world.expert.id, "deputy", deputy_name=" ")
    with pytest.raises(ServiceError):
        record_attendance(meeting, world.chair, world.owner.id, "present")  # not a member
    with pytest.raises(ServiceError):
        record_attendance(meeting, world.chair, world.expert.id, "sleeping")
    with pytest.raises(PermissionDenied):
        record_attendance(meeting, world.expert, world.expert.id, "present")
    db.session.rollback()
    assert db.session.get(type(meeting), meeting.id).attendances == []


def test_outcomes_move_the_cases(world, published, queued):
    meeting = published(3)
    crisis = queued("crisis", 40)
    first, second, third = meeting.items
    mark_discussed(first, world.chair)
    postpone_item(second, world.secretary)
    withdraw_item(third, world.chair, reason="The household moved away")
    db.session.commit()
    assert meeting.status == MeetingStatus.HELD and meeting.held_at is not None
    assert [i.outcome for i in meeting.items] == [Outcome.DISCUSSED, Outcome.POSTPONED, Outcome.WITHDRAWN]
    assert first.case.status == CaseStatus.DISCUSSED
    assert third.case.status == CaseStatus.WITHDRAWN
    postponed = second.case
    assert postponed.status == CaseStatus.ACCEPTED
    queue = [c.id for c in db.session.scalars(case_services.queue_query(world.team.id))]
    assert queue == [postponed.id, crisis.id]  # head of the queue, before a crisis case
    assert world.owner2.id in set(db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "meeting.item_postponed")))
    with pytest.raises(ServiceError):
        mark_discussed(first, world.chair)  # decided already
    db.session.rollback()


def test_postponed_case_keeps_its_waiting_time_and_is_proposed_first(world, published, queued, make_meeting):
    meeting = published(1)
    item = meeting.items[0]
    queued_at = item.case.queued_at
    end_session(meeting, world.chair)  # not reached: postponed
    db.session.commit()
    assert item.outcome == Outcome.POSTPONED and item.case.queued_at == queued_at
    crisis = queued("crisis", 0)
    next_meeting = make_meeting(starts_at=meeting.starts_at + timedelta(days=7))
    propose_agenda(next_meeting, utcnow())
    db.session.commit()
    assert [i.case_id for i in next_meeting.items] == [item.case_id, crisis.id]


def test_session_cannot_start_days_early(world, published):
    meeting = published(1, starts_at=utcnow() + timedelta(days=2))
    with pytest.raises(ServiceError):
        mark_discussed(meeting.items[0], world.chair)
    db.session.rollback()
    assert meeting.items[0].case.status == CaseStatus.SCHEDULED


def test_concurrent_note_saves_lose_nothing(world, published):
    meeting = published(1)
    item = meeting.items[0]
    base = item.notes_version
    save_notes(item, world.chair, "Chair: housing can offer a place in June.", base)
    db.session.commit()
    with pytest.raises(VersionConflict) as refused:
        save_notes(item, world.secretary, "Secretary: debt plan first.", base)
    db.session.rollback()
    # The later save is refused and shows the other text; nothing was overwritten.
    assert refused.value.current_text == "Chair: housing can offer a place in June."
    assert refused.value.current_version == base + 1
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).notes == "Chair: housing can offer a place in June."
    # Saving again on top of the version seen keeps both texts (merged by the secretary).
    merged = "Chair: housing can offer a place in June.\nSecretary: debt plan first."
    save_notes(item, world.secretary, merged, refused.value.current_version)
    db.session.commit()
    assert db.session.get(AgendaItem, item.id).notes == merged


def test_notes_only_by_the_lead(world, published):
    item = published(1).items[0]
    with pytest.raises(PermissionDenied):
        save_notes(item, world.expert, "x", item.notes_version)
    db.session.rollback()


def test_minutes_compiled_edited_and_closed(world, published, experts):
    meeting = published(2)
    record_attendance(meeting, world.secretary, world.expert.id, "present")
    record_attendance(meeting, world.secretary, experts[0].id, "deputy", deputy_name="P. Jansen")
    record_attendance(meeting, world.secretary, experts[1].id, "absent")
    first, second = meeting.items
    save_notes(first, world.chair, "Advice: urgency **granted**.", 0)
    mark_discussed(first, world.chair)
    end_session(meeting, world.chair)
    db.session.commit()
    text = meeting.minutes_text
    assert world.expert.name in text and "P. Jansen" in text and experts[1].name in text
    assert first.case.reference in text and "Advice: urgency **granted**." in text
    assert second.case.reference in text and second.outcome == Outcome.POSTPONED
    assert "Quorum" in text or "quorum" in text
    version = meeting.minutes_version
    with pytest.raises(PermissionDenied):
        update_minutes(meeting, world.chair, "x", version)  # the secretary edits
    db.session.rollback()
    update_minutes(meeting, world.secretary, text + "\nOpen point: call the school.", version)
    db.session.commit()
    with pytest.raises(VersionConflict):
        update_minutes(meeting, world.secretary, "stale", version)
    db.session.rollback()
    close_minutes(meeting, world.secretary)
    db.session.commit()
    assert meeting.status == MeetingStatus.CLOSED and "call the school" in meeting.minutes_text
    with pytest.raises(ServiceError):
        update_minutes(meeting, world.secretary, "late", meeting.minutes_version)
    db.session.rollback()


def test_reminder_job_runs_once(world, published):
    from meeting import jobs

    meeting = published(1, starts_at=utcnow() + timedelta(hours=20))
    assert jobs.remind(utcnow()) == "1 meeting reminders sent"
    assert jobs.remind(utcnow()) == "0 meeting reminders sent"
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind.like("meeting.reminder%"))).all()
    assert sorted(told) == sorted([world.chair.id, world.secretary.id, world.expert.id, world.owner.id])
    assert meeting.id
