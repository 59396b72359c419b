"""The financier's statement never shows an amount beside a suppressed count, and no total gives
a suppressed row back by subtraction: with 1 to 4 corrections or partly successful households
(and 5, shown), read back from every output (the page, the printable page, the PDF/A, the CSV and
the ODS)."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from advice.closure.models import CaseClosure, ClosureOutcome, EvaluationResult
from casefiles.models import CaseStatus
from core.db import db
from core.models import User
from financing import ledger
from financing.models import (
    FinancingAgreement,
    LedgerState,
    MissingRule,
    PriceKind,
    Scope,
)
from tests.conftest import login
from tests.pdfcheck import read_pdf

from .conftest import NOW, PRICE, at

JULY = "from=2026-07-01&to=2026-07-31"
CORRECTED_ON = at(2026, 7, 6, 10)
PARTIAL = PRICE * 40 // 100
STATES = [s.value for s in (LedgerState.SUCCESS, LedgerState.PARTIAL, LedgerState.EVALUATION_MISSING,
                            LedgerState.NO_SUCCESS)]
OUTPUTS = ("page", "print", "pdf", "csv", "ods")


@pytest.fixture
def agreement(world, builder, make_user):
    """A fixed price of € 2.500,00 per household, partly successful 40 %; the municipality reads."""
    world.municipality = make_user("municipality", team=world.team, name="Municipality")
    db.session.execute(sa.update(User).values(locale="en"))
    a = FinancingAgreement(
        team_id=world.team.id, financier="Stichting Doorbraakfonds", starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31), scope=Scope.ACCEPTED, price_kind=PriceKind.FIXED, price_cents=PRICE,
        partial_share_percent=40, grace_days=30, missing_rule=MissingRule.PARTIAL)
    db.session.add(a)
    db.session.commit()
    return a


def _closed(builder, evaluation):
    c = builder.case(status=CaseStatus.CLOSED, submitted=at(2026, 1, 5), intake=at(2026, 1, 10))
    builder.closure(c, at(2026, 2, 1), ClosureOutcome.REACHED, evaluation)
    return c


def _book(agreement, when):
    db.session.commit()
    ledger.book(agreement, when)
    db.session.commit()


def _six_successes_and(client, world, builder, agreement, evaluation, k: int) -> list:
    """Six successes and k households closed with ``evaluation``, booked on 1 July; the
    municipality signed in. The k cases, for a later correction."""
    for _ in range(6):
        _closed(builder, EvaluationResult.HELD)
    others = [_closed(builder, evaluation) for _ in range(k)]
    _book(agreement, NOW)
    login(client, world.municipality)
    return others


# --- reading every output back as {(table, row): (count, amount in cents)} -------------------------

def _count(text: str):
    text = text.strip()
    return text if text in ("< 5", "—") else int(re.sub(r"[.,]", "", text))


def _cents(text: str):
    text = text.strip()
    return text if text == "—" else int(re.sub(r"[^\d-]", "", text))


def _html(page: str) -> dict:
    labels = {"Success": "success", "Partly successful": "partial", "Evaluation missing": "followup_missing",
              "No success": "no_success", "Corrections": "corrections", "Due for the period": "due",
              "Total due": "total"}
    period, position = page.split('id="h-period"')[1].split('id="h-position"')
    out = {}
    for table, part in (("period", period), ("position", position.split('id="h-def"')[0])):
        for label, n, amount in re.findall(r'<th scope="row">([^<]+)</th><td[^>]*>(.*?)</td><td class="num">'
                                           r'(?:<strong>)?([^<]*)', part):
            out[table, labels[label]] = (_count(n.replace("&lt;", "<")) if n else None, _cents(amount))
    return out


def _pdf(text: str) -> dict:
    with force_locale("nl"):
        labels = {str(LedgerState(s).label): s for s in STATES}
    names = "|".join(sorted(map(re.escape, labels), key=len, reverse=True))
    period, position = text.split("In deze periode")[1].split("Stand aan het einde van de periode")[:2]
    out = {}
    for table, part in (("period", period), ("position", position)):
        for label, n, amount in re.findall(rf"\b({names}|Correcties) (< 5|—|[\d.]+) (—|€ [\d.]+,\d\d)", part):
            out[table, labels.get(label, "corrections")] = (_count(n), _cents(amount))
    out["period", "due"] = (None, _cents(re.search(r"Verschuldigd over de periode (€ [\d.]+,\d\d)", text)[1]))
    n, amount = re.search(r"Totaal verschuldigd (< 5|—|[\d.]+) (€ [\d.]+,\d\d)", text).groups()
    out["position", "total"] = (_count(n), _cents(amount))
    return out


def _table(rows: list[list]) -> dict:
    states = {"Success": "success", "Partly successful": "partial", "Evaluation missing": "followup_missing",
              "No success": "no_success", "Total due": "total"}
    out = {}
    for part, state, n, amount in (r[:4] for r in rows[1:] if r[0] != "How this statement is made"):
        table = "position" if part.startswith("Position") else "period"
        row = states.get(state) or ("corrections" if part.startswith("Corrections") else "due")
        out[table, row] = (_count(n) if n != "" else None, _cents(amount))
    return out


def _csv(body: bytes) -> dict:
    return _table(list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";")))


def _ods(body: bytes) -> dict:
    ns = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
          "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0"}
    value = f"{{{ns['office']}}}value"
    root = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(body)).read("content.xml"))
    # A number's typed value ("6", "15000.00"), else the cell's text ("< 5", "—").
    rows = [[c.get(value) or "".join(c.itertext()) for c in r.findall("table:table-cell", ns)]
            for r in root.iter(f"{{{ns['table']}}}table-row")]
    return _table(rows)


def read(client, agreement, output: str) -> dict:
    base = f"/financing/agreements/{agreement.id}/statement"
    url = {"page": f"{base}?{JULY}", "print": f"{base}/print?{JULY}", "pdf": f"{base}.pdf?{JULY}",
           "csv": f"{base}.csv?{JULY}", "ods": f"{base}.ods?{JULY}"}[output]
    response = client.get(url)
    assert response.status_code == 200, url
    if output in ("page", "print"):
        return _html(response.get_data(as_text=True))
    if output == "pdf":
        return _pdf(read_pdf(response.get_data())["text"])
    return _csv(response.get_data()) if output == "csv" else _ods(response.get_data())


def expected(period: dict, due: int, position: dict) -> dict:
    out = {("period", s): period.get(s, (0, 0)) for s in (*STATES, "corrections")}
    out["period", "due"] = (None, due)
    out.update({("position", s): position.get(s, (0, 0)) for s in (*STATES, "total")})
    return out


# --- the tests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("output", OUTPUTS)
def test_corrections_below_five_show_no_amount(client, world, builder, agreement, k, output):
    """Six successes and k households first booked as no success in July, then corrected to
    success on 6 July (k corrections of + € 2.500,00). Below five, the corrections' amount is left
    out, and so is the successes' row: the amount due minus the successes would give it back."""
    corrected = _six_successes_and(client, world, builder, agreement, EvaluationResult.NOT, k)
    db.session.execute(sa.update(CaseClosure).where(CaseClosure.case_id.in_([c.id for c in corrected]))
                       .values(evaluation_result=EvaluationResult.HELD))
    _book(agreement, CORRECTED_ON)

    due = 6 * PRICE + k * PRICE
    if k < 5:
        period = {"success": ("—", "—"), "no_success": ("< 5", "—"), "corrections": ("< 5", "—")}
    else:
        period = {"success": (6, 6 * PRICE), "no_success": (5, 0), "corrections": (5, 5 * PRICE)}
    position = {"success": (6 + k, due), "total": (6 + k, due)}
    assert read(client, agreement, output) == expected(period, due, position)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("output", OUTPUTS)
def test_partly_successful_below_five_show_no_amount(client, world, builder, agreement, k, output):
    """Six successes and k partly successful households booked in July: below five, the partial
    row's amount is left out, and the successes' too (else the amount due would give it back);
    the position's number of cases with it."""
    _six_successes_and(client, world, builder, agreement, EvaluationResult.PARTLY, k)

    due = 6 * PRICE + k * PARTIAL
    if k < 5:
        rows = {"success": ("—", "—"), "partial": ("< 5", "—")}
        position = {**rows, "total": ("—", due)}
    else:
        rows = {"success": (6, 6 * PRICE), "partial": (5, 5 * PARTIAL)}
        position = {**rows, "total": (11, due)}
    assert read(client, agreement, output) == expected(rows, due, position)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_a_row_without_money_needs_no_second_row_left_out(client, world, builder, agreement, k):
    """k households without success (no amount): "< 5" and "—"; the successes stay, since the
    amount due gives nothing away; the position's number of cases is left out."""
    _six_successes_and(client, world, builder, agreement, EvaluationResult.NOT, k)

    rows = {"success": (6, 6 * PRICE), "no_success": ("< 5", "—")}
    assert read(client, agreement, "csv") == expected(rows, 6 * PRICE,
                                                      {**rows, "total": ("—", 6 * PRICE)})


def test_every_output_says_what_the_marks_mean(client, world, builder, agreement):
    from markupsafe import escape

    from financing.views import footnote

    _six_successes_and(client, world, builder, agreement, EvaluationResult.PARTLY, 2)
    base = f"/financing/agreements/{agreement.id}/statement"
    with force_locale("en"):
        english = footnote()
    for url in (f"{base}?{JULY}", f"{base}/print?{JULY}"):
        assert str(escape(english)) in client.get(url).get_data(as_text=True), url
    assert english in client.get(f"{base}.csv?{JULY}").get_data().decode("utf-8-sig")
    content = zipfile.ZipFile(io.BytesIO(client.get(f"{base}.ods?{JULY}").get_data())).read("content.xml")
    assert english in "".join(ElementTree.fromstring(content).itertext())
    with force_locale("nl"):
        dutch = " ".join(footnote().split())
    assert dutch in read_pdf(client.get(f"{base}.pdf?{JULY}").get_data())["text"]
