"""The advice page and the case page with everything on them (issued advice, escalated actions at
the team and higher up the ladder, a plan, needs tied to the advice and its actions, a hold, a
signal request, a closure, a repeat referral): the same number of statements at 5 and at 500
cases, at most 12, read auditing included. And the ladder level is the action's own column:
reading the levels of loaded actions costs no statement."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from advice.closure.models import CaseClosure, ClosureOutcome
from advice.drafting import ties
from advice.drafting.issuing import issue_advice
from advice.escalation import services as escalation
from advice.escalation.models import Escalation, Level
from advice.models import (
    Action,
    ActionStatus,
    Advice,
    EscalationKind,
)
from advice.plan import services as plan
from casefiles.blockage import services as blockage
from casefiles.holds import services as holds
from casefiles.models import CaseStatus
from core.clock import utcnow
from core.db import db
from tests.advice import bulk
from tests.advice.bulk import fill
from tests.conftest import login, page_statements

MAX_STATEMENTS = 12
GOALS = "Een eigen huis voor ons drieën\nDe huurschuld in een regeling"


def _full_case(aw, drafted, *, closed: bool = False, repeat_of=None) -> Advice:
    """An issued advice with a plan and ties to the blockage map; in execution with one action
    escalated to the team (refused), one at the steering group (level 3) and one confirmed, on
    hold with a signal request; or (``closed``) closed with its evaluation due."""
    advice = drafted(actions=[(aw.org, "Offer a home."), (aw.org2, "Start treatment."), (aw.org, "Settle the debt.")])
    case = advice.case
    needs = [blockage.add_need(case, aw.owner, title=f"Need {i} of {case.id}") for i in range(3)]
    blockage.link_needs(needs[0], needs[1], aw.owner, reason="waits")
    refused, steering, confirmed = advice.actions
    ties.tie_needs(advice, aw.secretary, need_ids=[needs[0].id], action_needs={steering.id: needs[2].id})
    plan.save_plan(advice, aw.secretary, coordinator_id=aw.expert.id, year_goals=GOALS, progress_check="Monthly.")
    db.session.commit()
    issue_advice(advice, aw.chair)
    db.session.commit()
    now = utcnow()
    if closed:
        for action in advice.actions:
            action.status, action.done_at, action.done_on = ActionStatus.DONE, now, now.date()
        case.status = CaseStatus.CLOSED
        db.session.add(CaseClosure(case_id=case.id, team_id=case.team_id, outcome=ClosureOutcome.REACHED,
                                   closed_by_id=aw.owner.id, closed_at=now - timedelta(days=100),
                                   evaluation_due_on=date.today() - timedelta(days=3)))
        case.repeat_of_id = repeat_of
    else:
        refused.status, refused.refused_at, refused.refused_reason = ActionStatus.REFUSED, now, "No capacity"
        refused.escalated_at, refused.escalation_kind, refused.ladder_level = now, EscalationKind.REFUSED, Level.TEAM
        steering.escalated_at, steering.escalation_kind = now - timedelta(days=30), EscalationKind.OVERDUE
        steering.ladder_level = Level.STEERING
        confirmed.status, confirmed.confirmed_at = ActionStatus.CONFIRMED, now
        db.session.add(Escalation(action_id=steering.id, team_id=case.team_id, organisation_id=steering.organisation_id,
                                  level=int(Level.STEERING), started_at=now, level_since=now,
                                  level_due_on=date.today() + timedelta(days=10)))
        case.status = CaseStatus.IN_EXECUTION
        holds.put_on_hold(case, aw.owner, reason="no_contact", note="", retry_on=date.today() + timedelta(days=7))
        holds.request_signals(case, aw.owner, organisation_ids=[aw.org.id], whom_to_call="Owner",
                              last_contact_on=date.today())
    db.session.commit()
    return advice


_count = page_statements  # statements and HTML of one request, nothing cached (tests.conftest)


@pytest.fixture(autouse=True)
def _own_numbers(monkeypatch):
    """``fill`` numbers its cases (and dates them an hour apart) from a counter shared by the
    tests of a run: these 500 cases count from their own, so they move no other test's dates."""
    monkeypatch.setattr(bulk, "_numbers", itertools.count(1))


@pytest.fixture
def full(aw, drafted):
    executing = _full_case(aw, drafted)
    closed = _full_case(aw, drafted, closed=True, repeat_of=executing.case_id)
    return executing, closed


def test_advice_and_case_pages_take_the_same_few_statements_at_5_and_500_cases(client, aw, full, count_queries):
    executing, closed = full
    pages = [(who, f"/advice/{advice.id}") for advice in full for who in ("chair", "owner")]
    pages += [(who, f"/cases/{advice.case_id}") for advice in full for who in ("chair", "owner")]

    def measure() -> dict[tuple[str, str], int]:
        out = {}
        for who, url in pages:
            login(client, getattr(aw, who))
            out[who, url], body = _count(client, count_queries, url)
            if url == f"/advice/{executing.id}":
                # Each action's level: the refused one at the team, one at the steering group, one with the contact.
                assert [f"ladder-{lv.css}" in body for lv in Level] == [True, True, False, True, False]
                assert "De huurschuld in een regeling" in body and "Expert" in body  # the plan, its coordinator
                assert f"Need 0 of {executing.case_id}" in body and f"Need 2 of {executing.case_id}" in body
            if url == f"/cases/{executing.case_id}":
                assert f"ladder-{Level.STEERING.css}" in body and "hold-badge" in body
            if url == f"/cases/{closed.case_id}" and who == "owner":
                assert f"/cases/{closed.case_id}/evaluation" in body  # the owner's evaluation is due
        return out

    fill(aw, 3)
    small = measure()
    fill(aw, 495)
    large = measure()
    assert small == large, (small, large)
    assert max(large.values()) <= MAX_STATEMENTS, large


def test_the_ladder_level_is_the_actions_column_and_costs_no_statement(aw, full, count_queries):
    expected = {a.id: escalation.level_of(a) for advice in full for a in advice.actions}
    assert sorted(expected.values()) == [Level.CONTACT] * 4 + [Level.TEAM, Level.STEERING]
    db.session.expire_all()
    loaded = db.session.scalars(sa.select(Action)).all()
    with count_queries() as q:
        levels = escalation.levels_of(loaded)
    assert q.count == 0 and levels == expected


def test_lists_read_the_ladder_levels_with_their_actions(client, aw, full):
    """The contact's home and the list back on the table show each action's ladder level without a
    statement of their own for it."""
    fill(aw, 20)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    for user, url, level in ((aw.contact2, "/advice/actions", Level.STEERING),
                             (aw.chair, f"/advice/teams/{aw.team.id}/back-on-table", Level.STEERING)):
        login(client, user)
        db.session.commit()
        db.session.expire_all()
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            body = client.get(url).get_data(as_text=True)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        assert f"ladder-{level.css}" in body and f"ladder-{Level.TEAM.css}" in body, url
        assert not [s for s in statements if s.startswith("SELECT advice_escalations.")], url
