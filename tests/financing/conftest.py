"""A hand-built history under one financing agreement, every timestamp explicit, with the
amounts worked out by hand (see test_ledger.py). The builders are the pilot figures' own."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from advice.closure.models import ClosureOutcome, EvaluationResult
from advice.models import AdviceStatus, CostSide
from casefiles.models import CaseStatus
from core.db import db
from financing.models import FinancingAgreement, MissingRule, PriceKind, Scope
from tests.reports.conftest import at, builder  # noqa: F401 - the builder fixture, shared

O, F, S = ClosureOutcome, EvaluationResult, CaseStatus
PRICE = 250_000  # € 2.500,00 per successful household
#: "Today" for the ledger: 1 July 2026 (Europe/Amsterdam).
NOW = at(2026, 7, 1, 10)


@pytest.fixture
def fin(world, builder, make_user):  # noqa: F811 - the imported fixture
    """Cases of the team accepted in 2026 (c_* by state), one accepted before, one declined, one of
    the other team; a fixed-price agreement over every case accepted in 2026 (partial 40 %,
    grace 30 days, a missing evaluation counts as partial)."""
    b = builder
    h = SimpleNamespace(**vars(world))
    h.municipality = make_user("municipality", team=world.team, name="Municipality")
    intake = at(2026, 1, 10)

    def closed(outcome, evaluation=None, when=None, **kw):
        c = b.case(status=S.CLOSED, submitted=at(2026, 1, 5), intake=intake, **kw)
        b.closure(c, when or at(2026, 2, 1), outcome, evaluation)  # evaluation due 91 days later: 3 May 2026
        return c

    h.successes = [closed(O.REACHED, F.HELD) for _ in range(5)]
    h.c_success = h.successes[0]
    h.c_partly_reached = closed(O.PARTLY, F.HELD)
    h.c_partly_holds = closed(O.REACHED, F.PARTLY)
    h.c_not_reached = closed(O.NOT)
    h.c_not_holding = closed(O.REACHED, F.NOT)
    h.c_missing = closed(O.REACHED)                           # due 3 May + 30 days = 2 June: missing on 1 July
    h.c_waiting = closed(O.REACHED, when=at(2026, 4, 1))      # due 1 July + 30 days: still running
    h.c_running = b.case(status=S.IN_EXECUTION, submitted=at(2026, 1, 5), intake=intake)
    h.c_withdrawn = b.case(status=S.WITHDRAWN, submitted=at(2026, 1, 5), intake=intake)
    h.c_declined = b.case(status=S.DECLINED, submitted=at(2026, 1, 5), intake=intake)
    h.c_before = closed(O.REACHED, F.HELD)
    h.c_before.intake_at = at(2025, 12, 15)
    h.c_other = b.case(world.other_team, status=S.CLOSED, submitted=at(2026, 1, 5), intake=intake,
                       owner=world.other_owner)
    b.closure(h.c_other, at(2026, 2, 1), O.REACHED, F.HELD)
    # Cost lines: the version in force counts, its breaking-through lines only.
    b.advice(h.c_success, at(2026, 1, 20), status=AdviceStatus.SUPERSEDED, superseded=at(2026, 1, 22),
             lines=[(CostSide.BREAKTHROUGH, 900_000, 100)])
    b.advice(h.c_success, at(2026, 1, 22), version=2,
             lines=[(CostSide.BREAKTHROUGH, 150_000, 100), (CostSide.BREAKTHROUGH, 99_999, 150),
                    (CostSide.CURRENT, 5_000_000, 100)])          # 150.000 + 149.999 = 299.999 cents
    b.advice(h.c_partly_reached, at(2026, 1, 22), lines=[(CostSide.BREAKTHROUGH, 50_000, 100)])
    h.agreement = FinancingAgreement(
        team_id=world.team.id, financier="Stichting Doorbraakfonds", starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31), scope=Scope.ACCEPTED, price_kind=PriceKind.FIXED, price_cents=PRICE,
        partial_share_percent=40, grace_days=30, missing_rule=MissingRule.PARTIAL)
    db.session.add(h.agreement)
    db.session.commit()
    return h
