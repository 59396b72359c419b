"""iCalendar: a private feed per user and an .ics download per meeting.

Stable UIDs, SEQUENCE = Meeting.sequence (raised on every change), STATUS:CANCELLED for
cancelled meetings, local times with TZID and a VTIMEZONE. No case details: a case owner's
event says only that they present an item, at their slot.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event

from casefiles.models import Case
from core import audit
from core.clock import team_zone, utcnow
from core.db import db
from core.models import TEAM_ROLES, Role, User

from . import permissions
from .models import AgendaItem, CalendarFeed, Meeting, MeetingStatus

#: How far back the feed goes (calendar apps keep what they already have).
FEED_HISTORY = timedelta(days=42)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def get_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def renew_feed(user: User) -> CalendarFeed:
    """Create the user's feed, or give it a new token (the old URL stops working)."""
    feed = get_feed(user)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=new_token())
        db.session.add(feed)
        action = "calendar_feed.create"
    else:
        feed.token = new_token()
        feed.renewed_at = utcnow()
        action = "calendar_feed.renew"
    db.session.flush()
    # The audit row never contains the token.
    audit.record(action, object_type="calendar_feed", object_id=feed.id, actor=user)
    return feed


def feed_user(token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    feed = db.session.scalar(
        sa.select(CalendarFeed).where(CalendarFeed.token == token).options(sa.orm.joinedload(CalendarFeed.user))
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


def _event(meeting: Meeting, item: AgendaItem | None, base_url: str, stamp: datetime) -> Event:
    zone = team_zone(meeting.team)
    event = Event()
    if item is None:
        event.add("uid", f"meeting-{meeting.id}@expertteam")
        event.add("summary", _("%(team)s — meeting", team=meeting.team.name))
        start, end = meeting.starts_at, meeting.ends_at
    else:
        event.add("uid", f"meeting-{meeting.id}-item-{item.id}@expertteam")
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
        for meeting, item in entries:
            cal.add_component(_event(meeting, item, base_url, stamp))
        cal.add_missing_timezones()
        return cal.to_ical()


def meeting_entries(user: User, meeting: Meeting) -> list[tuple[Meeting, AgendaItem | None]]:
    """What one meeting's .ics holds for this user: the meeting, or their own item's slot."""
    if permissions.is_team_member(user, meeting.team_id):
        return [(meeting, None)]
    return [(meeting, item) for item in permissions.presenting_items(user, meeting)]
