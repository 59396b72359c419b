"""Meeting pages: need-to-know, agenda editing, the live session with and without JavaScript."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from casefiles.models import CaseStatus
from core.clock import utcnow
from core.db import db
from meeting.agenda import propose_agenda, publish_agenda, set_item
from meeting.models import AgendaItem, Meeting, MeetingStatus, Outcome
from tests.conftest import csrf_token, login, post_form


def test_pages_render_for_the_team(client, world, published, experts):
    meeting = published(2)
    for user in (world.chair, world.secretary, world.expert):
        login(client, user)
        for url in ("/meetings/", f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/live"):
            r = client.get(url)
            assert r.status_code == 200, (user.name, url)
            body = r.get_data(as_text=True)
            if url != "/meetings/":
                assert all(i.case.reference in body for i in meeting.items)
    login(client, world.chair)
    for url in (f"/meetings/{meeting.id}/agenda", f"/meetings/{meeting.id}/attendance", f"/meetings/{meeting.id}/move",
                f"/meetings/{meeting.id}/cancel", f"/meetings/teams/{world.team.id}/new"):
        assert client.get(url).status_code == 200, url


def test_expert_cannot_manage(client, world, published):
    meeting = published(1)
    login(client, world.expert)
    for url in (f"/meetings/{meeting.id}/agenda", f"/meetings/{meeting.id}/attendance", f"/meetings/{meeting.id}/cancel",
                f"/meetings/teams/{world.team.id}/new"):
        assert client.get(url).status_code == 403, url
    token = csrf_token(client, f"/meetings/{meeting.id}/live")
    item = meeting.items[0]
    r = client.post(f"/meetings/items/{item.id}/outcome", data={"csrf_token": token, "discussed": "1"})
    assert r.status_code == 403
    r = client.post(f"/meetings/items/{item.id}/notes", data={"csrf_token": token, "notes": "x", "notes_version": "0"})
    assert r.status_code == 403
    assert item.case.status == CaseStatus.SCHEDULED


def test_case_owner_sees_only_own_item(client, world, published):
    meeting = published(2)
    mine, theirs = meeting.items
    assert mine.case.owner_id == world.owner.id and theirs.case.owner_id == world.owner2.id
    login(client, world.owner)
    body = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert mine.case.reference in body
    assert theirs.case.reference not in body and theirs.case.household_pseudonym not in body
    index = client.get("/meetings/").get_data(as_text=True)
    assert mine.case.reference in index and theirs.case.reference not in index
    # Not by id either: the live page, the minutes, the other item's endpoints.
    assert client.get(f"/meetings/{meeting.id}/live").status_code == 404
    assert client.get(f"/meetings/{meeting.id}/live?fragment=1").status_code == 404
    assert client.get(f"/meetings/{meeting.id}/minutes").status_code == 404
    token = csrf_token(client, "/meetings/")
    r = client.post(f"/meetings/items/{theirs.id}/notes", data={"csrf_token": token, "notes": "x", "notes_version": "0"})
    assert r.status_code == 404
    r = client.post(f"/meetings/items/{theirs.id}/outcome", data={"csrf_token": token, "postponed": "1"})
    assert r.status_code == 404
    # Their own item: visible but not changeable.
    r = client.post(f"/meetings/items/{mine.id}/outcome", data={"csrf_token": token, "postponed": "1"})
    assert r.status_code == 403
    ics = client.get(f"/meetings/{meeting.id}/meeting.ics").get_data(as_text=True)
    assert f"meeting-{meeting.id}-item-{mine.id}@expertteam" in ics and str(theirs.id) + "@" not in ics


def test_outsiders_get_404(client, world, published, make_user):
    meeting = published(1)
    uninvited = make_user("case_owner", team=world.team)
    for user in (world.other_chair, world.contact, world.admin, uninvited):
        login(client, user)
        assert client.get(f"/meetings/{meeting.id}").status_code == 404, user.name
        assert client.get(f"/meetings/{meeting.id}/meeting.ics").status_code == 404
        assert meeting.items[0].case.reference not in client.get("/meetings/").get_data(as_text=True)


def test_owner_not_invited_does_not_see_the_meeting(client, world, make_meeting, queued):

    meeting = make_meeting()
    queued("normal", 2, owner=world.owner)
    propose_agenda(meeting, utcnow(), world.chair)
    set_item(meeting.items[0], world.chair, presenter_invited=False)
    publish_agenda(meeting, world.chair)
    db.session.commit()
    login(client, world.owner)
    assert client.get(f"/meetings/{meeting.id}").status_code == 404


def test_meeting_pages_use_a_fixed_number_of_queries(client, world, make_meeting, queued, count_queries):

    counts = []
    login(client, world.chair)
    for n in (1, 4):
        meeting = make_meeting(starts_at=utcnow().replace(microsecond=0) + timedelta(days=n))
        for _ in range(n):
            queued("normal", 3)
        propose_agenda(meeting, utcnow(), world.chair)
        db.session.commit()
        per_page = []
        for url in (f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/agenda", f"/meetings/{meeting.id}/live", "/meetings/"):
            with count_queries() as q:
                assert client.get(url).status_code == 200
            per_page.append(q.count)
        counts.append(per_page)
    assert counts[0] == counts[1], counts


def test_agenda_editing_through_the_page(client, world, make_meeting, queued):
    meeting = make_meeting()
    a, b = queued("normal", 5), queued("high", 1)
    login(client, world.secretary)
    url = f"/meetings/{meeting.id}/agenda"
    r = post_form(client, url, {"propose": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    items = db.session.get(Meeting, meeting.id).items
    assert [i.case_id for i in items] == [b.id, a.id]
    r = post_form(client, url, {"item_id": str(items[1].id), "up": "1"})
    db.session.expire_all()
    assert [i.case_id for i in db.session.get(Meeting, meeting.id).items] == [a.id, b.id]
    r = post_form(client, url, {"item_id": str(items[0].id), "duration": "2", "save": "1"})  # too short
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(AgendaItem, items[0].id).duration_minutes == 45
    r = post_form(client, f"/meetings/{meeting.id}/publish", token_from=url)
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status == MeetingStatus.PUBLISHED


def test_cancel_and_extra_through_the_pages(client, world, make_meeting):
    meeting = make_meeting()
    login(client, world.chair)
    r = post_form(client, f"/meetings/{meeting.id}/cancel", {"reason": ""})
    assert r.status_code == 200  # the form again, with the error
    r = post_form(client, f"/meetings/{meeting.id}/cancel", {"reason": "Koningsdag"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status == MeetingStatus.CANCELLED
    r = post_form(client, f"/meetings/teams/{world.team.id}/new",
                  {"day": "2031-05-06", "start": "13:00", "end": "15:00", "location": "Online"})
    assert r.status_code == 302
    extra = db.session.scalar(sa.select(Meeting).where(Meeting.location == "Online"))
    assert extra.starts_at.isoformat() == "2031-05-06T11:00:00+00:00"  # 13:00 summer time
    r = post_form(client, f"/meetings/teams/{world.team.id}/new",
                  {"day": "2031-05-06", "start": "15:00", "end": "13:00"})
    assert r.status_code == 200 and db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 2


def test_attendance_page(client, world, make_meeting, experts):
    meeting = make_meeting()
    login(client, world.secretary)
    url = f"/meetings/{meeting.id}/attendance"
    data = {f"status-{e.id}": "present" for e in experts}
    data[f"status-{world.expert.id}"] = "deputy"
    data[f"deputy-{world.expert.id}"] = ""
    r = post_form(client, url, data)
    assert r.status_code == 200  # refused: the deputy has no name; nothing saved
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).attendances == []
    data[f"deputy-{world.expert.id}"] = "A. Bakker"
    assert post_form(client, url, data).status_code == 302
    body = client.get(url).get_data(as_text=True)
    assert "Quorum" in body or "quorum" in body.lower()
    db.session.expire_all()
    assert len(db.session.get(Meeting, meeting.id).attendances) == 5


def test_live_notes_autosave_json_and_conflict(client, world, published):
    meeting = published(1)
    item = meeting.items[0]
    login(client, world.chair)
    token = csrf_token(client, f"/meetings/{meeting.id}/live")
    json_headers = {"Accept": "application/json"}
    r = client.post(f"/meetings/items/{item.id}/notes", headers=json_headers,
                    data={"csrf_token": token, "notes": "First text", "notes_version": "0"})
    assert r.status_code == 200 and r.get_json() == {"status": "saved", "notes_version": 1, "message": r.get_json()["message"]}
    r = client.post(f"/meetings/items/{item.id}/notes", headers=json_headers,
                    data={"csrf_token": token, "notes": "Second text", "notes_version": "0"})
    assert r.status_code == 409
    data = r.get_json()
    assert data["status"] == "conflict" and data["notes"] == "First text" and data["notes_version"] == 1
    # Without JavaScript: the page again, with my text in the box and the other text shown.
    r = client.post(f"/meetings/items/{item.id}/notes",
                    data={"csrf_token": token, "notes": "My text without JS", "notes_version": "0"})
    assert r.status_code == 409
    body = r.get_data(as_text=True)
    assert "My text without JS" in body and "First text" in body
    assert re.search(r'name="notes_version"[^>]*value="1"', body)
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).notes == "First text"
    # A missing CSRF token is refused.
    r = client.post(f"/meetings/items/{item.id}/notes", headers=json_headers, data={"notes": "x", "notes_version": "1"})
    assert r.status_code == 400


def test_live_outcomes_end_session_and_minutes(client, world, published):
    meeting = published(2)
    first, second = meeting.items
    login(client, world.chair)
    live = f"/meetings/{meeting.id}/live"
    body = client.get(live).get_data(as_text=True)
    assert 'data-slot-end="' in body and "meeting.js" in body and "<script>" not in body and "style=" not in body
    r = post_form(client, f"/meetings/items/{first.id}/outcome", {"discussed": "1"}, token_from=live)
    assert r.status_code == 302
    r = post_form(client, f"/meetings/items/{second.id}/outcome", {"withdrawn": "1", "reason": ""}, token_from=live)
    assert r.status_code == 302  # refused: a reason is required
    db.session.expire_all()
    assert db.session.get(AgendaItem, second.id).outcome is None
    r = post_form(client, f"/meetings/{meeting.id}/end", token_from=live)
    assert r.status_code == 302
    db.session.expire_all()
    m = db.session.get(Meeting, meeting.id)
    assert m.status == MeetingStatus.HELD and [i.outcome for i in m.items] == [Outcome.DISCUSSED, Outcome.POSTPONED]
    # The secretary edits and closes the minutes; the page is printable.
    login(client, world.secretary)
    url = f"/meetings/{meeting.id}/minutes"
    body = client.get(url).get_data(as_text=True)
    assert first.case.reference in body and 'data-print="1"' in body
    version = m.minutes_version
    r = post_form(client, url, {"text": m.minutes_text + "\nExtra line", "version": str(version)})
    assert r.status_code == 302
    r = post_form(client, url, {"text": "stale", "version": str(version)})
    assert r.status_code == 409 and "Extra line" in r.get_data(as_text=True)
    r = post_form(client, url, {"close": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    m = db.session.get(Meeting, meeting.id)
    assert m.status == MeetingStatus.CLOSED and "Extra line" in m.minutes_text
    # The expert reads the minutes but cannot edit them.
    login(client, world.expert)
    body = client.get(url).get_data(as_text=True)
    assert "Extra line" in body and 'name="text"' not in body


def test_expert_follow_fragment(client, world, published):
    meeting = published(2)
    login(client, world.expert)
    body = client.get(f"/meetings/{meeting.id}/live").get_data(as_text=True)
    assert "data-refresh-url" in body and 'name="notes"' not in body
    fragment = client.get(f"/meetings/{meeting.id}/live?fragment=1").get_data(as_text=True)
    assert "<html" not in fragment and meeting.items[0].case.reference in fragment
