"""The pilot dashboard at scale: the same number of statements (at most twelve, read auditing and
the bell included) for a team with 5 cases and with 500 cases of full history, and the figures
still right when they come from those statements."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from advice.closure.models import ClosureOutcome, EvaluationResult
from advice.models import ActionStatus, CostSide
from casefiles.models import CaseStatus
from core.db import db
from core.models import Domain
from core.period import Period
from reports import figures
from tests.conftest import login
from tests.reports.conftest import at

URL_ARGS = "from=2026-01-01&to=2026-06-30"


def _cases(world, builder, org, n: int, start: int) -> None:
    """``n`` cases each with its whole path in the first half of 2026: submitted, accepted,
    discussed, advised with an action and cost lines, completed and closed."""
    for i in range(start, start + n):
        day = at(2026, 1, 5) + timedelta(days=i % 150)
        c = builder.case(status=CaseStatus.CLOSED, submitted=day, intake=day + timedelta(days=2),
                         domains=[Domain.GGZ, Domain.DEBT] if i % 2 else [Domain.HOUSING], orgs=[org])
        builder.event(c, "case.submit", day)
        builder.event(c, "case.accept", day + timedelta(days=2))
        builder.discuss(c, day + timedelta(days=9))
        builder.advice(c, day + timedelta(days=10), actions=[dict(
            organisation_id=org.id, assigned_at=day + timedelta(days=10), deadline=(day + timedelta(days=24)).date(),
            status=ActionStatus.DONE, confirmed_at=day + timedelta(days=11), done_on=(day + timedelta(days=20)).date(),
            done_at=day + timedelta(days=20))],
            lines=[(CostSide.CURRENT, 1_000_000, 100), (CostSide.BREAKTHROUGH, 200_000, 100)])
        builder.event(c, "case.advise", day + timedelta(days=10))
        builder.event(c, "case.complete", day + timedelta(days=21))
        builder.event(c, "case.close", day + timedelta(days=22))
        builder.closure(c, day + timedelta(days=22), ClosureOutcome.REACHED, EvaluationResult.HELD if i % 3 else None)
    db.session.commit()


def test_dashboard_statements_are_the_same_at_5_and_500_cases(client, world, builder, make_org, count_queries):
    org = make_org("Woonstichting Schaal", team=world.team, committed_on=date(2025, 1, 1))
    url = f"/dashboard/teams/{world.team.id}?{URL_ARGS}"
    team_id, chair = world.team.id, world.chair
    _cases(world, builder, org, 5, 0)
    login(client, chair)
    client.get(url)
    db.session.expire_all()  # the test's session is shared with the requests: start both alike
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _cases(world, builder, org, 495, 5)
    db.session.expire_all()
    with count_queries() as large:
        response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert small.count == large.count, (small.count, large.count)
    assert large.count <= 12, large.count  # the escalation ladder's figures included (reports.ladder_figures)
    assert len(html) < 200_000
    # The figures of those statements: 500 cases through the whole path in the period.
    team = world.team
    fig = figures.compute(team, Period(date(2026, 1, 1), date(2026, 6, 30)), at(2026, 7, 15))
    for kind in ("submitted", "accepted", "advised", "completed", "closed"):
        assert fig.flow.counts[kind] == 500, kind
    assert fig.outcomes.total(ClosureOutcome.REACHED.value) == 500
    assert fig.outcomes.table[ClosureOutcome.REACHED.value]["unknown"] == len([i for i in range(500) if not i % 3])
    assert fig.costs.cases == 500 and fig.costs.net_cents == 500 * 800_000
    assert fig.lead_times["intake"].count == 500 and fig.lead_times["intake"].median == 2.0
    assert fig.lead_times["completed"].count == 500 and fig.lead_times["completed"].median == 11.0
    assert team_id == team.id


def test_a_withdrawal_before_submission_is_not_counted(world, builder):
    """The flow counts a withdrawal only of a case that had been submitted (one statement)."""
    submitted = builder.case(status=CaseStatus.WITHDRAWN, submitted=at(2026, 2, 1))
    builder.event(submitted, "case.withdraw", at(2026, 2, 3))
    draft = builder.case(status=CaseStatus.WITHDRAWN, submitted=None)
    builder.event(draft, "case.withdraw", at(2026, 2, 3))
    other = builder.case(world.other_team, status=CaseStatus.WITHDRAWN, submitted=at(2026, 2, 1))
    builder.event(other, "case.withdraw", at(2026, 2, 3))
    db.session.commit()
    fig = figures.flow(world.team.id, Period(date(2026, 1, 1), date(2026, 3, 31)), at(2026, 4, 1), 28)
    assert fig.counts["withdrawn"] == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("audit_events"))) >= 3
