"""The other timed jobs, set-based across all teams: hold reminders by each team's local date,
meeting reminders and the meeting schedule for every team in a fixed number of statements, and
the bulk notify that honours each person's preference exactly like ``notify``."""
from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from casefiles.holds.jobs import hold_reminders
from casefiles.holds.models import CaseHold
from casefiles.models import Case, CaseStatus
from core.audit import AuditEvent
from core.db import db
from core.models import NotificationPreference
from meeting import jobs as meeting_jobs
from meeting.models import AgendaItem, Meeting, MeetingStatus
from notifications.models import Notification
from notifications.services import notify, notify_many

#: 11 March in Amsterdam and Kiritimati, still 10 March in Pago Pago and New York.
NOW = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
ZONES = ["Europe/Amsterdam", "Pacific/Pago_Pago", "Pacific/Kiritimati", "America/New_York"]
AHEAD = {"Europe/Amsterdam", "Pacific/Kiritimati"}


@pytest.fixture
def teams(make_team, make_user):
    """``build(n, cases)``: n teams in different zones, each with a chair, an expert and an owner
    (who prefers the digest in every second team) and ``cases`` cases."""
    counter = itertools.count(1)

    def build(n: int, cases: int):
        built = []
        for i in range(n):
            team = make_team(timezone=ZONES[i % len(ZONES)])
            make_user("chair", team=team)
            make_user("expert", team=team)
            owner = make_user("case_owner", team=team)
            if i % 2:
                owner.notification_preference = NotificationPreference.DIGEST
            ids = []
            for _ in range(cases):
                k = next(counter)
                ids.append(db.session.execute(sa.insert(Case.__table__).values(
                    team_id=team.id, owner_id=owner.id, year=2026, number=k, reference=f"{team.code}-2026-{k:04d}",
                    status=CaseStatus.ACCEPTED, household_pseudonym="Gezin")).inserted_primary_key[0])
            db.session.commit()
            built.append((team, owner, ids))
        return built

    return build


def _holds(built, retry_on: date) -> None:
    for _team, owner, case_ids in built:
        db.session.execute(sa.insert(CaseHold.__table__), [
            {"case_id": case_id, "reason": "no_contact", "retry_on": retry_on, "started_by_id": owner.id}
            for case_id in case_ids])
    db.session.commit()


def test_hold_reminders_by_each_teams_date_once(app, teams):
    built = teams(4, 2)
    _holds(built, date(2026, 3, 11))
    assert hold_reminders(NOW) == "4 owner(s) reminded"  # the two teams already on 11 March
    reminded = set(db.session.scalars(sa.select(Case.team_id).join(CaseHold, CaseHold.case_id == Case.id)
                                      .where(CaseHold.reminded_at == NOW)))
    assert reminded == {team.id for team, _owner, _ids in built if team.timezone in AHEAD}
    told = db.session.execute(sa.select(Notification.user_id, Notification.link, Notification.email_status)
                              .where(Notification.kind == "casefiles.hold_retry")).all()
    expected_status = {owner.id: ("digest" if owner.notification_preference == NotificationPreference.DIGEST
                                  else "pending") for _t, owner, _i in built}
    assert sorted((u, link) for u, link, _s in told) == sorted(
        (owner.id, f"/cases/{case_id}/hold") for team, owner, ids in built if team.timezone in AHEAD for case_id in ids)
    assert all(status == expected_status[user] for user, _link, status in told)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "case_hold.remind")) == 4
    assert hold_reminders(NOW) == "0 owner(s) reminded"
    assert hold_reminders(NOW + timedelta(hours=12)) == "4 owner(s) reminded"  # the others' date came


def test_hold_reminders_statements_do_not_grow(app, teams, count_queries):
    def statements(n: int, cases: int) -> int:
        _holds(teams(n, cases), date(2026, 3, 1))
        audited = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        with count_queries() as counter:
            assert not hold_reminders(NOW).startswith("0 ")
        return counter.count - _audit_inserts_on_sqlite(audited)

    assert statements(2, 1) == statements(6, 8)


def _audit_inserts_on_sqlite(before: int) -> int:
    """SQLite: the ORM inserts audit rows one by one (no ordered RETURNING to match many rows to
    their objects); on PostgreSQL they are one statement. The extra statements on SQLite."""
    if db.engine.dialect.name != "sqlite":
        return 0
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) - before - 1


def _published(built, starts_at: datetime) -> list[Meeting]:
    meetings = []
    for team, _owner, case_ids in built:
        meeting = Meeting(team_id=team.id, starts_at=starts_at, ends_at=starts_at + timedelta(hours=3), slot_at=starts_at,
                          cutoff_at=starts_at - timedelta(days=4), status=MeetingStatus.PUBLISHED,
                          agenda_published_at=starts_at - timedelta(days=3))
        db.session.add(meeting)
        db.session.flush()
        for position, case_id in enumerate(case_ids, 1):
            db.session.add(AgendaItem(meeting_id=meeting.id, case_id=case_id, position=position,
                                      starts_at=starts_at, duration_minutes=30, presenter_invited=position % 2 == 1))
        meetings.append(meeting)
    db.session.commit()
    return meetings


def test_meeting_reminders_for_every_team_once(app, teams):
    built = teams(3, 3)
    meetings = _published(built, NOW + timedelta(hours=12))
    assert meeting_jobs.remind(NOW) == "3 meeting reminders sent"
    for (team, owner, _ids), meeting in zip(built, meetings, strict=True):
        team_told = db.session.scalar(sa.select(sa.func.count()).where(
            Notification.kind == "meeting.reminder", Notification.link == f"/meetings/{meeting.id}"))
        assert team_told == 2  # chair and expert
        presenter = db.session.scalars(sa.select(Notification.context).where(
            Notification.kind == "meeting.reminder_presenter", Notification.link == f"/meetings/{meeting.id}")).all()
        assert len(presenter) == 2 and {c["team"] for c in presenter} == {team.name}  # items 1 and 3 invited
    assert meeting_jobs.remind(NOW) == "0 meeting reminders sent"


def test_meeting_reminders_statements_do_not_grow(app, teams, count_queries):
    def statements(n: int, cases: int) -> int:
        _published(teams(n, cases), NOW + timedelta(hours=12))
        audited = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        with count_queries() as counter:
            assert not meeting_jobs.remind(NOW).startswith("0 ")
        return counter.count - _audit_inserts_on_sqlite(audited)

    assert statements(1, 1) == statements(5, 4)


def test_meeting_schedule_for_all_teams_in_one_insert(app, teams, count_queries):
    from meeting.schedule import regular_slots

    built = teams(5, 0)
    expected = {team.id: len(regular_slots(team, NOW, meeting_jobs.WEEKS_AHEAD)) for team, _o, _i in built}
    with count_queries() as counter:
        summary = meeting_jobs.ensure_meetings(NOW)
    assert summary == f"{sum(expected.values())} meetings created for 5 teams"
    # Teams, one INSERT for every team's slots, the audit chain (lock, last hash, rows).
    assert counter.count - _audit_inserts_on_sqlite(0) <= 6
    per_team = dict(db.session.execute(sa.select(Meeting.team_id, sa.func.count()).group_by(Meeting.team_id)).all())
    assert per_team == expected
    assert set(db.session.scalars(sa.select(AuditEvent.object_id).where(AuditEvent.action == "meeting.ensure"))) == set(expected)
    assert meeting_jobs.ensure_meetings(NOW) == "0 meetings created for 5 teams"


def test_notify_many_is_notify_for_each_message(app, make_user):
    immediate = make_user(name="Immediate")
    digest = make_user(name="Digest")
    digest.notification_preference = NotificationPreference.DIGEST
    in_app = make_user(name="In app")
    in_app.notification_preference = NotificationPreference.IN_APP
    gone = make_user(name="Gone")
    gone.active = False
    db.session.commit()
    people = [immediate, digest, in_app, gone, None, immediate]

    def rows():
        return sorted(db.session.execute(sa.select(Notification.user_id, Notification.kind, Notification.link,
                                                   Notification.context, Notification.email_status,
                                                   Notification.email_next_attempt_at.is_(None))).all())

    notify(people, "case.accepted", {"reference": "R-1"}, "/cases/1")
    notify(people, "advice.action_refused", {"reference": "R-2"}, "/cases/2")  # always e-mailed
    one_by_one = rows()
    db.session.execute(sa.delete(Notification))
    assert notify_many([(people, "case.accepted", {"reference": "R-1"}, "/cases/1"),
                        (people, "advice.action_refused", {"reference": "R-2"}, "/cases/2")]) == 6
    assert rows() == one_by_one and len(one_by_one) == 6
    with pytest.raises(KeyError):
        notify_many([(people, "case.accepted", {}, "/cases/1"), (people, "no.such.kind", {}, "/x")])
    with pytest.raises(ValueError):
        notify_many([(people, "case.accepted", {}, "https://elsewhere.test/")])
