"""The administration lists at national scale: people, organisations and a team's members a page
at a time (keyset), counted in SQL, in the same number of statements at 5 and at 500 rows; every
row once across the pages."""
from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from core.db import db
from core.models import Commitment, Membership, Organisation, Role, User
from tests.conftest import login


@pytest.fixture
def admin_client(client, world):
    world.ids = {"team": world.team.id, "other_team": world.other_team.id, "other_name": world.other_team.name}
    world.admin.locale = "en"
    db.session.commit()
    login(client, world.admin)
    return client


def _people(world, n: int, start: int, *, active: bool = True) -> None:
    team_id = world.ids["other_team"]
    """``n`` people with a role in the other team, by two INSERTs (some share a name, so the
    keyset's tie-break on id is exercised)."""
    db.session.execute(sa.insert(User), [
        dict(email=f"bulk{start + i:04d}@example.test", name=f"Bulk {(start + i) // 2:04d}", password_hash="x",
             active=active, is_admin=False, locale="en")
        for i in range(n)])
    ids = db.session.scalars(sa.select(User.id).where(User.email.like("bulk%")).order_by(User.id)).all()[-n:]
    db.session.execute(sa.insert(Membership), [
        dict(user_id=uid, team_id=team_id, role=Role.CASE_OWNER, active=True) for uid in ids])
    db.session.commit()


def _walk(client, url: str, pattern: str, param: str) -> list[str]:
    """Everything matching ``pattern`` on every page of a list, following its 'Next' link."""
    seen, pages = [], 0
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(pattern, html)
        nxt = re.search(r'href="([^"]*(?:[?&]|&amp;)' + param + r'=[^"#]+)[^"]*" rel="next"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        pages += 1
        assert pages < 100
    return seen


def test_people_list_statements_do_not_grow_and_every_person_shows_once(admin_client, world, count_queries):
    _people(world, 5, 0)
    db.session.expunge_all()
    with count_queries() as small:
        assert admin_client.get("/admin/users").status_code == 200
    _people(world, 495, 5)
    db.session.expunge_all()
    with count_queries() as large:
        html = admin_client.get("/admin/users").get_data(as_text=True)
    assert small.count == large.count, (small.count, large.count)
    assert large.count <= 12
    from accounts.admin import USERS_PER_PAGE
    assert html.count('<th scope="row"') == USERS_PER_PAGE
    people = db.session.scalar(sa.select(sa.func.count(User.id)))
    assert f"{people} people" in html  # counted in SQL, not the page's length

    seen = _walk(admin_client, "/admin/users", r"bulk\d{4}@example.test", "after")
    assert sorted(seen) == [f"bulk{i:04d}@example.test" for i in range(500)]

    # A filter keeps its arguments across the pages: the other team's people, searched.
    seen = _walk(admin_client, f"/admin/users?team={world.ids['other_team']}&q=bulk%2001", r"bulk\d{4}@example.test", "after")
    assert sorted(seen) == sorted(f"bulk{i:04d}@example.test" for i in range(500) if f"Bulk {i // 2:04d}".startswith("Bulk 01"))


def test_people_list_filters_by_status(admin_client, world):
    _people(world, 3, 0, active=True)
    _people(world, 2, 3, active=False)
    active = admin_client.get("/admin/users?status=active").get_data(as_text=True)
    inactive = admin_client.get("/admin/users?status=inactive").get_data(as_text=True)
    assert set(re.findall(r"bulk\d{4}", active)) == {"bulk0000", "bulk0001", "bulk0002"}
    assert set(re.findall(r"bulk\d{4}", inactive)) == {"bulk0003", "bulk0004"}
    # An unknown status filters on nothing.
    assert len(set(re.findall(r"bulk\d{4}", admin_client.get("/admin/users?status=x").get_data(as_text=True)))) == 5


def _organisations(world, n: int, start: int) -> None:
    db.session.execute(sa.insert(Organisation), [dict(name=f"Org {start + i:04d}", active=True) for i in range(n)])
    ids = db.session.scalars(sa.select(Organisation.id).where(Organisation.name.like("Org %"))).all()
    db.session.execute(sa.insert(Commitment), [
        dict(team_id=world.ids["team"], organisation_id=oid, committed_on=date(2024, 1, 1)) for oid in ids[-n:]])
    db.session.commit()


def test_organisations_list_is_paged_in_a_fixed_number_of_statements(admin_client, world, count_queries):
    _organisations(world, 5, 0)
    db.session.expunge_all()
    with count_queries() as small:
        assert admin_client.get("/admin/organisations").status_code == 200
    _organisations(world, 495, 5)
    db.session.expunge_all()
    with count_queries() as large:
        html = admin_client.get("/admin/organisations").get_data(as_text=True)
    assert small.count == large.count, (small.count, large.count)
    assert large.count <= 12
    total = db.session.scalar(sa.select(sa.func.count(Organisation.id)))
    assert f"{total} organisations" in html
    seen = _walk(admin_client, "/admin/organisations", r"Org \d{4}", "after")
    assert sorted(seen) == [f"Org {i:04d}" for i in range(500)]


def test_team_page_pages_its_members(admin_client, world, count_queries):
    url = f"/admin/teams/{world.ids['other_team']}"
    _people(world, 5, 0)
    db.session.expunge_all()
    with count_queries() as small:
        assert admin_client.get(url).status_code == 200
    _people(world, 495, 5)
    db.session.expunge_all()
    with count_queries() as large:
        html = admin_client.get(url).get_data(as_text=True)
    assert small.count == large.count, (small.count, large.count)
    assert large.count <= 12
    roles = db.session.scalar(sa.select(sa.func.count(Membership.id)).where(Membership.team_id == world.ids["other_team"]))
    assert f"{roles} roles in all" in html
    seen = _walk(admin_client, url, r"Bulk \d{4}", "members")
    assert len(seen) == 500 and sorted(set(seen)) == [f"Bulk {i:04d}" for i in range(250)]


def test_teams_list_counts_active_members_in_sql(admin_client, world, count_queries):
    db.session.expunge_all()
    with count_queries() as small:
        html = admin_client.get("/admin/teams").get_data(as_text=True)
    before = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Membership.user_id))).join(User, User.id == Membership.user_id)
        .where(Membership.team_id == world.ids["other_team"], Membership.active.is_(True), User.active.is_(True)))
    _people(world, 40, 0)
    _people(world, 10, 40, active=False)  # deactivated people are not counted
    db.session.expunge_all()
    with count_queries() as large:
        html = admin_client.get("/admin/teams").get_data(as_text=True)
    assert small.count == large.count
    row = html.split(world.ids["other_name"])[1].split("</tr>")[0]
    assert re.search(rf">{before + 40}</td>", row), row
