"""The ledger derived from recorded outcomes, its book (entries and corrections) and the
financier's statement, on a hand-built history with amounts worked out by hand (conftest.py)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from advice.closure import services as closure_service
from advice.closure.models import CaseClosure, EvaluationResult
from core.audit import AuditEvent
from core.clock import team_today
from core.db import db
from financing import ledger, statement
from financing.models import (
    EntryKind,
    FinancedCase,
    FinancingAgreement,
    LedgerEntry,
    MissingRule,
    PriceKind,
    Scope,
)

from .conftest import NOW, PRICE, at

PARTIAL = PRICE * 40 // 100  # 100.000 cents


def derived_rows(agreement, today=None):
    d = ledger.derived(agreement, today or team_today(agreement.team, NOW))
    return {r.reference: (r.state, r.amount_cents, r.due_on) for r in db.session.execute(sa.select(d))}


def test_fixed_price_states_amounts_and_due_dates(fin):
    rows = derived_rows(fin.agreement)
    evaluation_due, missing_after = date(2026, 5, 3), date(2026, 6, 2)
    expected = {c.reference: ("success", PRICE, evaluation_due) for c in fin.successes}
    expected.update({
        fin.c_partly_reached.reference: ("partial", PARTIAL, evaluation_due),
        fin.c_partly_holds.reference: ("partial", PARTIAL, evaluation_due),
        fin.c_not_reached.reference: ("no_success", 0, None),
        fin.c_not_holding.reference: ("no_success", 0, None),
        fin.c_missing.reference: ("followup_missing", PARTIAL, missing_after),
        fin.c_waiting.reference: ("running", 0, None),
        fin.c_running.reference: ("running", 0, None),
        fin.c_withdrawn.reference: ("no_success", 0, None),
    })
    assert rows == expected  # declined, accepted before the period and the other team's: not under it
    # The grace period is counted in days after the evaluation date: on 2 June it has not passed.
    assert derived_rows(fin.agreement, date(2026, 6, 2))[fin.c_missing.reference][0] == "running"
    fin.agreement.missing_rule = MissingRule.NOTHING
    assert derived_rows(fin.agreement)[fin.c_missing.reference] == ("followup_missing", 0, None)
    fin.agreement.missing_rule = MissingRule.FULL
    assert derived_rows(fin.agreement)[fin.c_missing.reference] == ("followup_missing", PRICE, missing_after)


def test_cost_based_price_with_a_cap_on_marked_cases(fin):
    a = fin.agreement
    a.scope, a.price_kind, a.price_cents = Scope.MARKED, PriceKind.COSTS, 0
    for c in (fin.c_success, fin.c_partly_reached, fin.successes[1]):
        db.session.add(FinancedCase(agreement_id=a.id, case_id=c.id))
    db.session.flush()
    rows = derived_rows(a)
    # No cap: 150.000 + round(999,99 × 1,5) = 299.999 (the superseded version's and the current
    # path's lines do not count); the partly reached case: 40 % of 50.000; no cost lines: 0.
    assert rows == {fin.c_success.reference: ("success", 299_999, date(2026, 5, 3)),
                    fin.c_partly_reached.reference: ("partial", 20_000, date(2026, 5, 3)),
                    fin.successes[1].reference: ("success", 0, None)}
    a.cap_cents = 200_000
    rows = derived_rows(a)
    assert rows[fin.c_success.reference] == ("success", 200_000, date(2026, 5, 3))
    assert rows[fin.c_partly_reached.reference] == ("partial", 20_000, date(2026, 5, 3))


def _book(fin, now):
    entries = ledger.book(fin.agreement, now)
    db.session.commit()
    return entries


def _entries(fin):
    return db.session.execute(sa.select(LedgerEntry.case_id, LedgerEntry.kind, LedgerEntry.state, LedgerEntry.amount_cents,
                                         LedgerEntry.delta_cents, LedgerEntry.booked_on)
                              .where(LedgerEntry.agreement_id == fin.agreement.id).order_by(LedgerEntry.id)).all()


def test_booking_is_set_based_idempotent_and_corrections_never_edit(fin, count_queries):
    with count_queries() as first:
        assert _book(fin, NOW) == (11, 0)  # every final state once; the two running cases not yet
    assert _book(fin, NOW) == (0, 0)       # twice: nothing changes
    before = _entries(fin)
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert _book(fin, at(2026, 7, 2)) == (0, 0) and _entries(fin) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audits
    assert first.count <= 8

    # The owner records the missing evaluation late (the real service): the case was booked as
    # "evaluation missing" (partial share); now it is a success: a correction row, audited.
    closure_service.record_evaluation(fin.c_missing, fin.owner, result="held", note="Still stable.", now=at(2026, 7, 5))
    db.session.commit()
    # A corrected evaluation (held -> does not hold) on a booked success.
    db.session.execute(sa.update(CaseClosure).where(CaseClosure.case_id == fin.c_success.id)
                       .values(evaluation_result=EvaluationResult.NOT))
    db.session.commit()
    assert _book(fin, at(2026, 7, 6, 10)) == (0, 2)
    after = _entries(fin)
    assert after[:len(before)] == before  # the old rows stay as they were
    new = {r.case_id: r for r in after[len(before):]}
    assert (new[fin.c_missing.id].kind, new[fin.c_missing.id].state, new[fin.c_missing.id].amount_cents,
            new[fin.c_missing.id].delta_cents, new[fin.c_missing.id].booked_on) == (
        EntryKind.CORRECTION, "success", PRICE, PRICE - PARTIAL, date(2026, 7, 6))
    assert (new[fin.c_success.id].state, new[fin.c_success.id].amount_cents, new[fin.c_success.id].delta_cents) == (
        "no_success", 0, -PRICE)
    audited = db.session.execute(sa.select(AuditEvent.object_id, AuditEvent.details)
                                 .where(AuditEvent.action == "financing.correction")).all()
    assert {(oid, d["state"], d["delta_cents"]) for oid, d in audited} == {
        (fin.c_missing.id, "success", PRICE - PARTIAL), (fin.c_success.id, "no_success", -PRICE)}
    assert _book(fin, at(2026, 7, 7)) == (0, 0)

    # The statement of July: the entries of 1 July and the corrections of 6 July.
    st = statement.statement(fin.agreement, date(2026, 7, 1), date(2026, 7, 31))
    assert st.booked.cases == {"success": 5, "partial": 2, "followup_missing": 1, "no_success": 3, "running": 0}
    assert st.booked.cents["success"] == 5 * PRICE and st.booked.cents["partial"] == 2 * PARTIAL
    assert (st.corrections, st.correction_cents) == (2, (PRICE - PARTIAL) - PRICE)
    assert st.due_cents == 5 * PRICE + 3 * PARTIAL + (PRICE - PARTIAL) - PRICE == 1_450_000
    assert st.position.cases == {"success": 5, "partial": 2, "followup_missing": 0, "no_success": 4, "running": 0}
    assert st.position.total_cents == 1_450_000
    # June: nothing booked yet. The position on 1 July already, before the corrections.
    assert statement.statement(fin.agreement, date(2026, 6, 1), date(2026, 6, 30)).due_cents == 0
    on_first = statement.statement(fin.agreement, date(2026, 7, 1), date(2026, 7, 1))
    assert on_first.position.cases["followup_missing"] == 1 and on_first.corrections == 0


def test_changed_terms_are_corrections_and_the_summary_shows_what_is_unbooked(fin):
    _book(fin, NOW)
    assert statement.summary(fin.agreement, date(2026, 7, 1)).unbooked == 0
    fin.agreement.partial_share_percent = 50
    db.session.commit()
    s = statement.summary(fin.agreement, date(2026, 7, 1))
    assert s.unbooked == 3 and s.cents["partial"] == 2 * PRICE // 2 and s.cases["running"] == 2
    assert _book(fin, at(2026, 7, 2)) == (0, 3)


def test_the_nightly_job_books_every_agreement_once(fin, app):
    from core.jobs import registered

    other = FinancingAgreement(team_id=fin.other_team.id, financier="Fonds Elders", starts_on=date(2026, 1, 1),
                               ends_on=date(2026, 12, 31), price_cents=100_000)
    db.session.add(other)
    db.session.commit()
    job = registered(app)["financing.book"]
    assert job.func(NOW) == "2 agreements: 12 entries, 0 corrections booked"  # 11 here, the other team's success
    assert job.func(NOW) == "2 agreements: 0 entries, 0 corrections booked"
    assert db.session.scalar(sa.select(LedgerEntry.amount_cents).where(LedgerEntry.agreement_id == other.id)) == 100_000
