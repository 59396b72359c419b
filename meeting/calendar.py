"""iCalendar: a private feed per user and an .ics download per meeting.

Stable UIDs that carry the installation's domain (``CALENDAR_DOMAIN``, else the host of
``APP_BASE_URL``), so two installations never collide; SEQUENCE = Meeting.sequence (raised on
every change), STATUS:CANCELLED for cancelled meetings; local times with TZID and a conventional
VTIMEZONE (yearly RRULEs for the daylight-saving changes, which every common parser reads the
same way, vobject included); a VALARM reminder ``CALENDAR_ALARM_MINUTES`` before (default a day;
0 for none). No case details: a case owner's event says only that they present an item, at
their slot.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import (
    Alarm,
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
)

from casefiles.models import Case
from core import audit, sealing
from core.clock import team_zone, utcnow
from core.db import db
from core.models import TEAM_ROLES, Role, User

from . import permissions
from .models import AgendaItem, CalendarFeed, Meeting, MeetingStatus

#: How far back the feed goes (calendar apps keep what they already have).
FEED_HISTORY = timedelta(days=42)


#: The session key that carries a new feed token, sealed, to the one page that shows it.
SHOW_ONCE = "calendar_feed_token"
#: How long the sealed token waits for that page (the redirect after renewing lands there at once).
SHOW_ONCE_SECONDS = 300
_SEALING = "calendar.show_once"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a feed token: its SHA-256. A token is 256 random bits, so a plain hash
    is enough (no salt or slow hash needed) and the lookup stays one indexed equality."""
    return hashlib.sha256(token.encode()).hexdigest()


def get_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def renew_feed(user: User) -> str:
    """Create the user's feed, or give it a new token (the old URL stops working). Returns the
    token, to show once: only its hash is kept."""
    token = new_token()
    feed = get_feed(user)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token_hash=token_hash(token))
        db.session.add(feed)
        action = "calendar_feed.create"
    else:
        feed.token_hash = token_hash(token)
        feed.renewed_at = utcnow()
        action = "calendar_feed.renew"
    db.session.flush()
    # The audit row never contains the token.
    audit.record(action, object_type="calendar_feed", object_id=feed.id, actor=user)
    return token


def sealed_for_page(token: str) -> str:
    """The new token as it travels in the session cookie to the page that shows it: sealed, since
    the cookie is signed but readable by anyone who sees it (a proxy's log, a shared computer)."""
    return sealing.seal(_SEALING, token)


def token_to_show(sealed: object, feed: CalendarFeed | None) -> str | None:
    """The token to show once: only when it was sealed moments ago and is still the feed's."""
    token = sealing.unseal(_SEALING, sealed, max_age=SHOW_ONCE_SECONDS)
    if token is None or feed is None or token_hash(token) != feed.token_hash:
        return None
    return token


def feed_user(token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    feed = db.session.scalar(
        sa.select(CalendarFeed).where(CalendarFeed.token_hash == token_hash(token))
        .options(sa.orm.joinedload(CalendarFeed.user))
    )
    if feed is None or not feed.user.active:
        return None
    return feed.user


def entries_for(user: User, now: datetime) -> list[tuple[Meeting, AgendaItem | None]]:
    """The meetings the user is expected at: every meeting of their teams (as expert, chair or
    secretary) and, as a case owner, the items they are invited to present."""
    since = now - FEED_HISTORY
    entries: list[tuple[Meeting, AgendaItem | None]] = []
    member_teams = user.team_ids(*TEAM_ROLES)
    if member_teams:
        meetings = db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.team_id.in_(member_teams), Meeting.starts_at >= since)
            .order_by(Meeting.starts_at)
            .options(sa.orm.joinedload(Meeting.team))
        ).all()
        entries += [(m, None) for m in meetings]
    owner_teams = user.team_ids(Role.CASE_OWNER)
    if owner_teams:
        items = db.session.scalars(
            sa.select(AgendaItem)
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .join(Case, Case.id == AgendaItem.case_id)
            .where(
                Case.owner_id == user.id,
                Meeting.team_id.in_(owner_teams),
                Meeting.agenda_published_at.is_not(None),
                AgendaItem.presenter_invited.is_(True),
                Meeting.starts_at >= since,
            )
            .order_by(AgendaItem.starts_at)
            .options(sa.orm.joinedload(AgendaItem.meeting).joinedload(Meeting.team))
        ).all()
        entries += [(i.meeting, i) for i in items]
    return entries


def calendar_domain() -> str:
    """The installation's domain for UIDs: CALENDAR_DOMAIN, else the host of APP_BASE_URL."""
    config = current_app.config
    domain = config.get("CALENDAR_DOMAIN") or urlsplit(config.get("APP_BASE_URL") or "").hostname
    return domain or config.get("SERVER_NAME") or "expertteam.invalid"


def _eu_rules(zone: ZoneInfo, year: int) -> tuple[timedelta, timedelta] | None:
    """(standard, summer) offsets when the zone changes on the EU rule (last Sunday of March and
    of October at 01:00 UTC) in ``year``; None for a zone that does otherwise."""
    def last_sunday(month: int) -> datetime:
        day = datetime(year, month, 31 if month in (3, 10) else 30)
        return day - timedelta(days=(day.weekday() + 1) % 7)

    utc = ZoneInfo("UTC")
    march = last_sunday(3).replace(hour=1, tzinfo=utc)
    october = last_sunday(10).replace(hour=1, tzinfo=utc)
    before, after = (march - timedelta(minutes=1)).astimezone(zone).utcoffset(), march.astimezone(zone).utcoffset()
    back = (october - timedelta(minutes=1)).astimezone(zone).utcoffset()
    if after - before != timedelta(hours=1) or back != after or october.astimezone(zone).utcoffset() != before:
        return None
    return before, after


def vtimezone(tzid: str, year: int) -> Timezone | None:
    """A conventional VTIMEZONE: the two yearly changes as RRULEs (for Europe/Amsterdam: the last
    Sunday of March 02:00 → 03:00, the last Sunday of October 03:00 → 02:00)."""
    zone = ZoneInfo(tzid)
    offsets = _eu_rules(zone, year)
    if offsets is None:
        return None
    standard, summer = offsets
    tz = Timezone()
    tz.add("tzid", tzid)
    tz.add("x-lic-location", tzid)
    daylight = TimezoneDaylight()
    daylight.add("tzname", datetime(year, 7, 1, tzinfo=zone).tzname())
    daylight.add("tzoffsetfrom", standard)
    daylight.add("tzoffsetto", summer)
    daylight.add("dtstart", datetime(1970, 3, 29, 1, 0) + standard)
    daylight.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    winter = TimezoneStandard()
    winter.add("tzname", datetime(year, 1, 1, tzinfo=zone).tzname())
    winter.add("tzoffsetfrom", summer)
    winter.add("tzoffsetto", standard)
    winter.add("dtstart", datetime(1970, 10, 25, 1, 0) + summer)
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    tz.add_component(daylight)
    tz.add_component(winter)
    return tz


def _alarm(summary: str) -> Alarm | None:
    minutes = int(current_app.config.get("CALENDAR_ALARM_MINUTES", 24 * 60) or 0)
    if minutes <= 0:
        return None
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", timedelta(minutes=-minutes))
    return alarm


def _event(meeting: Meeting, item: AgendaItem | None, base_url: str, stamp: datetime, domain: str) -> Event:
    zone = team_zone(meeting.team)
    event = Event()
    if item is None:
        event.add("uid", f"meeting-{meeting.id}@{domain}")
        event.add("summary", _("%(team)s — meeting", team=meeting.team.name))
        start, end = meeting.starts_at, meeting.ends_at
    else:
        event.add("uid", f"meeting-{meeting.id}-item-{item.id}@{domain}")
        event.add("summary", _("%(team)s — your item on the agenda", team=meeting.team.name))
        start, end = item.starts_at, item.ends_at
    event.add("dtstamp", stamp)
    event.add("last-modified", meeting.updated_at)
    event.add("dtstart", start.astimezone(zone))
    event.add("dtend", end.astimezone(zone))
    event.add("sequence", meeting.sequence)
    event.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED")
    if meeting.location:
        event.add("location", meeting.location)
    url = f"{base_url.rstrip('/')}/meetings/{meeting.id}"
    event.add("url", url)
    description = url
    if meeting.status == MeetingStatus.CANCELLED and meeting.cancel_reason:
        description = _("Cancelled: %(reason)s", reason=meeting.cancel_reason) + "\n" + url
    event.add("description", description)
    if meeting.status != MeetingStatus.CANCELLED and (alarm := _alarm(str(event["summary"]))) is not None:
        event.add_component(alarm)
    return event


def build(entries: Iterable[tuple[Meeting, AgendaItem | None]], user: User, base_url: str, name: str) -> bytes:
    """An iCalendar document in the user's language."""
    with force_locale(user.locale or "nl"):
        cal = Calendar()
        cal.add("prodid", "-//Expertteam//Meetings//NL")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", name)
        stamp = utcnow().replace(microsecond=0)
        domain = calendar_domain()
        zones: set[str] = set()
        events = []
        for meeting, item in entries:
            events.append(_event(meeting, item, base_url, stamp, domain))
            zones.add(meeting.team.timezone)
        for tzid in sorted(zones):
            if (tz := vtimezone(tzid, stamp.year)) is not None:
                cal.add_component(tz)
        for event in events:
            cal.add_component(event)
        cal.add_missing_timezones()  # only a zone that keeps other rules than the EU's
        return cal.to_ical()


def meeting_entries(user: User, meeting: Meeting) -> list[tuple[Meeting, AgendaItem | None]]:
    """What one meeting's .ics holds for this user: the meeting, or their own item's slot."""
    if permissions.is_team_member(user, meeting.team_id):
        return [(meeting, None)]
    return [(meeting, item) for item in permissions.presenting_items(user, meeting)]
