"""A contact's pages count days by the team's calendar and the app's clock, never the server's:
half an hour after the team's midnight a UTC server's calendar still says the day before."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.clock import running_at
from tests.conftest import login, post_form


def _after_midnight(team):
    """Half past midnight at the team's, the coming night, in UTC; and that (team) day."""
    zone = ZoneInfo(team.timezone)
    day = datetime.now(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(0, 30), zone).astimezone(UTC), day


def test_reporting_done_just_after_the_teams_midnight_defaults_to_the_teams_day(client, aw, issued):
    advice = issued()
    housing = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    login(client, aw.contact)
    moment, day = _after_midnight(aw.team)
    with running_at(moment):
        html = client.get(f"/advice/actions/{housing.id}").get_data(as_text=True)
        assert f'value="{day.isoformat()}"' in html  # the "done on" field's default
        answer = post_form(client, f"/advice/actions/{housing.id}/done",
                           {"d-version": str(housing.version), "d-done_on": day.isoformat(), "d-note": "Keys handed over"},
                           token_from=f"/advice/actions/{housing.id}")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    assert housing.done_on == day
