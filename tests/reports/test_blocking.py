"""Lessons for the system (issue 17 part 3): lessons recorded per blockage of an issued advice
through the page, and their aggregation in the figures with small counts suppressed, in the
national programme's table without personal data."""
from __future__ import annotations

import pytest

from advice.models import Advice, AdviceStatus
from advice.plan import lessons
from advice.plan.models import BlockageLesson
from core.clock import team_today, utcnow
from core.db import db
from core.errors import ServiceError
from core.period import Period
from core.spreadsheet import csv_bytes
from reports.blocking import blocking, national_rows
from tests.advice.conftest import _english, aw, discussed, drafted, issued  # noqa: F401 - shared fixtures
from tests.conftest import login, post_form


def test_the_team_records_lessons_on_the_issued_advice(client, aw, issued):  # noqa: F811
    advice = issued()
    rule = lessons.add_source(aw.team, aw.chair, kind="rule", name="Urgentieregeling: geen urgentie bij huurschuld")
    db.session.commit()
    [(need_id, _title)] = lessons.blockages_of(advice)  # no map: the advice's own blockage
    assert need_id is None
    with pytest.raises(ServiceError):  # deviating needs a ground
        lessons.record_lessons(advice, aw.chair, [{"need_id": None, "source_id": rule.id, "deviates": True}])
    db.session.rollback()
    login(client, aw.owner)
    assert client.post(f"/plan/advice/{advice.id}/lessons", data={}).status_code in (400, 403)
    login(client, aw.secretary)
    response = post_form(client, f"/plan/advice/{advice.id}/lessons",
                         {"source-0": str(rule.id), "text-0": "", "deviates-0": "1", "ground-0": "Hardheidsclausule"})
    assert response.status_code == 302
    [lesson] = lessons.lessons_of(advice)
    assert (lesson.source_id, lesson.deviates, lesson.deviation_ground) == (rule.id, True, "Hardheidsclausule")
    assert "Hardheidsclausule" in client.get(f"/plan/advice/{advice.id}/lessons").get_data(as_text=True)


def test_lessons_aggregate_per_cause_with_small_counts_suppressed(aw, create_case):  # noqa: F811
    rule = lessons.add_source(aw.team, aw.chair, kind="rule", name="Kostendelersnorm")
    org = lessons.add_source(aw.team, aw.chair, kind="organisation", name="Woningcorporatie")
    now = utcnow()
    for i in range(6):
        case = create_case("draft", household_pseudonym=f"Gezin Geheim {i}")
        advice = Advice(case=case, status=AdviceStatus.ISSUED, issued_at=now)
        db.session.add(advice)
        db.session.flush()
        db.session.add(BlockageLesson(advice_id=advice.id, team_id=aw.team.id, source_id=rule.id, deviates=i < 3,
                                      deviation_ground="x" if i < 3 else "", recorded_at=now, recorded_by_id=aw.chair.id))
        if i < 2:
            db.session.add(BlockageLesson(advice_id=advice.id, team_id=aw.team.id, source_id=org.id, recorded_at=now,
                                          recorded_by_id=aw.chair.id))
    # Another team's lesson never counts.
    other = create_case("draft", team=aw.other_team, owner=aw.other_owner)
    other_advice = Advice(case=other, status=AdviceStatus.ISSUED, issued_at=now)
    db.session.add(other_advice)
    db.session.flush()
    db.session.add(BlockageLesson(advice_id=other_advice.id, team_id=aw.other_team.id, source_id=None, free_text="x",
                                  recorded_at=now, recorded_by_id=aw.other_chair.id))
    db.session.commit()
    today = team_today(aw.team, now)
    period = Period(today.replace(day=1), today)
    found = blocking(aw.team.id, period)
    assert [(b.kind, b.name, b.lessons, b.cases, b.deviations) for b in found] == [
        ("rule", "Kostendelersnorm", 6, 6, 3), ("organisation", "Woningcorporatie", 2, 2, 0)]
    rows = national_rows(aw.team, period, found)
    assert rows[1][5:] == ["Kostendelersnorm", "6", "6", "< 5"]
    # Fewer than 5 cases: their lessons and deviations are left out, zero included.
    assert rows[2][5:] == ["Woningcorporatie", "—", "< 5", "—"]
    body = csv_bytes(rows).decode("utf-8-sig")
    assert "Gezin Geheim" not in body and aw.owner.name not in body


def test_the_dashboard_shows_and_exports_the_blockers(client, aw):  # noqa: F811
    lessons.add_source(aw.team, aw.chair, kind="law", name="Participatiewet art. 18")
    db.session.commit()
    login(client, aw.chair)
    page = client.get(f"/dashboard/teams/{aw.team.id}").get_data(as_text=True)
    assert 'id="h-blocking"' in page
    response = client.get(f"/dashboard/teams/{aw.team.id}/blocking.ods")
    assert response.status_code == 200 and response.mimetype.startswith("application/vnd.oasis")
    login(client, aw.owner)
    assert client.get(f"/dashboard/teams/{aw.team.id}/blocking.csv").status_code == 404
