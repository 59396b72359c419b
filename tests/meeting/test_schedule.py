"""The weekly schedule: local time across DST, idempotent scheduler, cancel, move, extra meetings."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from casefiles.models import Case, CaseStatus
from core.audit import AuditEvent
from core.clock import utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Team
from meeting import jobs, schedule
from meeting.lifecycle import TRANSITIONS, TransitionError, transition
from meeting.models import Meeting, MeetingKind, MeetingStatus
from meeting.schedule import (
    add_extra_meeting,
    cancel_meeting,
    ensure_meetings,
    move_meeting,
    regular_slots,
)
from notifications.models import Notification

AMS = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc


def _meetings(team) -> list[Meeting]:
    return db.session.scalars(sa.select(Meeting).where(Meeting.team_id == team.id).order_by(Meeting.starts_at)).all()


def test_regular_meetings_stay_at_nine_local_across_dst(world):
    # Summer time ends on 25 October 2026 and starts on 29 March 2026.
    ensure_meetings(world.team, datetime(2026, 10, 14, 12, 0, tzinfo=UTC))
    ensure_meetings(world.team, datetime(2026, 3, 18, 12, 0, tzinfo=UTC))
    db.session.commit()
    by_day = {m.starts_at.astimezone(AMS).date(): m for m in _meetings(world.team)}
    assert by_day[date(2026, 10, 20)].starts_at == datetime(2026, 10, 20, 7, 0, tzinfo=UTC)  # CEST
    assert by_day[date(2026, 10, 27)].starts_at == datetime(2026, 10, 27, 8, 0, tzinfo=UTC)  # CET
    assert by_day[date(2026, 3, 24)].starts_at == datetime(2026, 3, 24, 8, 0, tzinfo=UTC)    # CET
    assert by_day[date(2026, 3, 31)].starts_at == datetime(2026, 3, 31, 7, 0, tzinfo=UTC)    # CEST
    for meeting in by_day.values():
        local = meeting.starts_at.astimezone(AMS)
        assert (local.weekday(), local.hour, local.minute) == (1, 9, 0)
        assert meeting.ends_at.astimezone(AMS).hour == 12
    # Cut-off: the Friday before at 12:00 local, also across the change.
    assert by_day[date(2026, 10, 27)].cutoff_at == datetime(2026, 10, 23, 10, 0, tzinfo=UTC)
    assert by_day[date(2026, 3, 31)].cutoff_at == datetime(2026, 3, 27, 11, 0, tzinfo=UTC)


def test_eight_weeks_ahead_only_future_slots(world):
    now = datetime(2026, 10, 20, 7, 30, tzinfo=UTC)  # during Tuesday's meeting: it is not created
    assert ensure_meetings(world.team, now) == 7
    db.session.commit()
    days = [m.starts_at.astimezone(AMS).date() for m in _meetings(world.team)]
    assert days[0] == date(2026, 10, 27) and days[-1] == date(2026, 12, 8)
    assert all(m.kind == MeetingKind.REGULAR and m.status == MeetingStatus.PLANNED for m in _meetings(world.team))


def test_team_rule_is_used(world, make_team):
    from datetime import time

    team = make_team(meeting_weekday=3, meeting_start=time(13, 30), meeting_end=time(16, 0), location="Raadzaal")
    ensure_meetings(team, datetime(2026, 6, 1, 0, 0, tzinfo=UTC), weeks=2)
    db.session.commit()
    meetings = _meetings(team)
    assert [m.starts_at.astimezone(AMS) for m in meetings] == [
        datetime(2026, 6, 4, 13, 30, tzinfo=AMS), datetime(2026, 6, 11, 13, 30, tzinfo=AMS)
    ]
    assert meetings[0].location == "Raadzaal"


def test_job_twice_changes_nothing(world):
    now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    first = jobs.ensure_meetings(now)
    ids = [m.id for m in _meetings(world.team)]
    second = jobs.ensure_meetings(now)
    assert first.startswith("16 meetings")  # two active teams
    assert second.startswith("0 meetings")
    assert [m.id for m in _meetings(world.team)] == ids and len(ids) == 8


def test_inactive_team_gets_no_meetings(world):
    world.other_team.active = False
    db.session.commit()
    jobs.ensure_meetings(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))
    assert _meetings(world.other_team) == []


def test_two_schedulers_at_once_leave_one_meeting_per_slot(app, world, monkeypatch):
    now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    team_id = world.team.id
    barrier = threading.Barrier(2, timeout=20)
    original = regular_slots

    def racing_slots(*args, **kw):
        rows = original(*args, **kw)
        barrier.wait()  # both have computed their rows; now both insert
        return rows

    monkeypatch.setattr(schedule, "regular_slots", racing_slots)
    errors = []

    def scheduler():
        try:
            with app.app_context():
                ensure_meetings(db.session.get(Team, team_id), now)
                db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    db.session.expire_all()
    starts = [m.starts_at for m in _meetings(world.team)]
    assert len(starts) == 8 and len(set(starts)) == 8


def test_database_refuses_a_duplicate_slot(world, make_meeting):
    meeting = make_meeting()
    db.session.add(Meeting(team=world.team, starts_at=meeting.starts_at, ends_at=meeting.ends_at,
                           slot_at=meeting.starts_at + timedelta(days=1), cutoff_at=meeting.cutoff_at))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_walk_every_status_pair(world, make_meeting):
    start = utcnow() + timedelta(days=3)
    for i, (a, b) in enumerate((a, b) for a in MeetingStatus for b in MeetingStatus):
        meeting = make_meeting(starts_at=start + timedelta(hours=i), status=a)
        if (a, b) in TRANSITIONS:
            transition(meeting, b, world.chair)
            assert meeting.status == b
        else:
            with pytest.raises(TransitionError):
                transition(meeting, b, world.chair)
            assert meeting.status == a
    db.session.commit()


def test_cancel_sends_cases_to_the_head_of_the_queue(world, published, queued):
    meeting = published(2)
    waiting = queued("crisis", days=30)  # would be first without the postponement
    cases = [i.case for i in meeting.items]
    queued_at = [c.queued_at for c in cases]
    sequence = meeting.sequence
    cancel_meeting(meeting, world.secretary, reason="Herfstvakantie")
    db.session.commit()
    assert meeting.status == MeetingStatus.CANCELLED and meeting.cancel_reason == "Herfstvakantie"
    assert meeting.sequence == sequence + 1
    assert [c.status for c in cases] == [CaseStatus.ACCEPTED] * 2
    assert [c.queued_at for c in cases] == queued_at
    from casefiles.services import queue_query

    queue = [c.id for c in db.session.scalars(queue_query(world.team.id))]
    assert queue == [cases[0].id, cases[1].id, waiting.id]
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "meeting.cancelled")))
    assert {world.owner.id, world.owner2.id, world.expert.id, world.chair.id} <= told
    assert world.secretary.id not in told  # the one who cancelled


def test_cancel_needs_a_reason_and_a_lead(world, make_meeting):
    meeting = make_meeting()
    with pytest.raises(ServiceError):
        cancel_meeting(meeting, world.chair, reason="  ")
    with pytest.raises(PermissionDenied):
        cancel_meeting(meeting, world.expert, reason="Holiday")
    with pytest.raises(PermissionDenied):
        cancel_meeting(meeting, world.other_chair, reason="Holiday")
    db.session.rollback()
    assert db.session.get(Meeting, meeting.id).status == MeetingStatus.PLANNED


def test_cancelled_and_moved_meetings_are_not_recreated(world):
    now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    ensure_meetings(world.team, now)
    first, second = _meetings(world.team)[:2]
    cancel_meeting(first, world.chair, reason="Holiday", )
    new_start = second.starts_at + timedelta(days=1, hours=4)
    move_meeting(second, world.chair, starts_at=new_start, ends_at=new_start + timedelta(hours=2), now=now)
    db.session.commit()
    assert ensure_meetings(world.team, now) == 0
    db.session.commit()
    assert len(_meetings(world.team)) == 8
    assert second.starts_at == new_start and second.sequence == 1


def test_move_refuses_a_taken_time_and_the_past(world):
    now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    ensure_meetings(world.team, now)
    db.session.commit()
    first, second = _meetings(world.team)[:2]
    with pytest.raises(ServiceError):
        move_meeting(first, world.chair, starts_at=second.starts_at, ends_at=second.ends_at, now=now)
    with pytest.raises(ServiceError):
        move_meeting(first, world.chair, starts_at=now - timedelta(days=1), ends_at=now, now=now)
    with pytest.raises(ServiceError):
        move_meeting(first, world.chair, starts_at=first.starts_at, ends_at=first.starts_at, now=now)
    db.session.rollback()
    assert db.session.get(Meeting, first.id).sequence == 0


def test_move_shifts_the_slots_and_tells_invitees(world, published):
    meeting = published(2)
    start = meeting.starts_at + timedelta(days=1)
    move_meeting(meeting, world.chair, starts_at=start, ends_at=start + timedelta(hours=3))
    db.session.commit()
    assert [i.starts_at for i in meeting.items] == [start, start + timedelta(minutes=45)]
    kinds = db.session.scalars(sa.select(Notification).where(Notification.kind == "meeting.moved")).all()
    assert {n.user_id for n in kinds} >= {world.owner.id, world.owner2.id, world.expert.id}


def test_extra_meeting(world):
    now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    start = datetime(2026, 5, 7, 13, 0, tzinfo=AMS).astimezone(UTC)
    meeting = add_extra_meeting(world.team, world.secretary, starts_at=start,
                                         ends_at=start + timedelta(hours=2), location="Online", now=now)
    db.session.commit()
    assert meeting.kind == MeetingKind.EXTRA and meeting.location == "Online"
    with pytest.raises(ServiceError):
        add_extra_meeting(world.team, world.secretary, starts_at=start, ends_at=start + timedelta(hours=1), now=now)
    with pytest.raises(PermissionDenied):
        add_extra_meeting(world.team, world.expert, starts_at=start + timedelta(days=1),
                                   ends_at=start + timedelta(days=1, hours=1), now=now)
    db.session.rollback()
    assert len(_meetings(world.team)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "meeting.add_extra")) == 1
