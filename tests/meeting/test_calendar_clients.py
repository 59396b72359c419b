"""The feed as three common parsers read it (icalendar, vobject, ics) across both daylight-saving
changes: every meeting at 09:00 Amsterdam time, on the right UTC instant; UIDs with the
installation's domain; a reminder a day before (configurable)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import ics
import icalendar
import pytest
import sqlalchemy as sa
import vobject

from core.clock import utcnow
from core.db import db
from meeting.models import CalendarFeed
from meeting.schedule import add_extra_meeting, cancel_meeting
from tests.meeting.conftest import renewed_feed_path
from tests.conftest import login, post_form

AMS = ZoneInfo("Europe/Amsterdam")


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


@pytest.fixture
def around_changes(world):
    """Four meetings at 09:00 local: the Tuesdays before and after next year's March and
    October changes (in the future whenever the suite runs)."""
    year = utcnow().year + 1
    days = []
    for month in (3, 10):
        sunday = _last_sunday(year, month)
        days += [sunday - timedelta(days=5), sunday + timedelta(days=2)]
    meetings = []
    for day in days:
        start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=AMS).astimezone(timezone.utc)
        meetings.append(add_extra_meeting(world.team, world.chair, starts_at=start, ends_at=start + timedelta(hours=3)))
    db.session.commit()
    return meetings


def _feed(client, user) -> bytes:
    return client.get(_feed_url(client, user)).data


def _feed_url(client, user) -> str:
    login(client, user)
    path = renewed_feed_path(client)
    client.delete_cookie("session")
    return path


def test_three_parsers_agree_across_both_changes(client, world, around_changes):
    body = _feed(client, world.expert)
    text = body.decode()
    # A conventional VTIMEZONE: yearly rules, not a list of past transitions.
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text and "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in text
    assert text.count("BEGIN:VTIMEZONE") == 1
    expected = {f"meeting-{m.id}@expertteam.test": m.starts_at for m in around_changes}
    offsets = [timedelta(hours=h) for h in (1, 2, 2, 1)]

    # icalendar
    cal = icalendar.Calendar.from_ical(body)
    got = {str(e["UID"]): e.decoded("DTSTART") for e in cal.walk("VEVENT")}
    assert got == expected
    # vobject: its own reading of the VTIMEZONE (the one that placed summer meetings an hour late)
    parsed = vobject.readOne(text)
    got = {ev.uid.value: ev.dtstart.value for ev in parsed.vevent_list}
    assert got == expected
    for m, offset in zip(around_changes, offsets):
        start = got[f"meeting-{m.id}@expertteam.test"]
        assert start.utcoffset() == offset and (start.hour, start.minute) == (9, 0)
    # ics
    got = {e.uid: e.begin.datetime for e in ics.Calendar(text).events}
    assert got == expected
    for m, offset in zip(around_changes, offsets):
        start = got[f"meeting-{m.id}@expertteam.test"]
        assert start.utcoffset() == offset and (start.hour, start.minute) == (9, 0)


def test_reminder_and_domain(client, app, world, around_changes):
    cancel_meeting(around_changes[0], world.chair, reason="Storm")
    db.session.commit()
    app.config.update(CALENDAR_DOMAIN="gooistad.example", CALENDAR_ALARM_MINUTES=90)
    url = _feed_url(client, world.expert)
    cal = icalendar.Calendar.from_ical(client.get(url).data)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {f"meeting-{m.id}@gooistad.example" for m in around_changes}
    cancelled = events[f"meeting-{around_changes[0].id}@gooistad.example"]
    assert not cancelled.walk("VALARM")  # no reminder of a cancelled meeting
    alarm = events[f"meeting-{around_changes[1].id}@gooistad.example"].walk("VALARM")[0]
    assert str(alarm["ACTION"]) == "DISPLAY" and alarm.decoded("TRIGGER") == timedelta(minutes=-90)
    app.config.update(CALENDAR_ALARM_MINUTES=0)
    cal = icalendar.Calendar.from_ical(client.get(url).data)
    assert len(cal.walk("VEVENT")) == 4 and not cal.walk("VALARM")


def test_default_reminder_is_a_day_before(client, world, around_changes):
    parsed = vobject.readOne(_feed(client, world.expert).decode())
    triggers = {ev.valarm.trigger.value for ev in parsed.vevent_list}
    assert triggers == {timedelta(days=-1)}
