"""Fixtures of the meeting tests: queued cases, meetings in a given state."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.clock import utcnow
from core.db import db
from core.models import Domain
from meeting.agenda import propose_agenda, publish_agenda
from meeting.models import Meeting, MeetingKind


@pytest.fixture
def queued(create_case):
    """An accepted case that has waited ``days`` days."""

    def _queued(urgency: str = "normal", days: float = 1, **kw):
        case = create_case("accepted", urgency=urgency, **kw)
        case.queued_at = utcnow() - timedelta(days=days)
        db.session.commit()
        return case

    return _queued


@pytest.fixture
def make_meeting(world):
    """A meeting of the world's team (default: starting in 30 minutes, so it can be run now)."""

    def _make(starts_at: datetime | None = None, minutes: int = 180, team=None, **kw) -> Meeting:
        team = team or world.team
        starts_at = starts_at or (utcnow() + timedelta(minutes=30)).replace(microsecond=0)
        meeting = Meeting(
            team=team, kind=kw.pop("kind", MeetingKind.REGULAR), starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes), slot_at=starts_at,
            cutoff_at=starts_at - timedelta(days=4), location=kw.pop("location", "Stadhuis, kamer 2"), **kw,
        )
        db.session.add(meeting)
        db.session.commit()
        return meeting

    return _make


@pytest.fixture
def published(world, make_meeting, queued):
    """A published meeting with ``n`` cases (the first owned by world.owner, the rest by owner2)."""

    def _published(n: int = 2, **kw) -> Meeting:
        meeting = make_meeting(**kw)
        for i in range(n):
            queued("normal", days=10 - i, owner=world.owner if i == 0 else world.owner2)
        propose_agenda(meeting, utcnow(), world.chair)
        publish_agenda(meeting, world.chair)
        db.session.commit()
        return meeting

    return _published


@pytest.fixture
def experts(world, make_user):
    """Four more experts, one per domain, so the team has five (its default quorum)."""
    return [
        make_user("expert", team=world.team, domain=d, name=f"Expert {d.value}")
        for d in (Domain.GGZ, Domain.DEBT, Domain.POLICE, Domain.PARENTING)
    ]


def renewed_feed_path(client) -> str:
    """Renew the signed-in user's feed through the page and read the address it shows once
    (only a hash of the token is stored, so the page is the only place to read it)."""
    import re
    from urllib.parse import urlsplit

    from tests.conftest import post_form

    response = post_form(client, "/meetings/feed/renew", token_from="/meetings/", follow_redirects=True)
    match = re.search(r'id="feed-url" readonly value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the new calendar address is shown once after renewing"
    return urlsplit(match.group(1)).path
