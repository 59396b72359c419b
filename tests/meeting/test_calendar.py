"""The iCalendar feed and .ics downloads, parsed with the icalendar library."""
from __future__ import annotations

import hashlib
import re
import zlib
from datetime import datetime, timedelta, timezone

import icalendar
import sqlalchemy as sa
from itsdangerous.encoding import base64_decode

from core.audit import AuditEvent
from core.clock import utcnow
from core.db import db
from meeting import calendar
from meeting.models import CalendarFeed
from meeting.schedule import (
    add_extra_meeting,
    cancel_meeting,
    ensure_meetings,
    move_meeting,
)
from tests.meeting.conftest import renewed_feed_path
from tests.conftest import login, post_form

UTC = timezone.utc


def _feed_url(client, user) -> str:
    login(client, user)
    return renewed_feed_path(client)


def _events(body: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_feed_for_an_expert(client, world, published):
    now = utcnow()
    ensure_meetings(world.team, now, weeks=3)
    meeting = published(2)
    cancelled = add_extra_meeting(world.team, world.chair, starts_at=now + timedelta(days=30),
                                           ends_at=now + timedelta(days=30, hours=2))
    cancel_meeting(cancelled, world.chair, reason="Holiday")
    db.session.commit()
    url = _feed_url(client, world.expert)
    client.delete_cookie("session")  # the feed needs no sign-in
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(r.data)
    assert any(tz["TZID"] == "Europe/Amsterdam" for tz in cal.walk("VTIMEZONE"))
    events = _events(r.data)
    assert len(events) == 5  # three regular, the published one, the cancelled extra
    ev = events[f"meeting-{meeting.id}@expertteam.test"]
    assert ev.decoded("DTSTART") == meeting.starts_at
    assert ev["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert int(ev["SEQUENCE"]) == meeting.sequence == 1
    assert str(ev["STATUS"]) == "CONFIRMED"
    assert str(events[f"meeting-{cancelled.id}@expertteam.test"]["STATUS"]) == "CANCELLED"
    assert "Expertteam Gooistad" in str(ev["SUMMARY"])
    text = r.get_data(as_text=True)
    for item in meeting.items:  # no case details
        assert item.case.reference not in text and item.case.household_pseudonym not in text
    # A change raises SEQUENCE, the UID stays.
    move_meeting(meeting, world.chair, starts_at=meeting.starts_at + timedelta(hours=1),
                          ends_at=meeting.ends_at + timedelta(hours=1))
    db.session.commit()
    ev = _events(client.get(url).data)[f"meeting-{meeting.id}@expertteam.test"]
    assert int(ev["SEQUENCE"]) == 2 and ev.decoded("DTSTART") == meeting.starts_at


def test_dst_times_in_the_feed(client, world):
    ensure_meetings(world.team, datetime(2026, 10, 14, 12, 0, tzinfo=UTC), weeks=3)
    db.session.commit()
    url = _feed_url(client, world.expert)
    # The feed shows meetings from six weeks back; these lie in the future of the test's "now"
    # only when the suite runs before them, so read the .ics of one meeting per side of the change.
    from meeting.models import Meeting

    meetings = db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at)).all()
    local = []
    for m in meetings:
        ev = next(iter(_events(client.get(f"/meetings/{m.id}/meeting.ics").data).values()))
        start = ev.decoded("DTSTART")
        assert ev["DTSTART"].params["TZID"] == "Europe/Amsterdam"
        local.append((start.date().isoformat(), start.strftime("%H:%M"), start.utcoffset()))
    assert local == [
        ("2026-10-20", "09:00", timedelta(hours=2)),
        ("2026-10-27", "09:00", timedelta(hours=1)),
        ("2026-11-03", "09:00", timedelta(hours=1)),
    ]
    assert client.get(url).status_code == 200


def test_case_owner_feed_has_only_their_slot(client, world, published):
    meeting = published(2)
    mine = meeting.items[0]
    url = _feed_url(client, world.owner)
    events = _events(client.get(url).data)
    assert list(events) == [f"meeting-{meeting.id}-item-{mine.id}@expertteam.test"]
    ev = events[f"meeting-{meeting.id}-item-{mine.id}@expertteam.test"]
    assert ev.decoded("DTSTART") == mine.starts_at and ev.decoded("DTEND") == mine.ends_at
    assert mine.case.reference not in client.get(url).get_data(as_text=True)
    cancel_meeting(meeting, world.chair, reason="Storm")
    db.session.commit()
    ev = _events(client.get(url).data)[f"meeting-{meeting.id}-item-{mine.id}@expertteam.test"]
    assert str(ev["STATUS"]) == "CANCELLED" and int(ev["SEQUENCE"]) == 2


def test_renewing_the_token_retires_the_old_url(client, world):
    old = _feed_url(client, world.expert)
    assert client.get(old).status_code == 200
    new = _feed_url(client, world.expert)
    assert new != old and len(new.split("/")[-1]) >= 40
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    # Shown once: the next visit no longer shows the address, and the database holds only its hash.
    later = client.get("/meetings/").get_data(as_text=True)
    assert new not in later and 'id="feed-url"' not in later
    token = new.split("/")[-1][:-4]
    stored = db.session.scalars(sa.select(CalendarFeed.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()] and token not in str(stored)
    assert client.get("/meetings/feed/not-a-token.ics").status_code == 404
    details = db.session.scalars(sa.select(AuditEvent.details).where(AuditEvent.action.like("calendar_feed.%"))).all()
    assert len(details) == 2 and all(new.split("/")[-1][:-4] not in str(d) for d in details)
    world.expert.active = False
    db.session.commit()
    assert client.get(new).status_code == 404


def _session_payload(cookie: str) -> str:
    """The session cookie read as anyone who sees it can: its payload is only signed, so base64
    (and zlib when compressed) gives it back without the key."""
    compressed = cookie.startswith(".")
    payload = base64_decode(cookie.lstrip(".").split(".")[0])
    return (zlib.decompress(payload) if compressed else payload).decode()


def test_the_new_address_never_travels_readable_in_the_session_cookie(client, world):
    login(client, world.expert)
    renewed = post_form(client, "/meetings/feed/renew", token_from="/meetings/")
    assert renewed.status_code == 302
    carried = _session_payload(client.get_cookie("session").value)
    assert "calendar_feed_token" in carried and "_user_id" in carried  # the cookie was read
    page = client.get("/meetings/").get_data(as_text=True)
    match = re.search(r'id="feed-url" readonly value="[^"]+/feed/([^"/]+)\.ics"', page)
    assert match, "the new address is shown once"
    token = match.group(1)
    assert token not in carried and token not in client.get_cookie("session").value
    assert client.get(f"/meetings/feed/{token}.ics").status_code == 200
    assert 'id="feed-url"' not in client.get("/meetings/").get_data(as_text=True)  # and only once
    # A sealed address that is no longer the feed's (renewed since) is never shown.
    with client.session_transaction() as session:
        session["calendar_feed_token"] = calendar.sealed_for_page(token)
    calendar.renew_feed(world.expert)
    db.session.commit()
    assert 'id="feed-url"' not in client.get("/meetings/").get_data(as_text=True)
