"""Hold with a retry date and its reminder; lost contact: signal requests, 'seen', resume."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from casefiles.holds import queries as hold_queries
from casefiles.holds import services as holds
from casefiles.holds.models import CaseHold, Signal
from casefiles.models import CaseStatus
from core.audit import AuditEvent
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.jobs import registered as registered_jobs
from notifications.models import Notification
from tests.conftest import login, post_form


def _notes(user, kind):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)).all()


def test_hold_keeps_the_state_and_reminds_once(client, world, create_case):
    case = create_case("accepted")
    login(client, world.owner)
    retry = date.today() + timedelta(days=14)
    r = post_form(client, f"/cases/{case.id}/hold", {"h-reason": "not_cooperating", "h-note": "Did not show up twice.",
                                                     "h-retry_on": retry.isoformat()})
    assert r.status_code == 302
    db.session.expire_all()
    hold = hold_queries.active_hold(case)
    assert hold.reason.value == "not_cooperating" and hold.retry_on == retry
    assert case.status == CaseStatus.ACCEPTED  # a hold does not change the lifecycle state
    assert "On hold" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    with pytest.raises(ServiceError):
        holds.put_on_hold(case, world.owner, reason="other", note="", retry_on=retry)
    job = registered_jobs()["casefiles.hold_reminders"].func
    before = datetime.combine(retry - timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
    job(before)
    assert _notes(world.owner, "casefiles.hold_retry") == []
    on_the_day = datetime.combine(retry, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=9)
    assert job(on_the_day).startswith("1 ")
    assert job(on_the_day + timedelta(hours=1)).startswith("0 ")  # idempotent
    assert len(_notes(world.owner, "casefiles.hold_retry")) == 1
    assert db.session.get(CaseHold, hold.id).reminded_at is not None


def test_held_cases_are_back_on_the_table_at_the_meeting(client, world, create_case):
    from core.clock import utcnow
    from meeting.models import Meeting, MeetingStatus

    case = create_case("accepted")
    holds.put_on_hold(case, world.chair, reason="no_contact", note="", retry_on=date.today() + timedelta(days=7))
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    meeting = Meeting(team=world.team, starts_at=start, ends_at=start + timedelta(hours=3), slot_at=start,
                      cutoff_at=start - timedelta(days=4), status=MeetingStatus.PUBLISHED)
    db.session.add(meeting)
    db.session.commit()
    login(client, world.chair)
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Cases on hold" in html and case.reference in html


def test_hold_permissions(world, create_case):
    case = create_case("accepted")
    for user in (world.expert, world.owner2, world.other_chair, world.contact):
        with pytest.raises(PermissionDenied):
            holds.put_on_hold(case, user, reason="other", note="", retry_on=date.today() + timedelta(days=3))
    with pytest.raises(ServiceError):
        holds.put_on_hold(case, world.owner, reason="other", note="", retry_on=date.today())


def test_lost_contact_signal_flow(client, world, create_case, make_org, make_user):
    police = make_org("Politie Gooistad", team=world.team)
    agent = make_user("org_contact", team=world.team, organisation=police, name="Agent", locale="en")
    stranger_org = make_org("Elsewhere", team=world.other_team)
    stranger = make_user("org_contact", team=world.other_team, organisation=stranger_org, name="Stranger")
    case = create_case("accepted", household_composition="SECRET COMPOSITION", question="SECRET QUESTION")
    holds.put_on_hold(case, world.owner, reason="no_contact", note="Gone.", retry_on=date.today() + timedelta(days=30))
    db.session.commit()
    # Only committed organisations can be asked.
    with pytest.raises(ServiceError):
        holds.request_signals(case, world.owner, organisation_ids=[stranger_org.id], whom_to_call="x",
                           last_contact_on=date.today())
    with pytest.raises(PermissionDenied):
        holds.request_signals(case, world.chair, organisation_ids=[police.id], whom_to_call="x", last_contact_on=date.today())
    login(client, world.owner)
    r = post_form(client, f"/cases/{case.id}/signal-requests",
                  {"s-last_contact_on": (date.today() - timedelta(days=3)).isoformat(),
                   "s-whom_to_call": "Owner One, 035 123 4567", "s-organisations": [police.id]},
                  token_from=f"/cases/{case.id}/hold")
    assert r.status_code == 302
    request = hold_queries.signal_requests(case)[0]
    assert len(_notes(agent, "casefiles.signal_requested")) == 1
    # The police contact sees the minimal page: reference, pseudonym, whom to call; no intake details.
    login(client, agent)
    assert case.reference in client.get("/signals").get_data(as_text=True)
    html = client.get(f"/signals/{request.id}").get_data(as_text=True)
    assert case.reference in html and "Gezin Test" in html and "035 123 4567" in html
    assert "SECRET" not in html and "No urgency" not in html
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.get(f"/cases/{case.id}/hold").status_code == 404
    # One step: report seen; the owner is told at once, always by e-mail.
    r = post_form(client, f"/signals/{request.id}", {"note": "At the night shelter, Tuesday 23:00."})
    assert r.status_code == 302
    seen = _notes(world.owner, "casefiles.client_seen")
    assert len(seen) == 1
    assert db.session.scalar(sa.select(Signal.note)) == "At the night shelter, Tuesday 23:00."
    from notifications.kinds import registered as registered_kinds
    assert registered_kinds()["casefiles.client_seen"].always_email
    # Another organisation's contact and the case's own org contact: 404.
    for user in (stranger, world.contact):
        login(client, user)
        assert client.get(f"/signals/{request.id}").status_code == 404
    # The owner resumes: the request ends; the contact can no longer report.
    login(client, world.owner)
    assert "At the night shelter" in client.get(f"/cases/{case.id}/hold").get_data(as_text=True)
    r = post_form(client, f"/cases/{case.id}/resume", token_from=f"/cases/{case.id}/hold")
    assert r.status_code == 302
    db.session.expire_all()
    assert hold_queries.active_hold(case) is None and not hold_queries.signal_requests(case)[0].active
    login(client, agent)
    assert case.reference not in client.get("/signals").get_data(as_text=True)
    with pytest.raises(ServiceError):
        holds.report_seen(hold_queries.signal_requests(case)[0], agent, note="again")
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"case_hold.start", "signal_request.create", "signal.seen", "case_hold.end"} <= actions
