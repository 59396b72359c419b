"""The processing overview lists every organisation that receives case data (involved, an action,
a signal request, attendance at the meeting), with its grounds, in a fixed number of statements."""
from __future__ import annotations

from datetime import date

from casefiles import lawful_basis
from casefiles.holds.models import ContactSignalRequest
from core.db import db
from meeting.models import Attendance, AttendanceStatus
from tests.advice.conftest import _english, aw, discussed, drafted, issued  # noqa: F401 - shared fixtures
from tests.conftest import login


def test_the_overview_lists_every_recipient_with_its_channel(client, aw, discussed, issued, make_org, make_user):  # noqa: F811
    signal_org = make_org("Politie Gooistad", team=aw.team)
    case = discussed()
    issued(case=case)  # actions for aw.org (the referring partner) and aw.org2
    # A signal request from an earlier hold (the service's own rules are tested in casefiles.holds).
    db.session.add(ContactSignalRequest(case_id=case.id, organisation_id=signal_org.id, whom_to_call="Owner",
                                        last_contact_on=date.today(), created_by_id=aw.owner.id))
    attendee_org = make_org("Leger des Heils", team=aw.team)
    attendee = make_user("org_contact", team=aw.team, organisation=attendee_org, name="Attendee")
    db.session.add(Attendance(meeting=case.meeting, user_id=attendee.id, status=AttendanceStatus.PRESENT))
    db.session.commit()
    assert lawful_basis.missing_grounds(case) == []  # no recipient at submission (org is the referring partner)
    login(client, aw.chair)
    html = client.get(f"/processing/teams/{aw.team.id}").get_data(as_text=True)
    for org in (aw.org2, signal_org, attendee_org):
        assert f'data-organisation="{org.id}"' in html, org.name
    # The referring partner (the controller) is no recipient of its own data.
    assert f'data-organisation="{aw.org.id}"' not in html
    assert "Woonstichting De Vaart" in html  # listed as controller
    # Signal and attendance recipients have no ground recorded: counted as cases without one.
    from reports.processing import compute

    by_org = {r.organisation_id: r for r in compute(aw.team)["recipients"]}
    assert by_org[aw.org2.id].channels == {"action": 1}
    assert by_org[signal_org.id].channels == {"signal": 1} and by_org[signal_org.id].without_ground == 1
    assert by_org[attendee_org.id].channels == {"attendance": 1}
    assert client.get(f"/processing/teams/{aw.team.id}?print=1").status_code == 200
    login(client, aw.owner)
    assert client.get(f"/processing/teams/{aw.team.id}").status_code == 404
