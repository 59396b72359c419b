"""The follow-through figures on a hand-built example, with exact expected numbers."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from advice.drafting.issuing import issue_advice
from advice.follow_through import org_figures
from advice.models import ActionStatus
from core.db import db
from tests.advice.conftest import _english, aw, discussed, drafted  # noqa: F401  (fixtures of the advice)

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
TODAY = date(2026, 2, 1)


def test_figures_on_a_hand_built_example(aw, drafted):
    texts = ["a1", "a2", "a3", "a4", "a5"]
    advice = drafted(actions=[(aw.org, t) for t in texts] + [(aw.org2, "b1"), (aw.org2, "b2")])
    deadlines = {"a1": date(2026, 1, 15), "a2": date(2026, 1, 15), "a3": date(2026, 3, 1), "a4": date(2026, 1, 20),
                 "a5": date(2026, 1, 20), "b1": date(2026, 1, 15), "b2": date(2026, 1, 15)}
    for a in advice.actions:
        a.deadline = deadlines[a.description]
    db.session.commit()
    issue_advice(advice, aw.chair)
    db.session.commit()
    by = {a.description: a for a in advice.actions}
    for a in advice.actions:
        a.assigned_at = T0
    A = ActionStatus
    by["a1"].status, by["a1"].confirmed_at, by["a1"].done_on = A.DONE, T0 + timedelta(days=2), date(2026, 1, 10)
    by["a2"].status, by["a2"].confirmed_at, by["a2"].done_on = A.DONE, T0 + timedelta(days=4), date(2026, 1, 20)
    by["a3"].status, by["a3"].confirmed_at = A.CONFIRMED, T0 + timedelta(days=10)
    by["a5"].status = A.REFUSED
    by["b1"].status, by["b1"].done_on = A.DONE, date(2026, 1, 4)
    by["b2"].status = A.DROPPED
    db.session.commit()
    # Not counted: a draft's action, and another team's figures.
    drafted(actions=[(aw.org, "draft only")])

    rows = {r.organisation: r for r in org_figures.follow_through(aw.team.id, TODAY)[0]}
    assert set(rows) == {aw.org.name, aw.org2.name}
    a = rows[aw.org.name]
    assert (a.total, a.open, a.overdue, a.refused, a.done, a.done_on_time, a.dropped) == (5, 1, 1, 1, 2, 1, 0)
    assert a.follow_through_rate == 40.0
    assert a.median_days_to_confirm == 4.0     # of 2, 4, 10
    assert a.median_days_to_complete == 14.0   # of 9 and 19
    b = rows[aw.org2.name]
    assert (b.total, b.open, b.overdue, b.refused, b.done, b.done_on_time, b.dropped) == (2, 0, 0, 0, 1, 1, 1)
    assert b.follow_through_rate == 100.0
    assert b.median_days_to_confirm is None
    assert b.median_days_to_complete == 3.0
    # The contact's view: only their organisation.
    mine = org_figures.follow_through(aw.team.id, TODAY, organisation_ids={aw.org2.id})[0]
    assert [r.organisation for r in mine] == [aw.org2.name]
    assert org_figures.follow_through(aw.other_team.id, TODAY)[0] == []


def test_figures_take_a_fixed_number_of_queries(aw, drafted, count_queries):
    drafted(actions=[(aw.org, "x"), (aw.org2, "y")])
    team_id = aw.team.id
    with count_queries() as counter:
        org_figures.follow_through(team_id, TODAY)
    assert counter.count == 1  # counts and both medians in one grouped statement


def test_overview_figures_and_history_follow_the_period(client, aw):
    """The figures and the history cover the actions assigned in the chosen period (the last
    three months unless chosen); the open work is shown whatever its age."""
    from datetime import date as date_

    import sqlalchemy as sa

    from advice.models import Action
    from tests.advice.bulk import fill
    from tests.conftest import login

    cases = fill(aw, 6)
    old = [a for c in cases for a in db.session.scalars(sa.select(Action).join(Action.advice).where(
        Action.advice.has(case_id=c.id)))]
    year_ago = datetime.now(timezone.utc) - timedelta(days=200)
    for a in old:
        a.assigned_at = year_ago
    db.session.commit()
    login(client, aw.chair)
    url = f"/advice/teams/{aw.team.id}/overview"
    body = client.get(url).get_data(as_text=True)
    pending = [a for a in old if a.status in (ActionStatus.OPEN, ActionStatus.CONFIRMED)]
    settled = [a for a in old if a.status in (ActionStatus.DONE, ActionStatus.DROPPED)]
    assert all(f"#action-{a.id}\"" in body for a in pending)
    assert not any(f"#action-{a.id}\"" in body for a in settled)
    last_year = "last_year" if year_ago.year == date_.today().year - 1 else "this_year"
    body = client.get(f"{url}?period={last_year}").get_data(as_text=True)
    assert all(f"#action-{a.id}\"" in body for a in settled)
