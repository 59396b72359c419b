"""Pages that were renamed keep their old addresses as permanent redirects: 308 (method and body
kept) for a page that is posted to, 301 for one that is only read; with the path values and the
query string, and behind the same sign-in as the new page."""
from __future__ import annotations

from datetime import date

from advice.closure.services import close_case, closure_of
from advice.follow_through.services import complete_action
from advice.plan import lessons
from core.db import db
from tests.advice.conftest import _english, aw, discussed, drafted, issued  # noqa: F401 - shared fixtures
from tests.conftest import csrf_token, login


def _moved(client, old: str, new: str, code: int, method: str = "GET"):
    data = {"csrf_token": csrf_token(client, "/")} if method == "POST" else None
    response = client.open(old, method=method, data=data)
    assert response.status_code == code, (old, response.status_code)
    assert response.headers["Location"] == new
    return response


def _repost(client, old: str, data: dict):
    """POST ``data`` to ``old`` and again, as a browser does on a 308, to where it leads."""
    data = {**data, "csrf_token": csrf_token(client, "/")}
    first = client.post(old, data=data)
    assert first.status_code == 308
    response = client.post(first.headers["Location"], data=data)
    assert response.status_code == 302, response.status_code


def test_the_old_address_of_an_advices_lessons(client, aw, issued):  # noqa: F811
    advice = issued()
    rule = lessons.add_source(aw.team, aw.chair, kind="rule", name="Kostendelersnorm")
    db.session.commit()
    assert client.get(f"/plan/advice/{advice.id}/signals").headers["Location"].startswith("/login")
    login(client, aw.secretary)
    _moved(client, f"/plan/advice/{advice.id}/signals?x=1", f"/plan/advice/{advice.id}/lessons?x=1", 308)
    _moved(client, f"/plan/advice/{advice.id}/signals", f"/plan/advice/{advice.id}/lessons", 308, "POST")
    # A form posted to the old address is recorded where it leads, as a browser posts it again there.
    _repost(client, f"/plan/advice/{advice.id}/signals", {"source-0": str(rule.id), "text-0": ""})
    assert [lesson.source_id for lesson in lessons.lessons_of(advice)] == [rule.id]

def test_the_old_address_of_the_teams_lesson_sources(client, aw):
    login(client, aw.chair)
    _moved(client, f"/plan/teams/{aw.team.id}/signal-sources", f"/plan/teams/{aw.team.id}/lesson-sources", 308)
    _moved(client, f"/plan/teams/{aw.team.id}/signal-sources", f"/plan/teams/{aw.team.id}/lesson-sources", 308, "POST")
    _repost(client, f"/plan/teams/{aw.team.id}/signal-sources", {"kind": "law", "name": "Participatiewet"})
    assert [s.name for s in lessons.sources(aw.team.id)] == ["Participatiewet"]


def test_the_old_address_of_the_list_back_on_the_table(client, aw):
    assert client.get(f"/advice/teams/{aw.team.id}/follow-up").headers["Location"].startswith("/login")
    login(client, aw.chair)
    _moved(client, f"/advice/teams/{aw.team.id}/follow-up", f"/advice/teams/{aw.team.id}/back-on-table", 301)
    _moved(client, f"/advice/teams/{aw.team.id}/follow-up?meeting=3&escalated_after=x",
           f"/advice/teams/{aw.team.id}/back-on-table?meeting=3&escalated_after=x", 301)
    assert client.post(f"/advice/teams/{aw.team.id}/follow-up", data={"csrf_token": csrf_token(client, "/")}).status_code == 405
    assert client.get(f"/advice/teams/{aw.team.id}/follow-up", follow_redirects=True).status_code == 200


def test_the_old_address_of_the_three_month_evaluation(client, aw, issued):  # noqa: F811
    advice = issued()
    for a in advice.actions:
        contact = aw.contact if a.organisation_id == aw.org.id else aw.contact2
        complete_action(a, contact, expected_version=a.version, note="done", done_on=date.today())
    close_case(advice.case, aw.owner, outcome="reached", note="Done")
    db.session.commit()
    case_id = advice.case_id
    login(client, aw.owner)
    # The link in the notifications sent before the rename, e-mailed or in the inbox.
    _moved(client, f"/advice/cases/{case_id}/followup", f"/advice/cases/{case_id}/evaluation", 308)
    assert client.get(f"/advice/cases/{case_id}/followup", follow_redirects=True).status_code == 200
    _moved(client, f"/advice/cases/{case_id}/followup", f"/advice/cases/{case_id}/evaluation", 308, "POST")
    _repost(client, f"/advice/cases/{case_id}/followup", {"result": "held", "note": "Holding"})
    assert closure_of(advice.case).evaluation_result.value == "held"
