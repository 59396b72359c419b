"""Outside the team no shown total gives a suppressed count back (``reports.figure_sums``), and no
figure sits beside the count of fewer than 5 cases it is taken over: with 1 to 4 cases (and 5,
shown), read back from the dashboard as the municipality sees it, the council's report, its PDF
and the CSV/ODS tables."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from xml.etree import ElementTree

import pytest
from flask_babel import force_locale

from advice.closure.models import ClosureOutcome, EvaluationResult
from advice.models import (
    Action,
    ActionStatus,
    Advice,
    AdviceStatus,
    EscalationKind,
)
from advice.plan.models import BlockageLesson, LessonSource
from casefiles.models import CaseStatus
from core.db import db
from core.models import Domain
from reports.dashboard import FLOW_LABELS, LEAD_LABELS
from tests.pdfcheck import read_pdf
from tests.reports.conftest import at
from tests.reports.test_views import Q1, login

S = CaseStatus
DAY = at(2026, 2, 2)
KS = [1, 2, 3, 4, 5]


@pytest.fixture
def municipality(world, make_user):
    return make_user("municipality", team=world.team, name="Gemeente Gooistad")


def _section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"')[1].split("</section>")[0]


def _row(html: str, label: str) -> list[str]:
    """The cells of the table row headed ``label`` (the first such row)."""
    found = re.search(rf'<th scope="row">{re.escape(label)}</th>((?:<td[^>]*>[^<]*</td>)+)', html)
    assert found, label
    return [c.replace("&lt;", "<") for c in re.findall(r"<td[^>]*>([^<]*)</td>", found[1])]


def _csv(client, team, figure: str, blueprint: str = "figures") -> dict[str, list[str]]:
    body = client.get(f"/dashboard/teams/{team.id}/{blueprint}.csv?{Q1}&figure={figure}").get_data()
    return {r[0]: r[1:] for r in csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";")}


def _ods(client, team, figure: str, blueprint: str = "figures") -> dict[str, list[str]]:
    body = client.get(f"/dashboard/teams/{team.id}/{blueprint}.ods?{Q1}&figure={figure}").get_data()
    ns = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0"}
    root = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(body)).read("content.xml"))
    rows = [["".join(c.itertext()) for c in r.findall("table:table-cell", ns)]
            for r in root.iter(f"{{{ns['table']}}}table-row")]
    return {r[0]: r[1:] for r in rows}


def _n(k: int) -> str:
    """A count of k as it leaves the team."""
    return "< 5" if k < 5 else str(k)


# --- the flow and the lead times: a case with intake is accepted or declined ---------------------

@pytest.fixture
def intakes(world, builder):
    """Six cases accepted and k declined in Q1: the intake lead times count 6 + k."""
    def make(k: int):
        for status, action, n in ((S.IN_EXECUTION, "case.accept", 6), (S.DECLINED, "case.decline", k)):
            for _ in range(n):
                c = builder.case(status=status, submitted=at(2026, 2, 1), intake=DAY)
                builder.event(c, action, DAY)
        db.session.commit()
    return make


def _flow_cells(output: str, client, world, municipality) -> tuple[str, str, str]:
    """(accepted, declined, intake lead times counted) as the output shows them."""
    team = world.team
    if output in ("page", "report", "pdf"):
        login(client, municipality if output == "page" else world.chair)
        url = {"page": f"/dashboard/teams/{team.id}?{Q1}", "report": f"/dashboard/teams/{team.id}/report?{Q1}",
               "pdf": f"/dashboard/teams/{team.id}/report.pdf?{Q1}"}[output]
        response = client.get(url)
        assert response.status_code == 200
        if output == "pdf":
            return _pdf_flow(read_pdf(response.get_data())["text"])
        page = response.get_data(as_text=True)
        _assert_bars_hide_their_length(_section(page, "h-flow").split("<table")[0])
        flow = _section(page, "h-flow").split("<table")[1]
        lead = _section(page, "h-lead").split("<table")[1]
        return (_row(flow, "Accepted")[0], _row(flow, "Declined")[0],
                _row(lead, "Submission → intake")[0])
    login(client, world.chair)
    read = _csv if output == "csv" else _ods
    flow, lead = read(client, team, "flow"), read(client, team, "leadtimes")
    return flow["Accepted"][0], flow["Declined"][0], lead["Submission → intake"][0]


def _assert_bars_hide_their_length(svg: str) -> None:
    """Every bar of a count left out is hatched and of one fixed length, whatever its value."""
    bars = re.findall(r'<text[^>]*>([^<]*)</text>\s*<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="\d+" '
                      r'fill="([^"]+)"[^>]*/>\s*<text[^>]*>([^<]*)</text>', svg)
    assert bars
    hidden = [(width, fill) for _label, width, fill, text in bars if text.replace("&lt;", "<") in ("< 5", "—")]
    assert len({width for width, _fill in hidden}) <= 1 and all("hatch" in fill for _w, fill in hidden), bars


def _pdf_flow(text: str) -> tuple[str, str, str]:
    """The same three from the PDF's text (Dutch), every time the label occurs (chart and table)."""
    with force_locale("nl"):
        accepted, declined, intake = (str(FLOW_LABELS["accepted"]), str(FLOW_LABELS["declined"]),
                                      str(LEAD_LABELS["intake"]))
    found = []
    for label in (accepted, declined, intake):
        values = set(re.findall(rf"{re.escape(label)} (< 5|—|\d+)", text))
        assert len(values) == 1, (label, values)
        found.append(values.pop())
    return tuple(found)


@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("output", ["page", "report", "pdf", "csv", "ods"])
def test_intakes_do_not_give_the_declined_back(client, world, municipality, intakes, k, output):
    """Below five declined, the accepted count is left out: 6 + k intakes minus 6 accepted would
    be the declined cases."""
    intakes(k)
    expected = ("—", "< 5", str(6 + k)) if k < 5 else ("6", "5", "11")
    assert _flow_cells(output, client, world, municipality) == expected


# --- outcomes: each row is the sum of its evaluation columns --------------------------------------

@pytest.mark.parametrize("k", KS)
def test_an_outcome_row_does_not_give_its_small_column_back(client, world, builder, municipality, k):
    for result, n in ((EvaluationResult.HELD, 6), (EvaluationResult.PARTLY, k)):
        for _ in range(n):
            c = builder.case(status=S.CLOSED)
            builder.closure(c, DAY, ClosureOutcome.REACHED, result)
            builder.event(c, "case.close", DAY)
    db.session.commit()
    held, partly = ("—", "< 5") if k < 5 else ("6", "5")
    login(client, municipality)
    page = client.get(f"/dashboard/teams/{world.team.id}?{Q1}").get_data(as_text=True)
    row = _row(_section(page, "h-outcomes"), "Breakthrough reached")
    assert row[:3] == [str(6 + k), held, partly]
    login(client, world.chair)
    assert _csv(client, world.team, "outcomes")["Breakthrough reached"][:3] == [str(6 + k), held, partly]


# --- follow-through: an organisation's actions are open, overdue, refused, done or dropped -------

@pytest.mark.parametrize("k", KS)
def test_the_follow_through_row_does_not_give_the_refused_back(client, world, builder, make_org, municipality, k):
    org = make_org("Alpha Wonen", team=world.team)
    done = dict(organisation_id=org.id, assigned_at=DAY, deadline=date(2026, 3, 1), status=ActionStatus.DONE,
                confirmed_at=at(2026, 2, 3), done_on=date(2026, 2, 20), done_at=at(2026, 2, 20))
    refused = dict(organisation_id=org.id, assigned_at=DAY, deadline=date(2026, 3, 1), status=ActionStatus.REFUSED,
                   refused_at=at(2026, 2, 4))
    builder.advice(builder.case(status=S.IN_EXECUTION), DAY, actions=[done] * 6 + [refused] * k)
    db.session.commit()
    # Actions, confirmed, done on time, done late, refused.
    on_time = "—" if k < 5 else "6"
    expected = [str(6 + k), "6", on_time, "0", _n(k)]
    login(client, municipality)
    page = _section(client.get(f"/dashboard/teams/{world.team.id}?{Q1}").get_data(as_text=True), "h-follow")
    assert _row(page, "Alpha Wonen")[:5] == expected
    assert _row(page, "All organisations")[:5] == expected
    login(client, world.chair)
    table = _csv(client, world.team, "followthrough")
    assert table["Alpha Wonen"][:5] == expected and table["All organisations"][:5] == expected


# --- escalations: every level's column adds up to "All organisations" ----------------------------

@pytest.mark.parametrize("k", KS)
def test_the_ladder_totals_do_not_give_a_small_organisation_back(client, world, builder, make_org, k):
    alpha, beta = make_org("Alpha Wonen", team=world.team), make_org("Beta GGZ", team=world.team)

    def escalated(org):
        return dict(organisation_id=org.id, assigned_at=DAY, deadline=date(2026, 3, 1), status=ActionStatus.REFUSED,
                    refused_at=at(2026, 2, 4), escalation_kind=EscalationKind.REFUSED)

    builder.advice(builder.case(status=S.IN_EXECUTION), DAY, actions=[escalated(alpha)] * 6 + [escalated(beta)] * k)
    db.session.commit()
    login(client, world.chair)
    for url in (f"/dashboard/teams/{world.team.id}/report?{Q1}",):
        ladder = _section(client.get(url).get_data(as_text=True), "h-ladder")
        first = ("—", "< 5") if k < 5 else ("6", "5")
        assert (_row(ladder, "Alpha Wonen")[0], _row(ladder, "Beta GGZ")[0]) == first
        assert _row(ladder, "All organisations")[0] == str(6 + k)
    assert db.session.query(Action).count() == 6 + k


# --- domains: the combinations add up to the cases submitted -------------------------------------

@pytest.mark.parametrize("k", KS)
def test_the_domains_do_not_give_a_small_combination_back(client, world, builder, municipality, k):
    for domain, n in ((Domain.GGZ, 6), (Domain.DEBT, k)):
        for _ in range(n):
            builder.case(status=S.SUBMITTED, submitted=DAY, domains=[domain])
    db.session.commit()
    big, small = ("—", "< 5") if k < 5 else ("6", "5")
    login(client, municipality)
    page = client.get(f"/dashboard/teams/{world.team.id}?{Q1}").get_data(as_text=True)
    assert _row(_section(page, "h-flow").split("<table")[1], "Submitted")[0] == str(6 + k)
    with force_locale("en"):
        ggz, debt = Domain.GGZ.label, Domain.DEBT.label
    domains = _section(page, "h-domains")
    assert (_row(domains, ggz)[0], _row(domains, debt)[0]) == (big, small)
    login(client, world.chair)
    table = _csv(client, world.team, "domains")
    assert (table[ggz][0], table[debt][0]) == (big, small)


# --- what blocks cases: no lessons counted over fewer than 5 cases -------------------------------

@pytest.mark.parametrize("k", KS)
def test_the_lessons_of_fewer_than_five_cases_are_left_out(client, world, builder, municipality, k):
    source = LessonSource(team_id=world.team.id, kind="rule", name="Kostendelersnorm")
    db.session.add(source)
    db.session.flush()
    advices = [builder.advice(builder.case(status=S.IN_EXECUTION), DAY) for _ in range(k)]
    for i in range(6):  # six lessons over the k cases, two deviating
        db.session.add(BlockageLesson(advice_id=advices[i % k].id, team_id=world.team.id, source_id=source.id,
                                      deviates=i < 2, recorded_at=DAY, recorded_by_id=world.chair.id))
    db.session.commit()
    # Cases, lessons, advice deviates.
    expected = ["< 5", "—", "—"] if k < 5 else ["5", "6", "< 5"]
    login(client, municipality)
    page = _section(client.get(f"/dashboard/teams/{world.team.id}?{Q1}").get_data(as_text=True), "h-blocking")
    assert _row(page, "Kostendelersnorm") == expected
    login(client, world.chair)
    for read in (_csv, _ods):
        cells = read(client, world.team, "", blueprint="blocking")[world.team.name]
        # Kind, name, lessons, cases, advice deviates.
        assert [cells[6], cells[5], cells[7]] == expected, read
    assert db.session.query(Advice).filter(Advice.status == AdviceStatus.ISSUED).count() == k
