"""The map on the case page and the manage pages: who sees and who changes it."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from casefiles.blockage import permissions as map_permissions
from casefiles.blockage import services as blockage
from casefiles.blockage.models import Need, NeedLink, NeedStatus
from casefiles.blockage.svg import render
from core.audit import AuditEvent
from core.db import db
from core.errors import PermissionDenied, ServiceError
from tests.conftest import login, post_form


def test_seed_map_on_the_case_page(client, world, create_case, seed_map):
    case = create_case("accepted")
    s = seed_map(case)
    login(client, world.expert)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Blockage map" in html
    assert "<svg" in html and 'role="img"' in html and "<title" in html
    # The list version names the circle and the biggest blockage with its exact count.
    assert "Vicious circle" in html
    assert "Debt arrangement → Fixed address → Rental urgency → Debt arrangement" in html
    assert "solving it frees 3 other needs" in html
    assert "Children stay with their mother" in html
    # The expert reads the map but cannot change it.
    assert "Edit the blockage map" not in html
    assert client.get(f"/cases/{case.id}/needs").status_code == 403
    assert client.get(f"/cases/{case.id}/blockage-map.svg").status_code == 200
    assert s.debt.id


def test_svg_escapes_titles_and_shows_status_in_words(world, create_case):
    case = create_case("draft")
    blockage.add_need(case, world.owner, title='<script>alert("x")</script> & co')
    other = blockage.add_need(case, world.owner, title="Plain", status="solved")
    db.session.commit()
    svg = render(blockage.blockage_map(case))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "&amp; co" in svg
    assert "Blocked" in svg and "Solved" in svg  # status in words, not by colour only
    assert 'stroke-dasharray="6 4"' in svg  # blocked: dashed border
    assert "<title" in svg and "<desc" in svg
    assert other.id


def test_owner_builds_the_map_through_the_pages(client, world, create_case):
    case = create_case("draft")
    login(client, world.owner)
    page = f"/cases/{case.id}/needs"
    assert client.get(page).status_code == 200
    r = post_form(client, f"/cases/{case.id}/needs/add", {"n-title": "Rental urgency", "n-decided_by": world.org.id,
                                                          "n-rule": "Huisvestingsverordening", "n-status": "blocked"}, token_from=page)
    assert r.status_code == 302
    post_form(client, f"/cases/{case.id}/needs/add", {"n-title": "Debt arrangement", "n-decided_by": 0, "n-status": "open"}, token_from=page)
    urgency, debt = db.session.scalars(sa.select(Need).where(Need.case_id == case.id).order_by(Need.id)).all()
    assert urgency.decided_by_id == world.org.id and debt.status == NeedStatus.OPEN
    r = post_form(client, f"/cases/{case.id}/needs/link", {"l-need": urgency.id, "l-waits_for": debt.id, "l-reason": ""}, token_from=page)
    assert r.status_code == 400  # the reason is required
    r = post_form(client, f"/cases/{case.id}/needs/link", {"l-need": urgency.id, "l-waits_for": debt.id,
                                                          "l-reason": "No urgency while a debt is open"}, token_from=page)
    assert r.status_code == 302
    link = db.session.scalar(sa.select(NeedLink))
    assert link.reason == "No urgency while a debt is open"
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Biggest blockage" in html and "waits for Debt arrangement: No urgency while a debt is open" in html
    # Solving the debt arrangement by hand frees the urgency.
    r = post_form(client, f"/needs/{debt.id}/edit", {"n-title": "Debt arrangement", "n-decided_by": 0, "n-rule": "",
                                                     "n-status": "solved"}, follow_redirects=True)
    assert "Free now: Rental urgency." in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Need, urgency.id).status == NeedStatus.OPEN
    r = post_form(client, f"/need-links/{link.id}/unlink", token_from=page)
    assert r.status_code == 302 and db.session.scalar(sa.select(sa.func.count()).select_from(NeedLink)) == 0
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "need")))
    assert {"need.add", "need.link", "need.unlink", "need.update", "need.status"} <= actions


def test_permissions(client, world, create_case, seed_map):
    case = create_case("accepted")
    s = seed_map(case)
    # The chair (lead) may edit; the second owner, the other team and a contact do not see the case.
    assert map_permissions.can_edit_map(world.chair, case) and map_permissions.can_edit_map(world.secretary, case)
    assert map_permissions.can_edit_map(world.owner, case)
    assert not map_permissions.can_edit_map(world.expert, case) and map_permissions.can_view_map(world.expert, case)
    for user in (world.owner2, world.other_chair, world.contact, world.admin):
        assert not map_permissions.can_view_map(user, case)
        with pytest.raises(PermissionDenied):
            blockage.add_need(case, user, title="x")
    login(client, world.chair)
    assert client.get(f"/cases/{case.id}/needs").status_code == 200
    for user in (world.other_chair, world.contact, world.owner2):
        login(client, user)
        assert client.get(f"/cases/{case.id}/needs").status_code == 404
        assert client.get(f"/cases/{case.id}/blockage-map.svg").status_code == 404
        assert client.get(f"/needs/{s.debt.id}/edit").status_code == 404


def test_links_stay_within_the_case_and_no_self_loops(world, create_case):
    a = create_case("draft")
    b = create_case("draft")
    n1 = blockage.add_need(a, world.owner, title="One")
    n2 = blockage.add_need(b, world.owner, title="Two")
    with pytest.raises(ServiceError):
        blockage.link_needs(n1, n2, world.owner, reason="x")
    with pytest.raises(ServiceError):
        blockage.link_needs(n1, n1, world.owner, reason="x")
    n3 = blockage.add_need(a, world.owner, title="Three")
    blockage.link_needs(n1, n3, world.owner, reason="x")
    with pytest.raises(ServiceError):
        blockage.link_needs(n1, n3, world.owner, reason="again")


def test_a_closed_map_cannot_change(world, create_case):
    case = create_case("withdrawn")
    assert not map_permissions.can_edit_map(world.owner, case)
    with pytest.raises(ServiceError):
        blockage.add_need(case, world.owner, title="x")


def test_remove_a_need_through_its_page(client, world, create_case):
    case = create_case("draft")
    need = blockage.add_need(case, world.owner, title="Gone soon")
    db.session.commit()
    login(client, world.owner)
    r = post_form(client, f"/needs/{need.id}/edit", {"remove": "1"})
    assert r.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0


def test_live_meeting_page_shows_the_map(client, world, create_case, seed_map):
    from datetime import timedelta

    from core.clock import utcnow
    from meeting.models import AgendaItem, Meeting, MeetingStatus

    case = create_case("accepted")
    seed_map(case)
    start = utcnow().replace(microsecond=0) - timedelta(minutes=10)
    meeting = Meeting(team=world.team, starts_at=start, ends_at=start + timedelta(hours=3), slot_at=start,
                      cutoff_at=start - timedelta(days=4), status=MeetingStatus.PUBLISHED)
    db.session.add(meeting)
    db.session.flush()
    db.session.add(AgendaItem(meeting=meeting, case=case, position=1, starts_at=start, duration_minutes=45))
    case.status = "scheduled"
    db.session.commit()
    login(client, world.chair)
    html = client.get(f"/meetings/{meeting.id}/live").get_data(as_text=True)
    assert "Vicious circle" in html and "<svg" in html


def _svg_texts(svg: str) -> tuple[ET.Element, list[str]]:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    return root, [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_boxes_grow_to_hold_every_word(world, create_case, seed_map):
    """No label is cut off: every word of a long title and of the marks is drawn, and a box
    with more lines is taller than one with fewer."""
    case = create_case("accepted")
    s = seed_map(case)
    long_title = "Rental urgency from the housing corporation while the old rent arrears are still open"
    s.urgency.title = long_title
    db.session.commit()
    root, texts = _svg_texts(render(blockage.blockage_map(case)))
    drawn = " ".join(texts)
    assert "…" not in drawn
    assert all(word in drawn.split() for word in long_title.split())
    assert "Biggest blockage · in a circle" in texts
    heights = {int(r.get("height")) for r in root.iter("{http://www.w3.org/2000/svg}rect")}
    assert len(heights) > 1  # the long title's box is taller
    assert int(root.get("height")) >= max(heights)


def test_svg_is_well_formed_whatever_is_stored(world, create_case):
    """Text stored before input was checked (or by another path) may hold characters XML cannot
    carry: the drawing replaces them and stays a well-formed document."""
    case = create_case("draft")
    need = blockage.add_need(case, world.owner, title="Plain")
    db.session.commit()
    # A vertical tab is stored by both databases; a NUL only by SQLite (PostgreSQL refuses it).
    stored = "Debt\x00 \x0b overview" if db.engine.dialect.name == "sqlite" else "Debt \x0b overview"
    db.session.execute(sa.update(Need).where(Need.id == need.id).values(title=stored))
    db.session.commit()
    db.session.expire_all()
    root, texts = _svg_texts(render(blockage.blockage_map(case)))
    assert any("overview" in t for t in texts)
