"""The follow-through pages show open work in full and history on request: a fixed number of
statements per page at 5 and at 500 cases, every done item exactly once across the pages of the
history, and the list back on the table holding only what awaits a decision of the team."""
from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from advice.closure.models import CaseClosure
from advice.closure.services import record_evaluation_review
from advice.follow_through import action_lists
from advice.follow_through.services import complete_action, back_on_table, record_team_decision, refuse_action
from advice.models import (
    Action,
    ActionStatus,
    Advice,
    AdviceStatus,
    EscalationKind,
)
from casefiles.models import Case
from core.clock import utcnow
from core.db import db
from tests.advice.bulk import fill
from tests.conftest import login

MAX_STATEMENTS = 12
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


def _pages(client, url: str, pattern: re.Pattern, param: str = "done") -> list[list[str]]:
    """Follow the "next" links of one list (query argument ``param``) from ``url``; the ids
    ``pattern`` finds on each page."""
    pages = []
    while url and len(pages) < 100:
        body = client.get(url).get_data(as_text=True)
        pages.append(pattern.findall(body))
        links = [link for link in map(html.unescape, NEXT.findall(body))
                 if f"{param}=" in link and not any(f"{group}=" in link for group in action_lists.GROUPS)]
        url = links[-1].split("#")[0] if links else None
    return pages


def _settled_ids(where) -> set[int]:
    return set(db.session.scalars(
        sa.select(Action.id).join(Advice, Advice.id == Action.advice_id).join(Case, Case.id == Advice.case_id)
        .where(where, Advice.status == AdviceStatus.ISSUED, Action.status.in_([ActionStatus.DONE, ActionStatus.DROPPED]))
    ))


@pytest.fixture
def pages(aw):
    """The key pages of the follow-through, each with the user who sees it."""
    return [
        ("contact's home", aw.contact, "/advice/actions"),
        ("chair's overview", aw.chair, f"/advice/teams/{aw.team.id}/overview"),
        ("back on the table", aw.chair, f"/advice/teams/{aw.team.id}/back-on-table"),
        ("advice page", aw.chair, None),
    ]


def test_statements_per_page_are_the_same_at_5_and_500_cases(client, aw, pages, count_queries):
    def measure() -> dict[str, int]:
        advice_id = db.session.scalar(sa.select(sa.func.min(Advice.id)))
        out = {}
        for name, user, url in pages:
            url = url or f"/advice/{advice_id}"
            login(client, user)
            assert client.get(url).status_code == 200, name
            with count_queries() as counter:
                response = client.get(url)
            assert response.status_code == 200, name
            out[name] = counter.count
        return out

    fill(aw, 5)
    small = measure()
    fill(aw, 495)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 500
    large = measure()
    assert small == large, (small, large)
    assert max(large.values()) <= MAX_STATEMENTS, large


def test_large_history_is_paged_and_open_work_is_paged_most_urgent_first(client, aw):
    fill(aw, 300)
    login(client, aw.chair)
    body = client.get(f"/advice/teams/{aw.team.id}/overview").get_data(as_text=True)
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(Action).where(
        Action.status.in_([ActionStatus.OPEN, ActionStatus.CONFIRMED])))
    assert pending > 2 * action_lists.OPEN_PAGE
    shown = body.count("#action-")
    assert shown < pending + 25, "open work is bounded too"
    assert 'rel="next"' in body
    assert len(body) < 200_000

    # Each group: its count, the earliest deadline first, and every action once across its pages.
    where = action_lists.team_clause(aw.team.id)
    today = date.today()
    first = action_lists.open_work(where, today, size=7)
    assert sum(first[g].total for g in action_lists.GROUPS) == pending
    for name in action_lists.GROUPS:
        page, seen = first[name], []
        while True:
            seen += [a.id for a in page.items]
            deadlines = [a.effective_deadline for a in page.items]
            assert deadlines == sorted(deadlines)
            if not page.has_more:
                break
            page = action_lists.open_work(where, today, size=7, cursors={name: page.next_cursor})[name]
        assert len(seen) == len(set(seen)) == first[name].total, name
        assert all((a.is_overdue(today)) == (name == "overdue") for a in db.session.scalars(
            sa.select(Action).where(Action.id.in_(seen))))


def test_every_done_item_appears_once_across_the_pages(client, aw):
    """The contact's home and the chair's overview page their history newest first; following
    "Older" shows every done or dropped item exactly once, also when an item is settled between
    two clicks."""
    fill(aw, 90)
    ids = re.compile(r'#action-(\d+)">')
    login(client, aw.chair)
    url = f"/advice/teams/{aw.team.id}/overview"
    seen = [int(i) for page in _pages(client, url, ids) for i in page]
    pending = set(db.session.scalars(sa.select(Action.id).where(Action.status.in_([ActionStatus.OPEN, ActionStatus.CONFIRMED]))))
    history = [i for i in seen if i not in pending]
    expected = _settled_ids(Case.team_id == aw.team.id)
    assert len(history) == len(set(history)) == len(expected) and set(history) == expected

    # The same through the service, with a row settled between two pages (it is newer than the
    # cursor, so it shows on the first page only and nothing else moves).
    where = action_lists.team_clause(aw.team.id)
    first = action_lists.history(where, size=10)
    late = db.session.scalar(sa.select(Action).where(Action.status == ActionStatus.CONFIRMED).limit(1))
    complete_action(late, aw.contact2, expected_version=late.version, note="done", done_on=date.today())
    db.session.commit()
    got, page = list(first.items), first
    while page.has_more:
        page = action_lists.history(where, cursor=page.next_cursor, size=10)
        got += page.items
    assert late not in got
    assert sorted(a.id for a in got) == sorted(expected)
    keys = [(a.done_at or a.decided_at, a.id) for a in got]
    assert keys == sorted(keys, reverse=True)

    # The contact of the first organisation: only its own actions, each once.
    login(client, aw.contact)
    seen = [int(i) for page in _pages(client, "/advice/actions", re.compile(r'/advice/actions/(\d+)"')) for i in page]
    mine = _settled_ids(Action.organisation_id == aw.org.id)
    history = [i for i in seen if i in mine]
    assert len(history) == len(set(history)) == len(mine)
    assert not set(seen) - {a.id for a in db.session.scalars(sa.select(Action).where(Action.organisation_id == aw.org.id))}


def test_back_on_table_holds_only_what_awaits_the_team(aw, issued):
    advice = issued()
    housing, ggz = sorted(advice.actions, key=lambda a: a.organisation_id != aw.org.id)
    # An overdue escalation that is then reported done leaves the list.
    housing.escalated_at, housing.escalation_kind = utcnow(), EscalationKind.OVERDUE
    refuse_action(ggz, aw.contact2, expected_version=ggz.version, reason="No capacity")
    db.session.commit()
    assert [a.id for a in back_on_table(aw.team).escalated] == [housing.id, ggz.id]
    complete_action(housing, aw.contact, expected_version=housing.version, note="done", done_on=date.today())
    db.session.commit()
    assert housing.escalated_at is None
    assert [a.id for a in back_on_table(aw.team).escalated] == [ggz.id]
    # An action done with a stale escalation mark (data from before this rule) stays off it.
    housing.escalated_at = utcnow()
    db.session.commit()
    assert [a.id for a in back_on_table(aw.team).escalated] == [ggz.id]
    # The team's decision takes the refused action off the list.
    record_team_decision(ggz, aw.chair, decision="extend", note="Try again",
                         new_deadline=date.today() + timedelta(days=14))
    db.session.commit()
    items = back_on_table(aw.team)
    assert items.escalated.items == [] and items.escalated.total == 0 and not items


def test_old_undecided_items_stay_oldest_first_paged_with_a_count(client, aw):
    fill(aw, 120)
    waiting = list(db.session.scalars(
        sa.select(Action).where(Action.escalated_at.is_not(None), Action.status != ActionStatus.DONE)
        .order_by(Action.escalated_at, Action.id)))
    to_note = list(db.session.scalars(
        sa.select(CaseClosure).where(CaseClosure.team_noted_at.is_(None)).order_by(CaseClosure.evaluation_due_on, CaseClosure.id)))
    items = back_on_table(aw.team, size=10)
    assert items.escalated.total == len(waiting) > 10 and items.evaluations.total == len(to_note) > 10
    got, page = [], items.escalated
    while True:
        got += page.items
        if not page.has_more:
            break
        page = back_on_table(aw.team, size=10, escalated_cursor=page.next_cursor).escalated
    assert got == waiting  # every one, oldest first, once
    # A closure leaves once the team noted its evaluation; the count follows.
    record_evaluation_review(to_note[0], aw.chair, note="Holding")
    db.session.commit()
    items = back_on_table(aw.team, size=10)
    assert items.evaluations.total == len(to_note) - 1 and to_note[0] not in items.evaluations.items

    # On the page: the first 25 of each list, the count, and a link to the next page.
    login(client, aw.chair)
    body = client.get(f"/advice/teams/{aw.team.id}/back-on-table").get_data(as_text=True)
    assert f"({len(waiting)})" in body and body.count("/decide") == 25
    later = html.unescape(NEXT.findall(body)[0]).split("#")[0]
    assert "escalated_after=" in later
    body = client.get(later).get_data(as_text=True)
    assert f"/advice/actions/{waiting[25].id}/decide" in body and f"/advice/actions/{waiting[0].id}/decide" not in body


def test_other_teams_items_never_show(client, aw, make_org, make_user):
    org = make_org("Elders Wonen", team=aw.other_team)
    org2 = make_org("Elders GGZ", team=aw.other_team)
    fill(aw, 10, team=aw.other_team, org=org, org2=org2)
    assert back_on_table(aw.team).total == 0
    login(client, aw.chair)
    body = client.get(f"/advice/teams/{aw.team.id}/overview").get_data(as_text=True)
    assert "ELD-B-" not in body
    login(client, aw.contact)
    assert "ELD-B-" not in client.get("/advice/actions").get_data(as_text=True)
    refused = db.session.scalar(sa.select(Action).where(Action.status == ActionStatus.REFUSED).limit(1))
    assert refused is not None and back_on_table(aw.other_team).escalated.total >= 1
    assert refuse_action  # the service used in the tests above


def test_the_contacts_home_shows_figures_and_history_of_a_recent_period(client, aw):
    """The contact's home counts and lists the settled actions assigned in the chosen recent
    period (the last three months unless chosen), like the chair's overview."""
    fill(aw, 12)
    old = db.session.scalars(sa.select(Action).where(Action.organisation_id == aw.org.id,
                                                     Action.status == ActionStatus.DONE).order_by(Action.id)).all()
    assert len(old) >= 2
    moved, kept = old[0], old[1:]
    moved.assigned_at = utcnow().replace(year=utcnow().year - 1, month=6, day=15)  # last year, mid-June
    db.session.commit()
    ids = re.compile(r'/advice/actions/(\d+)"')
    login(client, aw.contact)
    recent = client.get("/advice/actions")
    shown = {int(i) for i in ids.findall(recent.get_data(as_text=True))}
    assert moved.id not in shown and {a.id for a in kept} <= shown
    assert f"({len(kept)})" in recent.get_data(as_text=True).split('id="h-done"')[1][:200]
    body = client.get("/advice/actions?period=last_year").get_data(as_text=True)
    assert moved.id in {int(i) for i in ids.findall(body)}
    # A period name nobody offers is the default period, never an error.
    assert client.get("/advice/actions?period=nonsense").status_code == 200
