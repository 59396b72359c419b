"""Escalated actions are back on the table: the next meeting's page lists them for the team."""
from datetime import timedelta

from advice.follow_through.services import refuse_action
from core.clock import utcnow
from core.db import db
from meeting.models import Meeting
from tests.conftest import login


def test_refused_action_appears_on_the_next_meeting_page(client, aw, issued):
    advice = issued()
    refused = advice.actions[0]
    refuse_action(refused, aw.contact, expected_version=refused.version, reason="Geen woning beschikbaar.")
    start = (utcnow() + timedelta(days=6)).replace(microsecond=0)
    meeting = Meeting(team=aw.team, starts_at=start, ends_at=start + timedelta(hours=3), slot_at=start,
                      cutoff_at=start - timedelta(days=4))
    db.session.add(meeting)
    db.session.commit()

    login(client, aw.expert)
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    section = html[html.index('class="back-on-table"'):]
    assert advice.case.reference in section and "Geen woning beschikbaar." in section

    # A case owner invited for an item sees the meeting, never the team's list back on the table.
    login(client, aw.owner2)
    response = client.get(f"/meetings/{meeting.id}")
    assert 'class="back-on-table"' not in response.get_data(as_text=True)
