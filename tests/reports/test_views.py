"""The dashboard, CSV and report pages: who may see them, exact versus suppressed figures, the
period form, the waiting norm, and a fixed number of queries whatever the number of cases."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from advice.settings import AdviceSettings
from casefiles.models import CaseStatus
from core.audit import AuditEvent
from core.db import db
from core.models import Domain, Role, User
from tests.conftest import csrf_token, post_form
from tests.conftest import login as _login


def login(client, user):
    """Sign in with the interface in English (the assertions read English labels)."""
    user.locale = "en"
    db.session.commit()
    return _login(client, user)

Q1 = "from=2026-01-01&to=2026-03-31"


@pytest.fixture
def municipality(world, make_user):
    return make_user("municipality", team=world.team, name="Gemeente Gooistad")


def text(response) -> str:
    return response.get_data(as_text=True)


def rows(response) -> list[list[str]]:
    """A CSV download as Dutch Excel reads it: a byte-order mark, then ';' between cells."""
    body = text(response)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_chair_sees_exact_figures(client, history):
    login(client, history.chair)
    page = text(client.get(f"/dashboard/teams/{history.team.id}?{Q1}"))
    assert "<svg" in page and "<table" in page
    # Returned: 1 (exact), in the flow table.
    assert '<th scope="row">Returned for more information</th><td class="num">1</td>' in page
    assert "&lt; 5" not in page.split("Download as CSV")[0].split("</svg>")[-1]
    assert "Alpha Wonen" in page and "Beta GGZ" in page
    assert ">1.5<" in page and ">19.0<" in page  # follow-through medians, exact inside the team
    assert "Sums over fewer than 5 cases are not shown." not in page and "€14,074.07" in page
    # No case details on the page.
    for c in history.cases.values():
        assert c.reference not in page and c.household_pseudonym not in page
    # The norm form is there for the team's lead.
    assert 'name="waiting_norm_days"' in page


def test_municipality_sees_suppressed_figures_and_no_norm_form(client, history, municipality):
    login(client, municipality)
    response = client.get(f"/dashboard/teams/{history.team.id}?{Q1}")
    assert response.status_code == 200
    page = text(response)
    assert '<th scope="row">Returned for more information</th><td class="num">&lt; 5</td>' in page
    assert '<th scope="row">Submitted</th><td class="num">8</td>' in page  # 5 or more stays exact
    assert 'name="waiting_norm_days"' not in page
    # Sums over 4 advised cases are left out; so are medians over fewer than 5 cases.
    assert "Sums over fewer than 5 cases are not shown." in page
    assert ('<th scope="row">Intake → meeting</th><td class="num">&lt; 5</td><td class="num">(fewer than 5)</td>'
            '<td class="num">(fewer than 5)</td>') in page
    assert ">1.5<" not in page and ">19.0<" not in page  # follow-through medians over 2 and 1 actions
    for c in history.cases.values():
        assert c.reference not in page and c.household_pseudonym not in page
    assert municipality.roles_in(history.team.id) == {Role.MUNICIPALITY}


def test_report_is_suppressed_even_for_the_chair(client, history):
    login(client, history.chair)
    response = client.get(f"/dashboard/teams/{history.team.id}/report?{Q1}")
    assert response.status_code == 200
    page = text(response)
    assert "period report" in page.lower()
    assert '<td class="num">&lt; 5</td>' in page
    assert '<th scope="row">Returned for more information</th><td class="num">&lt; 5</td>' in page
    assert "figures.csv" not in page  # no download links in the printed report
    for c in history.cases.values():
        assert c.reference not in page and c.household_pseudonym not in page


def test_csv_of_every_figure_is_suppressed(client, history):
    login(client, history.chair)
    base = f"/dashboard/teams/{history.team.id}/figures.csv?{Q1}&figure="
    flow = client.get(base + "flow")
    assert flow.status_code == 200 and flow.mimetype == "text/csv"
    assert "attachment" in flow.headers["Content-Disposition"] and "2026-01-01-2026-03-31" in flow.headers["Content-Disposition"]
    assert [r[1] for r in rows(flow)[1:]] == ["8", "5", "< 5", "< 5", "< 5", "< 5", "< 5", "< 5", "< 5", "< 5"]
    lead = rows(client.get(base + "leadtimes"))
    # 6 intake lead times: their statistics shown, the count left out ("—"): 6 intakes minus 5
    # accepted would give the one declined case back. 4 meeting lead times: count suppressed,
    # statistics left out.
    assert lead[1][1:4] == ["—", "4,0", "13,0"]  # decimal comma
    assert lead[2][1:4] == ["< 5", "", ""]
    trend = rows(client.get(base + "trend"))
    assert trend[1:] == [["01-2026", "< 5", "0"], ["02-2026", "< 5", "< 5"], ["03-2026", "< 5", "< 5"]]
    domains = rows(client.get(base + "domains"))
    assert domains[1][1] == "< 5" and len(domains) == 6
    costs = rows(client.get(base + "costs"))
    assert costs[1][1] == "< 5" and costs[2][1] == ""
    for figure in ("followthrough", "outcomes", "organisations"):
        response = client.get(base + figure)
        assert response.status_code == 200, figure
        body = text(response)
        assert "< 5" in body or figure == "outcomes"
        assert ";1;" not in body and ";2;" not in body and ";3;" not in body and ";4;" not in body
    assert client.get(base + "nonsense").status_code == 404


def test_csv_cells_cannot_become_formulas(client, world, make_org, builder):
    org = make_org("=HYPERLINK(\"http://evil\")", team=world.team)
    c = builder.case(submitted=datetime(2026, 2, 1, tzinfo=timezone.utc), orgs=[org], domains=[Domain.GGZ])
    db.session.commit()
    login(client, world.chair)
    out = rows(client.get(f"/dashboard/teams/{world.team.id}/figures.csv?{Q1}&figure=organisations"))
    assert out[1][0].startswith("'=") and c.id


def test_large_counts_are_exact_in_the_csv(client, world, builder):
    for _ in range(6):
        builder.case(submitted=datetime(2026, 2, 1, tzinfo=timezone.utc), domains=[Domain.GGZ, Domain.DEBT])
    db.session.commit()
    login(client, world.chair)
    out = rows(client.get(f"/dashboard/teams/{world.team.id}/figures.csv?{Q1}&figure=domains"))
    assert out[1:] == [["Debt assistance + Mental health care (GGZ)", "6"]]


@pytest.mark.parametrize("who", ["expert", "owner", "contact", "admin", "other_chair", "other_owner"])
def test_others_get_nothing(client, world, who):
    login(client, getattr(world, who))
    team = world.team.id
    for url in (f"/dashboard/teams/{team}", f"/dashboard/teams/{team}/report",
                f"/dashboard/teams/{team}/figures.csv?figure=flow"):
        assert client.get(url).status_code == 404, (who, url)
    token = csrf_token(client, "/")
    assert client.post(f"/dashboard/teams/{team}/norm", data={"csrf_token": token, "waiting_norm_days": "3"}).status_code == 404
    assert db.session.get(AdviceSettings, team) is None


def test_secretary_and_chair_of_the_team_may(client, world, municipality):
    for user in (world.chair, world.secretary, municipality):
        login(client, user)
        assert client.get(f"/dashboard/teams/{world.team.id}").status_code == 200
        assert client.get(f"/dashboard/teams/{world.other_team.id}").status_code == 404


def test_municipality_sees_no_case_content_queue_meeting_or_advice(client, world, create_case, municipality):
    from meeting.models import Meeting, MeetingStatus

    case = create_case("accepted", household_pseudonym="Gezin Geheim")
    start = datetime(2026, 1, 6, 8, tzinfo=timezone.utc)
    meeting = Meeting(team_id=world.team.id, starts_at=start, ends_at=start.replace(hour=11), slot_at=start,
                      cutoff_at=start.replace(day=2), status=MeetingStatus.PUBLISHED)
    db.session.add(meeting)
    db.session.commit()
    pages = (f"/cases/{case.id}", f"/teams/{world.team.id}/queue", f"/meetings/{meeting.id}",
             f"/advice/teams/{world.team.id}/overview", f"/advice/teams/{world.team.id}/back-on-table",
             f"/advice/teams/{world.team.id}/catalogue")
    login(client, world.chair)  # the pages exist and the team's chair reaches them
    for url in pages:
        assert client.get(url).status_code == 200, url
    login(client, municipality)
    for url in pages + (f"/cases/{case.id}/intake", f"/advice/cases/{case.id}"):
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)
        assert "Gezin Geheim" not in text(response)
    for url in ("/", "/meetings/", "/advice/actions"):
        response = client.get(url, follow_redirects=True)
        assert "Gezin Geheim" not in text(response), url
    home = text(client.get("/"))
    assert f"/dashboard/teams/{world.team.id}" in home  # the nav leads to the figures


def test_admin_can_give_the_municipality_role(client, world):
    login(client, world.admin)
    person = User(email="raad@example.test", name="Raadslid", password_hash="x")
    db.session.add(person)
    db.session.commit()
    response = post_form(client, f"/admin/users/{person.id}/memberships",
                         {"team_id": world.team.id, "role": "municipality"}, token_from=f"/admin/users/{person.id}")
    assert response.status_code == 302, text(response)[:2000]
    db.session.expire_all()
    assert person.roles_in(world.team.id) == {Role.MUNICIPALITY}


def test_period_presets_and_bad_dates(client, world):
    login(client, world.chair)
    url = f"/dashboard/teams/{world.team.id}"
    page = text(client.get(url + "?preset=last_year"))
    from core.clock import team_today

    year = team_today(world.team).year - 1
    assert f'value="{year}-01-01"' in page and f'value="{year}-12-31"' in page
    bad = client.get(url + "?from=2026-03-01&to=2026-01-01")
    assert bad.status_code == 200 and "The end date is before the start date." in text(bad)
    assert client.get(url + "/report?from=nonsense&to=2026-01-01").status_code == 400
    assert client.get(url + "/figures.csv?figure=flow&from=2026-01-01&to=2036-01-01").status_code == 400


def test_chair_sets_the_waiting_norm(client, world, municipality):
    login(client, world.chair)
    url = f"/dashboard/teams/{world.team.id}/norm"
    response = post_form(client, url + "?from=2026-01-01&to=2026-03-31&_external=1&_scheme=javascript",
                         {"waiting_norm_days": "35"}, token_from=f"/dashboard/teams/{world.team.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/dashboard/teams/{world.team.id}?from=2026-01-01&to=2026-03-31"
    assert db.session.get(AdviceSettings, world.team.id).waiting_norm_days == 35
    assert "35" in text(client.get(f"/dashboard/teams/{world.team.id}"))
    response = post_form(client, url, {"waiting_norm_days": "0"}, token_from=f"/dashboard/teams/{world.team.id}")
    db.session.expire_all()
    assert db.session.get(AdviceSettings, world.team.id).waiting_norm_days == 35
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "team.waiting_norm")) == 1
    login(client, municipality)
    response = post_form(client, url, {"waiting_norm_days": "3"}, token_from=f"/dashboard/teams/{world.team.id}")
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(AdviceSettings, world.team.id).waiting_norm_days == 35


def test_flow_counts_transitions_made_by_the_services(client, world, create_case):
    """The audit actions the figures read are the ones the case services write."""
    create_case("accepted")
    create_case("returned")
    create_case("declined")
    create_case("submitted")
    login(client, world.chair)
    out = dict((r[0], r[1]) for r in rows(client.get(f"/dashboard/teams/{world.team.id}/figures.csv?figure=flow&preset=this_year")))
    from core.clock import team_today, utcnow
    from core.period import Period
    from reports import figures

    today = team_today(world.team)
    fig = figures.compute(world.team, Period(today.replace(month=1, day=1), today), utcnow())
    assert fig.flow.counts["submitted"] == 4
    assert (fig.flow.counts["accepted"], fig.flow.counts["returned"], fig.flow.counts["declined"]) == (1, 1, 1)
    assert fig.flow.waiting_now == 1
    assert fig.lead_times["intake"].count == 2  # accepted and declined
    assert len(out) == 11


def test_dashboard_page_uses_a_fixed_number_of_queries(client, history, builder, count_queries):
    login(client, history.chair)
    url = f"/dashboard/teams/{history.team.id}?{Q1}"
    client.get(url)
    db.session.expire_all()  # the test's session is shared with the requests: start both alike
    with count_queries() as small:
        assert client.get(url).status_code == 200
    for i in range(40):
        c = builder.case(status=CaseStatus.ACCEPTED, submitted=datetime(2026, 2, 1, tzinfo=timezone.utc),
                         intake=datetime(2026, 2, 2, tzinfo=timezone.utc), domains=[Domain.GGZ, Domain.HOUSING])
        builder.event(c, "case.accept", datetime(2026, 2, 2, tzinfo=timezone.utc))
    db.session.commit()
    db.session.expire_all()
    with count_queries() as large:
        response = client.get(url)
    assert response.status_code == 200 and '<th scope="row">Submitted</th><td class="num">48</td>' in text(response)
    assert large.count == small.count <= 20
