"""The queue: order by urgency then waiting time, filters, and a fixed number of queries."""
from datetime import timedelta

import sqlalchemy as sa

from casefiles import services
from casefiles.models import Case, CaseStatus, Urgency
from core.clock import utcnow
from core.db import db
from core.models import Domain
from tests.conftest import login


def _queued(create_case, urgency, days_ago, **kw):
    case = create_case("accepted", urgency=urgency, **kw)
    case.queued_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return case


def test_queue_orders_by_urgency_then_waiting_time(world, create_case):
    normal_old = _queued(create_case, "normal", 30)
    high_new = _queued(create_case, "high", 1)
    crisis_new = _queued(create_case, "crisis", 0)
    high_old = _queued(create_case, "high", 10)
    normal_new = _queued(create_case, "normal", 2)
    create_case("submitted")  # not in the queue
    ids = [c.id for c in db.session.scalars(services.queue_query(world.team.id))]
    assert ids == [crisis_new.id, high_old.id, high_new.id, normal_old.id, normal_new.id]


def test_queue_filters(world, create_case):
    housing = _queued(create_case, "normal", 3, domains=[Domain.HOUSING])
    ggz = _queued(create_case, "crisis", 3, domains=[Domain.GGZ, Domain.DEBT])
    ids = lambda **kw: [c.id for c in db.session.scalars(services.queue_query(world.team.id, **kw))]  # noqa: E731
    assert ids(domain=Domain.GGZ) == [ggz.id]
    assert ids(domain=Domain.HOUSING) == [housing.id]
    assert ids(urgency=Urgency.NORMAL) == [housing.id]
    assert ids(domain=Domain.POLICE) == []


def test_queue_page_shows_order_waiting_time_and_filters(client, world, create_case):
    old = _queued(create_case, "normal", 21, household_pseudonym="Gezin Oud")
    crisis = _queued(create_case, "crisis", 2, household_pseudonym="Gezin Crisis", domains=[Domain.GGZ])
    login(client, world.expert)
    html = client.get(f"/teams/{world.team.id}/queue").get_data(as_text=True)
    assert html.index("Gezin Crisis") < html.index("Gezin Oud")
    assert "3 weken" in html  # 21 days, Dutch by default
    html = client.get(f"/teams/{world.team.id}/queue?domain=ggz").get_data(as_text=True)
    assert "Gezin Crisis" in html and "Gezin Oud" not in html
    # A tampered filter value is ignored, not an error.
    assert client.get(f"/teams/{world.team.id}/queue?domain=<script>").status_code == 200


def _fill(world, n):
    for i in range(n):
        case = services.create_case(world.team, world.owner, household_pseudonym=f"Gezin {i}",
                                    domains=[Domain.HOUSING, Domain.DEBT], urgency="normal")
        case.status = CaseStatus.ACCEPTED
        case.queued_at = utcnow() - timedelta(hours=i)
    db.session.commit()


def test_queue_page_query_count_is_constant(client, world, count_queries):
    login(client, world.chair)
    url = f"/teams/{world.team.id}/queue"
    _fill(world, 5)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _fill(world, 195)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 200
    with count_queries() as large:
        html = client.get(url).get_data(as_text=True)
    assert html.count("Gezin ") >= 200
    assert small.count == large.count, (small.count, large.count)
