"""The case pages at scale: open work in full, history on request (keyset pages, newest first,
counted in SQL), and the same number of statements at 5 and at 500 cases (at most 12, read
auditing included)."""
from __future__ import annotations

import html as html_lib
import itertools
import re
from datetime import timedelta

from casefiles.blockage import services as blockage
from casefiles.holds import services as holds
from casefiles.models import CaseStatus
from core.clock import utcnow
from core.db import db
from tests.casefiles.bulk import bulk_cases, bulk_events, bulk_reads
from tests.conftest import login, page_statements

MAX_STATEMENTS = 12
_NEXT = re.compile(r'<a href="([^"]+)"[^>]*rel="next"')


_get = page_statements  # statements and HTML of one request, nothing cached (tests.conftest)


def _walk(client, url, pattern):
    """Every page of a paged list, following the 'Older' link: the matches of ``pattern``."""
    seen, pages = [], 0
    while url:
        body = client.get(url).get_data(as_text=True)
        seen += re.findall(pattern, body)
        match = _NEXT.search(body)
        url = html_lib.unescape(match.group(1)).split("#")[0] if match else None
        pages += 1
        assert pages < 100
    return seen, pages


def _stable(small: int, large: int, what: str) -> None:
    assert small == large, f"{what}: {small} statements at small size, {large} at large"
    assert large <= MAX_STATEMENTS, f"{what}: {large} statements"


def test_home_shows_open_cases_in_full_and_final_ones_paged(client, world, count_queries, create_case):
    create_case("submitted")
    bulk_cases(world.team, world.owner, 5, CaseStatus.CLOSED)
    bulk_cases(world.team, world.owner, 3, CaseStatus.ACCEPTED)
    login(client, world.owner)
    small, _ = _get(client, count_queries, "/")
    login(client, world.chair)
    small_lead, _ = _get(client, count_queries, "/")
    bulk_cases(world.team, world.owner, 495, CaseStatus.CLOSED, start=10)
    bulk_cases(world.team, world.owner, 2, CaseStatus.WITHDRAWN, start=600)
    bulk_cases(world.team, world.owner, 50, CaseStatus.ACCEPTED, start=700)
    large_lead, _ = _get(client, count_queries, "/")
    login(client, world.owner)
    large, body = _get(client, count_queries, "/")
    _stable(small, large, "home of a case owner")
    _stable(small_lead, large_lead, "home of a chair")
    # Open work in full (53 in the queue), history a page at a time with its count.
    assert body.count("/cases/") >= 53 + 25 and "(502)" in body
    final, pages = _walk(client, "/", r"Gezin B\d+</td>\s*<td[^>]*>\s*<span class=\"badge status-(?:closed|withdrawn)")
    assert pages == 21 and len(final) == 502


def test_queue_statements_do_not_grow(client, world, count_queries):
    login(client, world.expert)
    bulk_cases(world.team, world.owner, 5, CaseStatus.ACCEPTED)
    small, _ = _get(client, count_queries, f"/teams/{world.team.id}/queue")
    bulk_cases(world.team, world.owner, 600, CaseStatus.ACCEPTED, start=10)
    large, body = _get(client, count_queries, f"/teams/{world.team.id}/queue")
    _stable(small, large, "queue")
    assert body.count('<span class="tag">') == 2 * 605  # every case with its domains, in full


def test_case_page_pages_the_timeline(client, world, count_queries, create_case):
    case = create_case("accepted")
    login(client, world.owner)
    bulk_events(case, world.owner, 5)
    small, _ = _get(client, count_queries, f"/cases/{case.id}")
    bulk_events(case, world.owner, 495, start=5)
    large, body = _get(client, count_queries, f"/cases/{case.id}")
    _stable(small, large, "case page")
    assert "(503)" in body  # create, submit, accept and 500 more, counted in SQL
    times, pages = _walk(client, f"/cases/{case.id}", r'<li>\s*<time datetime="[^"]+"')
    assert len(times) == 503 and pages == 21
    notes, _ = _walk(client, f"/cases/{case.id}", r"<blockquote>Note (\d+)</blockquote>")
    assert sorted(map(int, notes)) == list(range(1, 500, 2))  # each text once, on its own step


def test_who_read_is_paged_and_counted(client, world, count_queries, create_case, make_user):
    case = create_case("accepted")
    other = create_case("accepted")
    readers = [world.expert, world.secretary, make_user("expert", team=world.team)]
    bulk_reads(case, readers, 5)
    bulk_reads(other, readers, 20)  # list views naming another case are not this case's reads
    login(client, world.chair)
    url = f"/cases/{case.id}/reads"
    small, _ = _get(client, count_queries, url)
    bulk_reads(case, readers, 495)
    large, _ = _get(client, count_queries, url)
    _stable(small, large, "who read")
    rows, pages = _walk(client, url, r"<td data-label=\"[^\"]+\">case\.read (?:detail|meeting_agenda)</td>")
    # 500 bulk reads + the chair's own case-page reads are not there (the chair only opened the log).
    assert len(rows) == 500 and pages >= 10


def test_blockage_map_statements_do_not_grow_with_needs(client, world, count_queries, create_case):
    small_case, large_case = create_case("submitted"), create_case("submitted")
    for case, n in ((small_case, 2), (large_case, 30)):
        needs = [blockage.add_need(case, world.owner, title=f"Need {i}") for i in range(n)]
        for a, b in itertools.pairwise(needs):
            blockage.link_needs(a, b, world.owner, reason="waits")
        blockage.link_needs(needs[-1], needs[0], world.owner, reason="circle")
    db.session.commit()
    login(client, world.owner)
    for url in ("/cases/{}/needs", "/cases/{}"):
        small, _ = _get(client, count_queries, url.format(small_case.id))
        large, body = _get(client, count_queries, url.format(large_case.id))
        _stable(small, large, url)
        assert "Need 29" in body


def test_hold_pages_statements_do_not_grow(client, world, count_queries, create_case, make_org, make_user):
    orgs = [make_org(team=world.team) for _ in range(6)]
    contact = make_user("org_contact", team=world.team, organisation=orgs[0])
    cases = []
    for size in (2, 12):
        for _ in range(size - len(cases)):
            case = create_case("accepted")
            holds.put_on_hold(case, world.owner, reason="no_contact", note="", retry_on=utcnow().date() + timedelta(days=7))
            holds.request_signals(case, world.owner, organisation_ids=[o.id for o in orgs], whom_to_call="Owner",
                                  last_contact_on=utcnow().date())
            cases.append(case)
        db.session.commit()
        login(client, world.owner)
        hold_count, _ = _get(client, count_queries, f"/cases/{cases[-1].id}/hold")
        login(client, contact)
        signals_count, body = _get(client, count_queries, "/signals")
        assert body.count("/signals/") == len(cases)
        if size == 2:
            small = (hold_count, signals_count)
    _stable(small[0], hold_count, "hold page")
    _stable(small[1], signals_count, "signal requests")
