"""Every read of case content writes an audit row (issue 6, BIO 8.15.01): actor, object, origin.

Pages about one case write one ``case.read`` row for that case (``privacy.record_read``). Pages
that list several cases (a meeting's agenda, its minutes) write one row per page view naming all
the cases in ``details["cases"]`` (``privacy.record_reads``): an agenda of four cases viewed by a
team of ten is ten rows, not forty; the access log of a case (``privacy.access_log``) still finds
the view, so a chair sees who read it and the household's export lists it.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from core import privacy
from core.audit import AuditEvent
from core.db import db
from tests.advice.conftest import _english, aw, discussed, drafted, issued  # noqa: F401  (fixtures)
from tests.conftest import login
from tests.meeting.conftest import make_meeting, published, queued  # noqa: F401  (fixtures)

UA = "ReadAuditTest/1.0"


def _reads_after(last_id: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > last_id, AuditEvent.action == "case.read")
                                   .order_by(AuditEvent.id)))


def _last_id() -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEvent.id), 0)))


def _get(client, url: str):
    response = client.get(url, headers={"User-Agent": UA}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 200, (url, response.status_code)
    return response


def _assert_one_read(rows, actor, case, view: str) -> None:
    assert len(rows) == 1, [(r.object_type, r.details) for r in rows]
    row = rows[0]
    assert row.actor_id == actor.id and row.result == "ok"
    assert row.ip == "192.0.2.7" and row.user_agent == UA  # origin
    assert row.details["view"] == view
    if row.object_type == privacy.ACCESS:
        assert row.object_id == case.id
    else:
        assert row.object_type == privacy.ACCESS_LIST and case.id in row.details["cases"]
    assert row.id in {e.id for e in privacy.access_log(case)}  # the chair's "who read" page finds it


@pytest.mark.parametrize("view", ["advice_show", "advice_print"])
def test_advice_pages_audit_the_read(client, aw, issued, view):
    advice = issued()
    login(client, aw.owner)
    before = _last_id()
    _get(client, f"/advice/{advice.id}" + ("/print" if view == "advice_print" else ""))
    _assert_one_read(_reads_after(before), aw.owner, advice.case, view)


def test_advice_edit_and_start_pages_audit_the_read(client, aw, discussed, drafted):
    case = discussed()
    login(client, aw.secretary)
    before = _last_id()
    _get(client, f"/advice/cases/{case.id}/edit")  # no draft yet: the start page shows the case
    _assert_one_read(_reads_after(before), aw.secretary, case, "advice_start")
    advice = drafted()
    before = _last_id()
    _get(client, f"/advice/cases/{advice.case_id}/edit")
    _assert_one_read(_reads_after(before), aw.secretary, advice.case, "advice_edit")


def test_contact_action_page_audits_the_read(client, aw, issued):
    advice = issued()
    action = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    login(client, aw.contact)
    before = _last_id()
    _get(client, f"/advice/actions/{action.id}")
    _assert_one_read(_reads_after(before), aw.contact, advice.case, "action")


def test_refused_page_writes_no_read(client, aw, issued):
    """A 404 shows nothing, so it records no read (the refusal is not a read of content)."""
    advice = issued()
    other = next(a for a in advice.actions if a.organisation_id == aw.org2.id)
    login(client, aw.contact)
    before = _last_id()
    assert client.get(f"/advice/actions/{other.id}").status_code == 404
    assert client.get(f"/advice/{advice.id}").status_code == 404
    assert _reads_after(before) == []


def test_live_page_audits_the_current_case(client, world, published):
    meeting = published(2)
    current = meeting.current_item
    login(client, world.chair)
    before = _last_id()
    _get(client, f"/meetings/{meeting.id}/live")
    _assert_one_read(_reads_after(before), world.chair, current.case, "meeting_live")


@pytest.mark.parametrize("page,view", [("", "meeting_detail"), ("/agenda", "meeting_agenda"), ("/minutes", "minutes")])
def test_meeting_list_pages_write_one_row_naming_every_case(client, world, published, page, view):
    meeting = published(3)
    cases = [i.case for i in meeting.items]
    login(client, world.secretary)
    before = _last_id()
    _get(client, f"/meetings/{meeting.id}{page}")
    rows = _reads_after(before)
    _assert_one_read(rows, world.secretary, cases[0], view)
    assert set(rows[0].details["cases"]) >= {c.id for c in cases}  # one row, every case named
    assert rows[0].object_id == meeting.id
    for case in cases:
        assert rows[0].id in {e.id for e in privacy.access_log(case)}


def test_case_owner_on_the_meeting_page_reads_only_their_own_item(client, world, published):
    meeting = published(2)
    own = next(i.case for i in meeting.items if i.case.owner_id == world.owner.id)
    login(client, world.owner)
    before = _last_id()
    _get(client, f"/meetings/{meeting.id}")
    rows = _reads_after(before)
    assert len(rows) == 1 and rows[0].details["cases"] == [own.id]


def test_live_follow_refresh_writes_one_read_per_item_not_per_poll(client, world, create_case):
    """The expert's auto-refreshing screen shows the current item's notes: audited once per item
    per sign-in session, not on every 20-second poll."""
    from datetime import timedelta

    import sqlalchemy as sa

    from core.audit import AuditEvent
    from core.clock import utcnow
    from core.db import db
    from meeting.agenda import add_item, publish_agenda
    from meeting.models import Meeting
    from tests.conftest import login

    start = (utcnow() + timedelta(minutes=30)).replace(microsecond=0)
    meeting = Meeting(team=world.team, starts_at=start, ends_at=start + timedelta(hours=3), slot_at=start,
                      cutoff_at=start - timedelta(days=4))
    db.session.add(meeting)
    case = create_case("accepted")
    add_item(meeting, case, world.chair)
    publish_agenda(meeting, world.chair)
    db.session.commit()

    def reads():
        return db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "case.read", AuditEvent.actor_id == world.expert.id,
            AuditEvent.object_id == case.id)).all()

    login(client, world.expert)
    for _ in range(3):
        assert client.get(f"/meetings/{meeting.id}/live?fragment=1").status_code == 200
    rows = reads()
    assert len(rows) == 1 and rows[0].details["view"] == "meeting_live_follow"
    login(client, world.expert)  # a new sign-in session reads it again
    client.get(f"/meetings/{meeting.id}/live?fragment=1")
    assert len(reads()) == 2
