"""The meeting pages at scale: the agenda of one meeting in full, no "all of history" lists,
past meetings keyset-paged, the agenda's candidates bounded, and the same number of statements
at 5 and at 500 cases (at most 12, read auditing included)."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from casefiles.holds.models import CaseHold, HoldReason
from casefiles.models import CaseStatus
from core.clock import utcnow
from core.db import db
from meeting.models import Attendance, AttendanceStatus
from meeting.session import end_session
from tests.casefiles.bulk import bulk_cases, bulk_items, bulk_meetings
from tests.casefiles.test_page_scale import _get, _stable, _walk
from tests.conftest import login


def _history(world, n: int, start: int) -> None:
    """``n`` more cases of every kind of history: closed cases discussed at past meetings,
    cases waiting in the queue, and open holds."""
    closed = bulk_cases(world.team, world.owner, n, CaseStatus.CLOSED, start=start)
    bulk_items(bulk_meetings(world.team, max(1, n // 5), start_days=2 + start), closed)
    held = bulk_cases(world.team, world.owner2, n, CaseStatus.ACCEPTED, start=start)
    db.session.execute(sa.insert(CaseHold), [
        {"case_id": c, "reason": HoldReason.NO_CONTACT, "note": "", "retry_on": utcnow().date() + timedelta(days=7),
         "started_at": utcnow(), "started_by_id": world.owner2.id} for c in held])
    db.session.commit()


def test_meeting_pages_statements_do_not_grow(client, world, published, experts, count_queries):
    meeting = published(3)
    for user in (world.expert, *experts[:2]):
        db.session.add(Attendance(meeting_id=meeting.id, user_id=user.id, status=AttendanceStatus.PRESENT))
    held = published(2, starts_at=utcnow().replace(microsecond=0) - timedelta(hours=1))
    end_session(held, world.chair)
    db.session.commit()
    pages = {
        world.chair: ["/meetings/", f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/agenda",
                      f"/meetings/{meeting.id}/live", f"/meetings/{held.id}/minutes", f"/meetings/{meeting.id}/attendance"],
        world.expert: ["/meetings/", f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/live?fragment=1"],
        world.owner: ["/meetings/", f"/meetings/{meeting.id}"],
    }
    counts = {}
    for size, start in ((5, 0), (495, 10)):
        _history(world, size, start)
        for user, urls in pages.items():
            login(client, user)
            for url in urls:
                counts.setdefault((user.name, url), []).append(_get(client, count_queries, url)[0])
    # The meeting page includes the part back on the table (built by advice), and
    # still holds the limit.
    for (name, url), (small, large) in counts.items():
        _stable(small, large, f"{url} as {name}")
    # The agenda offers the head of the queue, not the whole queue; the meeting page names
    # only its own agenda (and the open holds of the team's back-on-the-table part).
    login(client, world.chair)
    body = client.get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    offered = re.findall(r'<option value="\d+">[A-Z]+-', body)
    assert len(offered) == 50 and f'href="/teams/{world.team.id}/queue"' in body and " 502 " in body  # 500 held cases and the 2 postponed at the session


def test_past_meetings_are_paged_and_each_shown_once(client, world, make_meeting, count_queries):
    upcoming = [make_meeting(starts_at=utcnow().replace(microsecond=0) + timedelta(days=d)) for d in (1, 8)]
    ids = bulk_meetings(world.team, 45)
    bulk_meetings(world.other_team, 5)  # another team's history is not listed
    login(client, world.expert)
    body = client.get("/meetings/").get_data(as_text=True)
    assert all(f"/meetings/{m.id}\"" in body for m in upcoming) and "(45)" in body
    shown, pages = _walk(client, "/meetings/", r'<a href="/meetings/(\d+)"')
    past = [int(i) for i in shown if int(i) not in {m.id for m in upcoming}]
    assert sorted(past) == sorted(ids) and len(past) == len(set(past)) and pages == 3
