"""The financing pages through the browser-like client: who sees them, keeping an agreement
with Dutch amounts, marking cases, bad input, the statement as page, CSV/ODS and printable page,
and a fixed number of statements per page."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from core.audit import AuditEvent
from core.db import db
from core.models import User
from financing import ledger
from financing.models import (
    FinancedCase,
    FinancingAgreement,
    LedgerEntry,
    PriceKind,
    Scope,
)
from tests.conftest import csrf_token, login, post_form

from .conftest import NOW, at

JULY = "from=2026-07-01&to=2026-07-31"


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture(autouse=True)
def english(fin):
    """Assertions in English (the Dutch of these pages is merged from var/nl_financing.po later)."""
    db.session.execute(sa.update(User).values(locale="en"))
    db.session.commit()


@pytest.fixture
def booked(fin):
    ledger.book(fin.agreement, NOW)
    db.session.commit()
    return fin


@pytest.mark.parametrize("role,status", [("chair", 200), ("municipality", 200), ("admin", 200), ("secretary", 404),
                                         ("expert", 404), ("owner", 404), ("contact", 404), ("other_chair", 404)])
def test_only_the_chair_the_administrator_and_the_municipality_see_it(client, booked, role, status):
    login(client, getattr(booked, role))
    a = booked.agreement
    for url in (f"/financing/teams/{booked.team.id}", f"/financing/agreements/{a.id}",
                f"/financing/agreements/{a.id}/statement?{JULY}", f"/financing/agreements/{a.id}/statement/print?{JULY}",
                f"/financing/agreements/{a.id}/statement.csv?{JULY}"):
        assert client.get(url).status_code == status, url
    if status == 200:
        page = text(client.get(f"/financing/agreements/{a.id}"))
        assert booked.c_missing.reference in page and "Gezin" not in page  # references, no household data


def test_the_municipality_reads_but_does_not_keep(client, booked):
    login(client, booked.municipality)
    a = booked.agreement
    page = text(client.get(f"/financing/agreements/{a.id}"))
    assert "Book now" not in page and "Change the agreement" not in page
    assert client.get(f"/financing/agreements/{a.id}/edit").status_code == 403
    assert client.get(f"/financing/teams/{booked.team.id}/new").status_code == 403
    token = csrf_token(client, f"/financing/agreements/{a.id}")
    assert client.post(f"/financing/agreements/{a.id}/book", data={"csrf_token": token}).status_code == 403


def test_the_chair_keeps_an_agreement_with_dutch_amounts_and_bad_input_changes_nothing(client, fin):
    login(client, fin.chair)
    url = f"/financing/teams/{fin.team.id}/new"
    form = {"financier": "Stichting Doorbraakfonds", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
            "scope": "marked", "price_kind": "costs", "price": "", "cap": "2,500.50", "partial_share_percent": "50",
            "grace_days": "30", "missing_rule": "nothing"}
    bad = post_form(client, url, {**form, "ends_on": "2025-12-31"})
    assert bad.status_code == 200 and "The end date is before the start date." in text(bad)
    bad = post_form(client, url, {**form, "cap": "two euro"})
    assert bad.status_code == 200 and "Enter an amount in euros" in text(bad)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FinancingAgreement)) == 1  # the fixture's
    response = post_form(client, url, form)
    assert response.status_code == 302
    made = db.session.scalar(sa.select(FinancingAgreement).where(FinancingAgreement.scope == Scope.MARKED))
    assert (made.price_kind, made.cap_cents, made.price_cents) == (PriceKind.COSTS, 250_050, 0)
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "financing.agreement_create"))
    assert audit.object_id == made.id and "Doorbraakfonds" not in str(audit.details)

    # Marking: a case of the team by its reference; an unknown one, a declined one and twice are refused.
    page = f"/financing/agreements/{made.id}"
    post_form(client, f"{page}/mark", {"reference": fin.c_success.reference.lower()}, token_from=page)
    for reference in ("GOO-2026-9999", fin.c_declined.reference, fin.c_success.reference, fin.c_other.reference):
        post_form(client, f"{page}/mark", {"reference": reference}, token_from=page)
    marked = db.session.scalars(sa.select(FinancedCase.case_id).where(FinancedCase.agreement_id == made.id)).all()
    assert marked == [fin.c_success.id]
    # Once booked, the case stays: unmarking is refused, and so is changing the period.
    post_form(client, f"{page}/book", token_from=page)
    assert db.session.scalar(sa.select(LedgerEntry.case_id).where(LedgerEntry.agreement_id == made.id)) == fin.c_success.id
    post_form(client, f"{page}/unmark/{fin.c_success.id}", token_from=page)
    assert db.session.get(FinancedCase, (made.id, fin.c_success.id)) is not None
    edit = f"{page}/edit"
    shown = text(client.get(edit))
    assert 'value="2,500.50"' in shown and 'value="Stichting Doorbraakfonds"' in shown
    refused = post_form(client, edit, {**form, "ends_on": "2026-06-30", "version": str(made.version)})
    assert refused.status_code == 200 and "fixed once the ledger has entries" in text(refused)
    db.session.expire_all()
    assert db.session.get(FinancingAgreement, made.id).ends_on == date(2026, 12, 31)
    # The cap may change: the next booking corrects the case's amount (a correction row).
    assert post_form(client, edit, {**form, "cap": "1,000", "version": str(made.version)}).status_code == 302
    post_form(client, f"{page}/book", token_from=page)
    rows = db.session.execute(sa.select(LedgerEntry.kind, LedgerEntry.amount_cents)
                              .where(LedgerEntry.agreement_id == made.id).order_by(LedgerEntry.id)).all()
    assert [(k.value, a) for k, a in rows] == [("entry", 250_050), ("correction", 100_000)]


def test_statement_page_csv_ods_and_print_suppress_small_counts(client, booked):
    login(client, booked.municipality)
    base = f"/financing/agreements/{booked.agreement.id}/statement"
    page = text(client.get(f"{base}?{JULY}"))
    # Five successes booked in July: exact; two partial, one missing: "< 5" and no amount ("—").
    assert '<th scope="row">Success</th><td class="num">5</td><td class="num">€12,500.00</td>' in page
    assert '<th scope="row">Partly successful</th><td class="num">&lt; 5</td><td class="num">—</td>' in page
    assert "€15,500.00" in page  # due for the period: 5 × 2.500 + 3 × 1.000
    printable = text(client.get(f"{base}/print?{JULY}"))
    assert 'class="pilot-report financing-statement"' in printable and "€15,500.00" in printable
    csv = client.get(f"{base}.csv?{JULY}")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    body = csv.get_data().decode("utf-8-sig")
    assert "Success;5;12500,00" in body and "Booked in the period;Partly successful;< 5;—\r\n" in body and "15500,00" in body
    ods = client.get(f"{base}.ods?{JULY}")
    content = zipfile.ZipFile(io.BytesIO(ods.get_data())).read("content.xml").decode()
    assert "15500" in content and "&lt; 5" in content
    assert client.get(f"{base}?from=2026-07-31&to=2026-07-01").status_code == 200  # a message, no 500
    assert client.get(f"{base}.csv?from=2026-07-31&to=2026-07-01").status_code == 400


def _add_cases(fin, builder, n):
    from advice.closure.models import ClosureOutcome, EvaluationResult
    from casefiles.models import CaseStatus

    for _ in range(n):
        c = builder.case(status=CaseStatus.CLOSED, submitted=at(2026, 1, 5), intake=at(2026, 1, 10))
        builder.closure(c, at(2026, 2, 1), ClosureOutcome.REACHED, EvaluationResult.HELD)
    db.session.commit()
    ledger.book(fin.agreement, NOW)
    db.session.commit()


def test_pages_run_a_fixed_number_of_statements(client, booked, builder, count_queries):
    login(client, booked.chair)
    a = booked.agreement
    urls = [f"/financing/agreements/{a.id}", f"/financing/agreements/{a.id}/statement?{JULY}",
            f"/financing/agreements/{a.id}/statement.csv?{JULY}"]
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            _add_cases(booked, builder, 120)
        for url in urls:
            client.get(url)
            db.session.expire_all()
            with count_queries() as counter:
                response = client.get(url)
            assert response.status_code == 200
            counts[size, url] = counter.count
    page = text(client.get(f"/financing/agreements/{a.id}/statement?{JULY}"))
    assert '<th scope="row">Success</th><td class="num">125</td>' in page
    for url in urls:
        assert counts["small", url] == counts["large", url] <= 8, (url, counts)


def test_amounts_are_read_in_the_readers_language(app):
    from flask_babel import force_locale

    from financing.forms import euros_to_cents

    with app.test_request_context("/"):
        with force_locale("nl"):
            assert euros_to_cents("€ 2.500,50") == 250_050 and euros_to_cents("1500") == 150_000
            assert euros_to_cents("") is None
            for bad in ("2,500.50", "twee", "-5"):
                with pytest.raises(ValueError):
                    euros_to_cents(bad)
        with force_locale("en"):
            assert euros_to_cents("2,500.50") == 250_050


def test_the_statement_as_an_archive_pdf(client, booked):
    """The financier's statement as PDF/A-2u in Dutch, with the same suppressed figures."""
    from tests.pdfcheck import assert_archive_pdf

    login(client, booked.municipality)
    response = client.get(f"/financing/agreements/{booked.agreement.id}/statement.pdf?{JULY}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    seen = assert_archive_pdf(response.get_data())
    assert "15.500,00" in seen["text"] and "< 5" in seen["text"]
    assert client.get(f"/financing/agreements/{booked.agreement.id}/statement.pdf?from=2026-07-31&to=2026-07-01"
                      ).status_code == 400
