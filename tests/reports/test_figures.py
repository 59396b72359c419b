"""Every pilot figure asserted exactly on the known history of conftest.history.

Q1 2026 (1 January .. 31 March, Amsterdam time) is the main period; also an empty period and a
period crossing the year (15 December 2025 .. 15 January 2026).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from advice.follow_through import org_figures
from advice.settings import AdviceSettings
from casefiles.models import Case, CaseStatus
from core.db import db
from core.models import Domain as D
from core.period import Period, preset
from reports import figures

NOW = datetime(2026, 4, 15, 10, 0, tzinfo=timezone.utc)
Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))
EMPTY = Period(date(2024, 1, 1), date(2024, 3, 31))
ACROSS = Period(date(2025, 12, 15), date(2026, 1, 15))


def test_period_bounds_follow_the_team_time_zone():
    assert Q1.start_utc == datetime(2025, 12, 31, 23, 0, tzinfo=timezone.utc)  # winter time, UTC+1
    assert Q1.end_utc == datetime(2026, 3, 31, 22, 0, tzinfo=timezone.utc)  # summer time, UTC+2
    assert ACROSS.months() == ["2025-12", "2026-01"]
    assert preset("last_quarter", date(2026, 2, 10)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert preset("this_quarter", date(2026, 11, 30)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert preset("this_year", date(2026, 5, 1)) == (date(2026, 1, 1), date(2026, 12, 31))
    assert preset("nonsense", date(2026, 5, 1)) is None


def test_flow(history):
    f = figures.flow(history.team.id, Q1, NOW, 28)
    assert f.counts == {"submitted": 8, "accepted": 5, "returned": 1, "declined": 1, "withdrawn": 1,
                        "advised": 4, "completed": 2, "closed": 2}
    assert (f.waiting_now, f.waiting_over_norm_now) == (1, 1)
    # Norm of 60 days: the queued case (submitted 5 March) has not waited that long on 15 April.
    assert figures.flow(history.team.id, Q1, NOW, 60).waiting_over_norm_now == 0


def test_lead_times_median_p90_and_norm(history):
    lt = figures.lead_times(history.team.id, Q1, 28)
    got = {k: (v.count, v.median, v.p90) for k, v in lt.items()}
    assert got == {
        "intake": (6, 4.0, 13.0),       # 1 2 4 4 6 13
        "meeting": (4, 13.0, 34.0),     # 4 13 29 34
        "advice": (4, 2.0, 2.0),        # 1 2 2 2
        "completed": (2, 20.0, 30.0),   # 20 30
        "waiting": (4, 17.0, 38.0),     # 15 17 30 38
    }
    assert lt["waiting"].over_norm == 2  # 30 and 38 days > 28
    assert figures.lead_times(history.team.id, Q1, 30)["waiting"].over_norm == 1  # exactly 30 is not more
    assert figures.lead_times(history.team.id, Q1, 38)["waiting"].over_norm == 0


def test_waiting_norm_is_a_team_setting(history):
    assert figures.waiting_norm_days(history.team.id) == 28
    db.session.add(AdviceSettings(team_id=history.team.id, waiting_norm_days=35))
    db.session.commit()
    fig = figures.compute(history.team, Q1, NOW)
    assert fig.norm_days == 35 and fig.lead_times["waiting"].over_norm == 1


def test_follow_through_per_organisation(history):
    orgs, total = org_figures.follow_through(history.team.id, NOW.date(), period=Q1)
    rows = {o.organisation: (o.total, o.confirmed, o.done_on_time, o.done_late, o.refused, o.open, o.overdue,
                             o.dropped, o.median_days_to_confirm, o.median_days_to_complete) for o in orgs}
    assert rows == {
        "Alpha Wonen": (4, 2, 2, 0, 0, 0, 1, 1, 1.5, 13.0),
        "Beta GGZ": (3, 2, 0, 1, 1, 1, 0, 0, 3.0, 19.0),
    }
    assert [o.organisation for o in orgs] == ["Alpha Wonen", "Beta GGZ"]
    assert (total.total, total.confirmed, total.done_on_time, total.done_late, total.refused, total.open,
            total.overdue, total.dropped) == (7, 4, 2, 1, 1, 1, 1, 1)


def test_trend_per_month(history):
    assert org_figures.monthly_trend(history.team.id, Q1) == [
        {"month": "2026-01", "confirmed": 2, "done": 0},
        {"month": "2026-02", "confirmed": 1, "done": 2},
        {"month": "2026-03", "confirmed": 1, "done": 1},
    ]


def test_outcomes_and_evaluation(history):
    o = figures.outcomes(history.team.id, Q1)
    assert o.table == {
        "reached": {"held": 1, "partly": 0, "not": 0, "unknown": 0},
        "partly": {"held": 0, "partly": 0, "not": 0, "unknown": 1},
        "not": {"held": 0, "partly": 0, "not": 0, "unknown": 0},
    }
    assert o.closed == 2
    assert figures.outcomes(history.team.id, Period(date(2025, 10, 1), date(2025, 12, 31))).table["not"]["not"] == 1


def test_domain_combinations(history):
    assert figures.domain_combinations(history.team.id, Q1) == [
        ((D.DEBT, D.GGZ), 3),
        ((D.HOUSING,), 2),
        ((D.DEBT, D.GGZ, D.PARENTING), 1),
        ((D.PARENTING,), 1),
        ((D.SOCIAL_WORK,), 1),
    ]


def test_most_involved_organisations(history):
    rows = [(o.organisation, o.cases, o.with_actions) for o in figures.organisations(history.team.id, Q1)]
    assert rows == [("Alpha Wonen", 3, 3), ("Beta GGZ", 3, 3), ("Gamma Schuldhulp", 1, 0)]


def test_costs_of_the_advised_cases(history):
    c = figures.costs(history.team.id, Q1)
    # c1: 20,000.00 × 0.5 and 1,500.00 × 1; c2 (version in force): 12,345.67 × 0.33 = 4,074.0711
    # -> 4,074.07 and 999.99 × 1.5 = 1,499.985 -> 1,499.99 (half up); c3: no lines;
    # c7: 100.00 × 2. The superseded version of c2 does not count.
    assert (c.cases, c.current_cents, c.breakthrough_cents, c.net_cents) == (4, 1_407_407, 319_999, 1_087_408)
    # Same rounding as the model's own amounts.
    from advice.models import Advice, AdviceStatus

    in_force = db.session.scalars(db.select(Advice).where(Advice.status == AdviceStatus.ISSUED,
                                                          Advice.case_id.in_([history.cases[k].id for k in ("c1", "c2", "c7")]))).all()
    assert sum(a.total_current_cents for a in in_force) == c.current_cents
    assert sum(a.total_breakthrough_cents for a in in_force) == c.breakthrough_cents


def test_empty_period(history):
    fig = figures.compute(history.team, EMPTY, NOW)
    assert set(fig.flow.counts.values()) == {0}
    assert fig.flow.waiting_now == 1  # "now" does not depend on the period
    assert all((v.count, v.median, v.p90, v.over_norm) == (0, None, None, 0) for v in fig.lead_times.values())
    assert fig.follow_through == [] and fig.follow_through_total.total == 0
    assert fig.trend == [{"month": m, "confirmed": 0, "done": 0} for m in ("2024-01", "2024-02", "2024-03")]
    assert fig.outcomes.closed == 0
    assert fig.domains == [] and fig.organisations == []
    assert (fig.costs.cases, fig.costs.current_cents, fig.costs.breakthrough_cents) == (0, 0, 0)


def test_empty_team(world):
    fig = figures.compute(world.team, Q1, NOW)
    assert fig.flow.counts["submitted"] == 0 and fig.flow.waiting_now == 0
    assert fig.costs.net_cents == 0 and fig.domains == []


def test_period_crossing_the_year(history):
    fig = figures.compute(history.team, ACROSS, NOW)
    # c7 (20 Dec), c11 (1 Jan local), c1 (5 Jan), c2 (10 Jan).
    assert fig.flow.counts == {"submitted": 4, "accepted": 3, "returned": 0, "declined": 0, "withdrawn": 0,
                               "advised": 1, "completed": 0, "closed": 0}
    assert (fig.lead_times["intake"].count, fig.lead_times["intake"].median, fig.lead_times["intake"].p90) == (3, 4.0, 13.0)
    assert (fig.lead_times["meeting"].count, fig.lead_times["meeting"].median) == (1, 4.0)
    assert fig.trend == [{"month": "2025-12", "confirmed": 0, "done": 0}, {"month": "2026-01", "confirmed": 0, "done": 0}]
    assert fig.domains == [((D.DEBT, D.GGZ), 1), ((D.DEBT, D.GGZ, D.PARENTING), 1), ((D.POLICE,), 1),
                           ((D.SOCIAL_WORK,), 1)]
    # Only c7 was first advised in the window (8 January): 100.00 × 2 breaking through.
    assert (fig.costs.cases, fig.costs.current_cents, fig.costs.breakthrough_cents) == (1, 0, 20_000)
    orgs, total = fig.follow_through, fig.follow_through_total
    assert [(o.organisation, o.total, o.dropped) for o in orgs] == [("Alpha Wonen", 1, 1)]


def test_other_team_sees_only_its_own(history):
    fig = figures.compute(history.other_team, Q1, NOW)
    assert fig.flow.counts["submitted"] == 1 and fig.flow.counts["accepted"] == 1
    assert fig.lead_times["intake"].count == 1 and fig.lead_times["meeting"].median == 14.0
    assert fig.follow_through == [] and fig.costs.cases == 0


@pytest.mark.parametrize("n, shown", [(None, ""), (0, "0"), (1, "< 5"), (4, "< 5"), (5, "5"), (123, "123")])
def test_suppress(n, shown):
    assert figures.suppress(n) == shown


def test_compute_uses_a_fixed_number_of_queries(history, builder, count_queries):
    with count_queries() as small:
        figures.compute(history.team, Q1, NOW)
    for i in range(30):
        c = builder.case(submitted=datetime(2026, 2, 1, tzinfo=timezone.utc), domains=[D.GGZ])
        builder.event(c, "case.accept", datetime(2026, 2, 2, tzinfo=timezone.utc))
        builder.discuss(c, datetime(2026, 3, 1 + i % 20, 8, i, tzinfo=timezone.utc))
    db.session.commit()
    db.session.expire_all()
    with count_queries() as large:
        fig = figures.compute(history.team, Q1, NOW)
    assert large.count == small.count <= 13
    assert fig.flow.counts["submitted"] == 38
    assert db.session.query(Case).count() > 40


def test_a_negative_duration_is_a_data_error_left_out_and_counted(history, builder, caplog):
    """A case whose intake is recorded before its submission (a clock error, a bad import) never
    shows as a negative lead time: it is left out of count, median and percentile, and counted."""
    bad = builder.case(status=CaseStatus.ACCEPTED, submitted=datetime(2026, 2, 20, tzinfo=timezone.utc),
                       intake=datetime(2026, 2, 14, tzinfo=timezone.utc), domains=[D.GGZ], orgs=[])
    db.session.commit()
    with caplog.at_level("WARNING", logger="reports.figures"):
        lt = figures.lead_times(history.team.id, Q1, 28)
    assert bad.id
    assert (lt["intake"].count, lt["intake"].median, lt["intake"].p90, lt["intake"].invalid) == (6, 4.0, 13.0, 1)
    assert all(v.median is None or v.median >= 0 for v in lt.values())
    assert "intake 1" in caplog.text and str(history.team.id) in caplog.text


def test_the_dashboard_says_how_many_durations_were_left_out(client, history, builder):
    from tests.conftest import login
    builder.case(status=CaseStatus.ACCEPTED, submitted=datetime(2026, 2, 20, tzinfo=timezone.utc),
                 intake=datetime(2026, 2, 14, tzinfo=timezone.utc), domains=[D.GGZ], orgs=[])
    history.chair.locale = "en"
    db.session.commit()
    login(client, history.chair)
    html = client.get(f"/dashboard/teams/{history.team.id}?from=2026-01-01&to=2026-03-31").get_data(as_text=True)
    assert "1 duration was left out" in html
    assert 'width="-' not in html
