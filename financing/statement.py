"""What the pages show of an agreement: the derived ledger now (summary per state and the cases,
keyset-paged), the corrections, and the statement of a period for the financier.

The statement counts the book (``LedgerEntry``), not the live derivation: an entry belongs to
the period in which it was booked, so a statement once sent never changes; a later correction
appears in the statement of the period in which it was booked. Every figure is one grouped
statement, whatever the number of cases. What leaves the team is ``disclosed``: a count of 1 to 4
is "< 5" and its amount is left out, with complements so that no total gives a row back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from casefiles.models import Case
from core.db import db
from core.paging import Page, keyset
from reports.suppression import mark, protect

from .ledger import _differs, derived, last_entries
from .models import EntryKind, FinancingAgreement, LedgerEntry, LedgerState

#: The order of the states in every table.
STATES = (LedgerState.SUCCESS, LedgerState.PARTIAL, LedgerState.EVALUATION_MISSING, LedgerState.NO_SUCCESS,
          LedgerState.RUNNING)
#: The states a statement lists, a row each (a running case has nothing due).
LISTED = STATES[:-1]


@dataclass
class StateTotals:
    cases: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in STATES})
    cents: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in STATES})

    @property
    def total_cases(self) -> int:
        return sum(self.cases.values())

    @property
    def total_cents(self) -> int:
        return sum(self.cents.values())


@dataclass
class Summary(StateTotals):
    """The derived ledger now, per state; and how many cases differ from the book."""

    unbooked: int = 0


def summary(agreement: FinancingAgreement, today: date) -> Summary:
    """Per state: cases and amount due now (derived), and the cases not yet booked as shown."""
    d, last = derived(agreement, today), last_entries(agreement.id)
    rows = db.session.execute(
        sa.select(d.c.state, sa.func.count(), sa.func.coalesce(sa.func.sum(d.c.amount_cents), 0),
                  sa.func.coalesce(sa.func.sum(sa.case((_differs(d, last), 1), else_=0)), 0))
        .select_from(d).outerjoin(last, last.c.case_id == d.c.case_id).group_by(d.c.state)
    ).all()
    out = Summary()
    for state, n, cents, unbooked in rows:
        out.cases[state], out.cents[state] = int(n), int(cents)
        out.unbooked += int(unbooked)
    return out


def ledger_page(agreement: FinancingAgreement, today: date, cursor: str | None, size: int = 50) -> Page:
    """The cases of the agreement by reference: derived state, amount, due date, what is booked
    (state and amount of the last entry) and the number of corrections. One statement a page."""
    d, last = derived(agreement, today), last_entries(agreement.id)
    corrections = (sa.select(LedgerEntry.case_id, sa.func.count().label("n"))
                   .where(LedgerEntry.agreement_id == agreement.id, LedgerEntry.kind == EntryKind.CORRECTION)
                   .group_by(LedgerEntry.case_id).subquery("corrections"))
    q = (sa.select(d.c.case_id, d.c.reference, d.c.state, d.c.amount_cents, d.c.due_on,
                   last.c.state.label("booked_state"), last.c.amount_cents.label("booked_cents"),
                   sa.func.coalesce(corrections.c.n, 0).label("corrections"))
         .select_from(d).outerjoin(last, last.c.case_id == d.c.case_id)
         .outerjoin(corrections, corrections.c.case_id == d.c.case_id))
    return keyset(q, d.c.reference, d.c.case_id, cursor=cursor, size=size, newest_first=False, scalars=False,
                  key_of=lambda row: (row[1], row[0]))


def corrections_page(agreement: FinancingAgreement, cursor: str | None, size: int = 25) -> Page:
    """The correction rows of the book, newest first (history: keyset-paged)."""
    q = (sa.select(LedgerEntry, Case.reference).join(Case, Case.id == LedgerEntry.case_id)
         .where(LedgerEntry.agreement_id == agreement.id, LedgerEntry.kind == EntryKind.CORRECTION))
    return keyset(q, LedgerEntry.id, LedgerEntry.id, cursor=cursor, size=size, scalars=False,
                  key_of=lambda row: (row[0].id, row[0].id))


@dataclass
class Statement:
    """The financier's statement of a period."""

    booked: StateTotals
    """First entries booked in the period, per state (cases, amount)."""
    corrections: int
    correction_cents: int
    """Correction rows booked in the period and the net change of the amount due they make."""
    position: StateTotals
    """Every case booked up to the end of the period, by its state then (cases, amount due)."""

    @property
    def due_cents(self) -> int:
        """What the period adds to the amount due: its entries plus its corrections."""
        return self.booked.total_cents + self.correction_cents


def statement(agreement: FinancingAgreement, start: date, end: date) -> Statement:
    """The statement of the days ``start`` .. ``end`` (inclusive): one statement (UNION ALL)."""
    in_period = sa.and_(LedgerEntry.agreement_id == agreement.id, LedgerEntry.booked_on >= start,
                        LedgerEntry.booked_on <= end)
    # Plain strings (the position rows carry no kind, and the state comes out of a subquery).
    kind, state = sa.type_coerce(LedgerEntry.kind, sa.String), sa.type_coerce(LedgerEntry.state, sa.String)
    period_rows = (sa.select(sa.literal("period"), kind, state,
                             sa.func.count(), sa.func.sum(LedgerEntry.delta_cents))
                   .where(in_period).group_by(kind, state))
    last = last_entries(agreement.id, booked_until=end)
    position_rows = (sa.select(sa.literal("position"), sa.literal(""), sa.type_coerce(last.c.state, sa.String), sa.func.count(),
                               sa.func.sum(last.c.amount_cents)).group_by(last.c.state))
    booked, position = StateTotals(), StateTotals()
    corrections = correction_cents = 0
    for part, kind, state, n, cents in db.session.execute(sa.union_all(period_rows, position_rows)).all():
        if part == "position":
            position.cases[state], position.cents[state] = int(n), int(cents or 0)
        elif kind == EntryKind.CORRECTION.value:
            corrections += int(n)
            correction_cents += int(cents or 0)
        else:
            booked.cases[state], booked.cents[state] = int(n), int(cents or 0)
    return Statement(booked, corrections, correction_cents, position)


@dataclass(frozen=True)
class Disclosed:
    """The statement as it leaves the team. Rows: ``("booked", state)``, ``("corrections",)``,
    ``("due",)``, ``("position", state)``, ``("position", "total")``. A count is a number, "< 5"
    (1 to 4) or "—" (left out so that a total cannot give a number below 5 back); an amount is in
    cents, or None when left out with its count. The amounts due for the period and in all are
    always given: the financier is paid by them (so learns them anyway)."""

    counts: dict
    cents: dict
    hidden: frozenset

    def count(self, row: tuple) -> int | str:
        n = self.counts[row]
        return mark(n) if ("n", *row) in self.hidden else n

    def amount(self, row: tuple) -> int | None:
        return None if ("€", *row) in self.hidden else self.cents[row]


def disclosed(st: Statement) -> Disclosed:
    """Which of the statement's figures may leave the team (``reports.suppression.protect``): the
    rows of a period add up to the amount due for it, those of the position to its amount due in
    all; both amounts are shown, so a row's amount left out always has a second one beside it.
    The position's number of cases is left out as soon as a row's is: with the amount due and the
    price it would give the rows left out back."""
    counts: dict = {("corrections",): st.corrections}
    cents: dict = {("corrections",): st.correction_cents, ("due",): st.due_cents,
                   ("position", "total"): st.position.total_cents}
    for part, totals in (("booked", st.booked), ("position", st.position)):
        for s in LISTED:
            counts[part, s.value], cents[part, s.value] = totals.cases[s.value], totals.cents[s.value]
    counts["position", "total"] = sum(st.position.cases[s.value] for s in LISTED)
    booked = [("booked", s.value) for s in LISTED]
    position = [("position", s.value) for s in LISTED]
    rows = [*booked, ("corrections",), *position]
    hidden = protect(
        {("n", *row): n for row, n in counts.items()},
        [(("€", "due"), [("€", *row) for row in (*booked, ("corrections",))]),
         (("€", "position", "total"), [("€", *row) for row in position])],
        amounts={("€", *row): c for row, c in cents.items()},
        together=[(("n", *row), ("€", *row)) for row in rows],
        keep=[("€", "due"), ("€", "position", "total")])
    if any(("n", *row) in hidden for row in position):
        hidden |= {("n", "position", "total")}
    return Disclosed(counts, cents, hidden)
