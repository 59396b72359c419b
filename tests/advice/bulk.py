"""Many cases with issued advice and actions in every follow-through state, written directly with
the models (fast), for the tests of list pages at 5 and 500 cases. Each case ``i``:

- in execution (two of three cases): an open action of the first organisation (overdue for odd
  ``i``, escalated as overdue when ``i`` is divisible by 5), a confirmed one of the second and a
  done one of the first; every fourth case also has a refused action of the second organisation,
  escalated and waiting for the team;
- closed (every third case): a done and a dropped action, a closure whose evaluation is due
  (not yet noted by the team for even ``i``).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

from advice.closure.models import CaseClosure, ClosureOutcome
from advice.models import (
    Action,
    ActionStatus,
    Advice,
    AdviceStatus,
    EscalationKind,
    TeamDecision,
)
from casefiles.models import Case, CaseStatus
from core.db import db

_numbers = count(1)
#: Within the overview's default period (the last three months).
T0 = (datetime.now(UTC) - timedelta(days=60)).replace(minute=0, second=0, microsecond=0)


def fill(w, n: int, *, team=None, org=None, org2=None, today: date | None = None) -> list[Case]:
    """Add ``n`` cases to ``w.team`` (or ``team``) with the actions described above."""
    team, org, org2 = team or w.team, org or w.org, org2 or w.org2
    today = today or date.today()
    cases, advices = [], []
    for _ in range(n):
        i = next(_numbers)
        closed = i % 3 == 0
        moment = T0 + timedelta(hours=i)
        case = Case(team_id=team.id, owner_id=w.owner.id, year=2025, number=10_000 + i,
                    reference=f"{team.code}-B-{i:05d}", household_pseudonym=f"Gezin {i}",
                    status=CaseStatus.CLOSED if closed else CaseStatus.IN_EXECUTION)
        advice = Advice(case=case, version=1, status=AdviceStatus.DRAFT, advice_text="x")
        done = dict(status=ActionStatus.DONE, confirmed_at=moment, done_at=moment + timedelta(days=3),
                    done_on=(moment + timedelta(days=3)).date())
        if closed:
            advice.actions = [
                Action(organisation_id=org.id, description=f"done {i}", deadline=today - timedelta(days=30),
                       assigned_at=moment, **done),
                Action(organisation_id=org2.id, description=f"dropped {i}", deadline=today - timedelta(days=30),
                       assigned_at=moment, status=ActionStatus.DROPPED, team_decision=TeamDecision.DROP,
                       decided_at=moment + timedelta(days=5)),
            ]
        else:
            overdue = i % 2 == 1
            open_ = Action(organisation_id=org.id, description=f"open {i}", assigned_at=moment,
                           deadline=today - timedelta(days=20) if overdue else today + timedelta(days=10))
            if i % 5 == 0 and overdue:
                open_.escalated_at, open_.escalation_kind = moment + timedelta(days=30), EscalationKind.OVERDUE
                open_.ladder_level = 1  # at the team
            advice.actions = [
                open_,
                Action(organisation_id=org2.id, description=f"confirmed {i}", assigned_at=moment,
                       deadline=today + timedelta(days=10), status=ActionStatus.CONFIRMED, confirmed_at=moment),
                Action(organisation_id=org.id, description=f"done {i}", deadline=today, assigned_at=moment, **done),
            ]
            if i % 4 == 0:
                advice.actions.append(Action(
                    organisation_id=org2.id, description=f"refused {i}", assigned_at=moment, deadline=today,
                    status=ActionStatus.REFUSED, refused_at=moment + timedelta(days=1), refused_reason="No capacity",
                    escalated_at=moment + timedelta(days=1), escalation_kind=EscalationKind.REFUSED, ladder_level=1))
        db.session.add_all([case, advice])
        cases.append(case)
        advices.append(advice)
    db.session.flush()
    for advice in advices:  # issued after its parts exist, as the guard requires
        advice.status, advice.issued_at = AdviceStatus.ISSUED, T0
    db.session.flush()
    for case in cases:
        if case.status == CaseStatus.CLOSED:
            i = case.number - 10_000
            db.session.add(CaseClosure(
                case_id=case.id, team_id=team.id, outcome=ClosureOutcome.REACHED, closed_by_id=w.owner.id,
                closed_at=T0 + timedelta(hours=i), evaluation_due_on=today - timedelta(days=1 + i % 50),
                team_noted_at=None if i % 2 == 0 else T0 + timedelta(days=100)))
    db.session.commit()
    return cases
