"""The ledger of an agreement, derived from the cases' recorded outcomes (never typed), and
the book of it (``LedgerEntry``): entries and corrections, written set-based.

Derivation (one statement per agreement, whatever the number of cases), per case in scope:

- running: not closed yet, or closed and the three-month evaluation not recorded while the
  grace period has not passed;
- no success: withdrawn, closed with "not reached", or the evaluation says it does not hold;
- success: closed with "reached" and the evaluation says it holds;
- partial: any other recorded evaluation (reached and partly holds, partly reached and holds
  or partly holds);
- evaluation missing: closed, no evaluation recorded, and the evaluation date plus the grace
  period has passed (``today`` after it).

Amount due: the price (fixed, or the breaking-through cost lines of the advice version in force,
each unit cost × quantity rounded half up to cents, capped) × the share of the state: success
100 %, partial the agreement's share, evaluation missing as the agreement says (nothing, the
partial share or all), else 0; rounded half up to cents. Due on: the evaluation date (the
evaluation date plus the grace period for a missing evaluation); none when nothing is due.

Booking (``book``): the derived state of every case is compared with its last entry; a case
whose state became final gets an entry, a case whose booked state, amount or due date differs
gets a correction row (the old rows stay: no silent edit), each correction audited. One INSERT
… SELECT per agreement; running it twice books nothing the second time. The nightly job books
every agreement; the chair or an administrator can book at once from the ledger page.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from advice.closure.models import CaseClosure, ClosureOutcome, EvaluationResult
from advice.models import (
    Advice,
    AdviceStatus,
    CostLine,
    CostSide,
)
from casefiles.models import Case, CaseStatus
from core import audit
from core.clock import team_today, utcnow
from core.db import db
from core.models import User
from core.period import Period

from .models import (
    EntryKind,
    FinancedCase,
    FinancingAgreement,
    LedgerEntry,
    LedgerState,
    MissingRule,
    PriceKind,
    Scope,
)

S = LedgerState


def _plus_days(column, days: int):
    """SQL: a date column plus a whole number of days, as a date, per dialect."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(column + sa.literal(int(days), sa.Integer), sa.Date)
    return sa.func.date(column, f"+{int(days)} days", type_=sa.Date)


def scope_clause(agreement: FinancingAgreement):
    """The cases that fall under the agreement (a WHERE clause on ``Case``)."""
    if agreement.scope == Scope.MARKED:
        marked = sa.select(FinancedCase.case_id).where(FinancedCase.agreement_id == agreement.id)
        return sa.and_(Case.team_id == agreement.team_id, Case.id.in_(marked))
    period = Period(agreement.starts_on, agreement.ends_on, agreement.team.timezone)
    return sa.and_(Case.team_id == agreement.team_id, Case.intake_at.is_not(None),
                   Case.status != CaseStatus.DECLINED, period.contains(Case.intake_at))


def derived(agreement: FinancingAgreement, today: date) -> sa.Subquery:
    """The derived ledger: (case_id, reference, state, amount_cents, due_on) per case in scope."""
    a = agreement
    outcome, result = CaseClosure.outcome, CaseClosure.evaluation_result
    missing_after = _plus_days(CaseClosure.evaluation_due_on, a.grace_days)
    state = sa.case(
        (Case.status == CaseStatus.WITHDRAWN, S.NO_SUCCESS.value),
        (CaseClosure.id.is_(None), S.RUNNING.value),
        (outcome == ClosureOutcome.NOT, S.NO_SUCCESS.value),
        (result == EvaluationResult.NOT, S.NO_SUCCESS.value),
        (sa.and_(outcome == ClosureOutcome.REACHED, result == EvaluationResult.HELD), S.SUCCESS.value),
        (result.is_not(None), S.PARTIAL.value),
        (missing_after < today, S.EVALUATION_MISSING.value),
        else_=S.RUNNING.value,
    )
    q = (sa.select(Case.id.label("case_id"), Case.reference.label("reference"), state.label("state"),
                   CaseClosure.evaluation_due_on.label("evaluation_due_on"), missing_after.label("missing_after"))
         .select_from(Case).outerjoin(CaseClosure, CaseClosure.case_id == Case.id)
         .where(scope_clause(a)))
    if a.price_kind == PriceKind.COSTS:
        line = (CostLine.unit_cost_cents * CostLine.quantity_hundredths + 50) // 100
        costs = (sa.select(Advice.case_id, sa.func.sum(line).label("cents"))
                 .join(CostLine, CostLine.advice_id == Advice.id)
                 .join(Case, Case.id == Advice.case_id)
                 .where(Advice.status == AdviceStatus.ISSUED, CostLine.side == CostSide.BREAKTHROUGH,
                        scope_clause(a))
                 .group_by(Advice.case_id).subquery("costs"))
        cents = sa.func.coalesce(costs.c.cents, 0)
        if a.cap_cents is not None:
            cents = sa.case((cents > a.cap_cents, sa.literal(a.cap_cents)), else_=cents)
        q = q.add_columns(cents.label("base")).outerjoin(costs, costs.c.case_id == Case.id)
    else:
        q = q.add_columns(sa.literal(a.price_cents, sa.Integer).label("base"))
    inner = q.subquery("cases_in_scope")
    missing_share = {MissingRule.NOTHING: 0, MissingRule.PARTIAL: a.partial_share_percent,
                     MissingRule.FULL: 100}[a.missing_rule]
    share = sa.case((inner.c.state == S.SUCCESS.value, 100),
                    (inner.c.state == S.PARTIAL.value, a.partial_share_percent),
                    (inner.c.state == S.EVALUATION_MISSING.value, missing_share), else_=0)
    amount = (inner.c.base * share + 50) // 100
    due_on = sa.case(
        (sa.and_(inner.c.state.in_([S.SUCCESS.value, S.PARTIAL.value]), amount > 0), inner.c.evaluation_due_on),
        (sa.and_(inner.c.state == S.EVALUATION_MISSING.value, amount > 0), inner.c.missing_after),
        else_=sa.null())
    return sa.select(inner.c.case_id, inner.c.reference, inner.c.state,
                     amount.label("amount_cents"), sa.type_coerce(due_on, sa.Date).label("due_on")).subquery("derived")


def last_entries(agreement_id: int, booked_until: date | None = None) -> sa.Subquery:
    """The last entry per case of the agreement (booked up to a day, when given)."""
    last = sa.select(LedgerEntry.case_id, sa.func.max(LedgerEntry.id).label("id")).where(
        LedgerEntry.agreement_id == agreement_id)
    if booked_until is not None:
        last = last.where(LedgerEntry.booked_on <= booked_until)
    last = last.group_by(LedgerEntry.case_id).subquery("last_ids")
    return (sa.select(LedgerEntry).join(last, last.c.id == LedgerEntry.id)).subquery("last_entry")


def _differs(d, last):
    """Rows to book: a final state never booked, or a booked case whose derived row differs."""
    return sa.or_(
        sa.and_(last.c.id.is_(None), d.c.state != S.RUNNING.value),
        sa.and_(last.c.id.is_not(None), sa.or_(
            last.c.state != d.c.state, last.c.amount_cents != d.c.amount_cents,
            last.c.due_on.is_distinct_from(d.c.due_on))),
    )


def book(agreement: FinancingAgreement, now: datetime | None = None, actor: User | None = None) -> tuple[int, int]:
    """Bring the book of ``agreement`` up to date with the derived ledger: (entries, corrections)
    written. Set-based (one INSERT … SELECT); each correction audited; flushes, the caller commits."""
    now = now or utcnow()
    # One booking per agreement at a time (PostgreSQL row lock; SQLite writers are serialised).
    db.session.execute(sa.select(FinancingAgreement.id).where(FinancingAgreement.id == agreement.id)
                       .with_for_update())
    today = team_today(agreement.team, now)
    d, last = derived(agreement, today), last_entries(agreement.id)
    kind = sa.case((last.c.id.is_(None), EntryKind.ENTRY.value), else_=EntryKind.CORRECTION.value)
    rows = (sa.select(sa.literal(agreement.id, sa.Integer), d.c.case_id, kind, d.c.state, d.c.amount_cents,
                      d.c.amount_cents - sa.func.coalesce(last.c.amount_cents, 0), d.c.due_on,
                      sa.literal(today, sa.Date), sa.literal(now, LedgerEntry.recorded_at.type))
            .select_from(d).outerjoin(last, last.c.case_id == d.c.case_id)
            .where(_differs(d, last)))
    t = LedgerEntry.__table__
    insert = sa.insert(t).from_select(
        ["agreement_id", "case_id", "kind", "state", "amount_cents", "delta_cents", "due_on", "booked_on",
         "recorded_at"], rows).returning(t.c.id, t.c.case_id, t.c.kind, t.c.state, t.c.delta_cents)
    written = db.session.execute(insert).all()
    corrections = [r for r in written if r.kind == EntryKind.CORRECTION.value]
    for r in corrections:
        audit.record("financing.correction", object_type="case", object_id=r.case_id, actor=actor,
                     team_id=agreement.team_id,
                     details={"agreement": agreement.id, "entry": r.id, "state": r.state, "delta_cents": r.delta_cents})
    entries = len(written) - len(corrections)
    if entries:
        audit.record("financing.book", object_type="financing_agreement", object_id=agreement.id, actor=actor,
                     team_id=agreement.team_id, details={"entries": entries, "corrections": len(corrections)})
    db.session.flush()
    return entries, len(corrections)


def book_all(now: datetime) -> str:
    """The nightly job: book every agreement (one INSERT … SELECT each); commits."""
    agreements = db.session.scalars(sa.select(FinancingAgreement).order_by(FinancingAgreement.id)
                                    .options(sa.orm.joinedload(FinancingAgreement.team))).all()
    entries = corrections = 0
    for agreement in agreements:
        e, c = book(agreement, now)
        entries, corrections = entries + e, corrections + c
        db.session.commit()
    return f"{len(agreements)} agreements: {entries} entries, {corrections} corrections booked"


def has_entries(agreement_id: int, case_id: int | None = None) -> bool:
    q = sa.select(LedgerEntry.id).where(LedgerEntry.agreement_id == agreement_id)
    if case_id is not None:
        q = q.where(LedgerEntry.case_id == case_id)
    return db.session.scalar(q.limit(1)) is not None

