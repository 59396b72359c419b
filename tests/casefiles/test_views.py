"""Case pages through the browser-like client: create, edit, submit, intake; bad input saves nothing."""
import re

import sqlalchemy as sa

from casefiles.models import Case, CaseStatus
from core.audit import AuditEvent
from core.db import db
from tests.conftest import login, post_form

FULL_FORM = {
    "household_pseudonym": "Gezin Amber",
    "household_composition": "Moeder (34), twee kinderen (6, 9)",
    "domains": ["housing", "debt"],
    "tried": "Schuldhulp, woonconsulent",
    "blockage": "Geen urgentie zolang er een schuld openstaat",
    "household_goal": "Een eigen huis voor ons drieën",
    "question": "Kan urgentie worden verleend vóór de schuldregeling?",
    "urgency": "crisis",
    "consent_date": "2026-11-02",
    "consent_method": "written",
}


def _count(model=Case):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_owner_creates_and_submits_a_case(client, world):
    login(client, world.owner)
    url = f"/teams/{world.team.id}/cases/new"
    response = post_form(client, url, {**FULL_FORM, "save_submit": "1", "organisations": [str(world.org.id)],
                                             "referring_organisation": str(world.org.id)})
    assert response.status_code == 302
    case = db.session.scalar(sa.select(Case))
    assert case.status == CaseStatus.SUBMITTED
    assert case.owner_id == world.owner.id and case.organisation_ids == [world.org.id]
    assert {d.value for d in case.domain_values} == {"housing", "debt"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert case.reference in page and "Gezin Amber" in page


def test_draft_with_missing_fields_is_kept_and_not_submitted(client, world):
    login(client, world.owner)
    url = f"/teams/{world.team.id}/cases/new"
    response = post_form(client, url, {"household_pseudonym": "Gezin Half", "urgency": "normal", "save_submit": "1"})
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    case = db.session.scalar(sa.select(Case))
    assert case.status == CaseStatus.DRAFT and case.household_pseudonym == "Gezin Half"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Gezin Half" in page
    # Each missing field is marked where it is, and listed in the summary at the top.
    for name in ("household_composition", "tried", "blockage", "question", "consent_date", "domains"):
        assert f'id="{name}-error"' in page, name
        assert f'href="#{name}"' in page, name
    assert 'id="household_pseudonym-error"' not in page


def test_missing_pseudonym_gives_field_error_and_saves_nothing(client, world):
    login(client, world.owner)
    response = post_form(client, f"/teams/{world.team.id}/cases/new", {**FULL_FORM, "household_pseudonym": "", "save": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and 'id="household_pseudonym-error"' in html
    assert _count() == 0


def test_overlong_text_bad_date_future_date_and_tampered_select_save_nothing(client, world):
    login(client, world.owner)
    url = f"/teams/{world.team.id}/cases/new"
    bad_inputs = [
        {"household_pseudonym": "x" * 81},
        {"question": "y" * 10_001},
        {"consent_date": "31-02-2026"},
        {"consent_date": "2999-01-01"},
        {"urgency": "extreme"},
        {"domains": ["housing", "astrology"]},
        {"organisations": ["999999"]},
        {"referring_organisation": "because"},
        {"organisations": [str(world.org.id)], f"ground-{world.org.id}": "999999"},
    ]
    for bad in bad_inputs:
        response = post_form(client, url, {**FULL_FORM, **bad, "save": "1"})
        assert response.status_code == 200, bad
        assert "error-summary" in response.get_data(as_text=True), bad
    assert _count() == 0


def test_domain_not_covered_by_the_team_is_refused(client, world, make_team, make_user):
    from core.models import Domain

    small = make_team(name="Klein team", code="KLN", domains=[Domain.HOUSING])
    owner = make_user("case_owner", team=small)
    login(client, owner)
    response = post_form(client, f"/teams/{small.id}/cases/new", {**FULL_FORM, "domains": ["housing", "debt"], "save": "1"})
    assert response.status_code == 200 and _count() == 0


def test_stale_edit_form_is_refused_and_changes_nothing(client, world, create_case):
    case = create_case("draft", tried="original")
    login(client, world.owner)
    edit = client.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', edit).group(1)
    version = re.search(r'name="version"[^>]*value="(\d+)"', edit).group(1)
    # Someone (the same owner in another tab) saves first.
    first = client.post(f"/cases/{case.id}/edit", data={**FULL_FORM, "tried": "first tab", "version": version, "csrf_token": token, "save": "1"})
    assert first.status_code == 302
    second = client.post(f"/cases/{case.id}/edit", data={**FULL_FORM, "tried": "second tab", "version": version, "csrf_token": token, "save": "1"}, follow_redirects=True)
    assert "changed by someone else" in second.get_data(as_text=True) or "door iemand anders" in second.get_data(as_text=True)
    db.session.refresh(case)
    assert case.tried == "first tab"


def test_form_without_csrf_token_is_refused(client, world):
    login(client, world.owner)
    response = client.post(f"/teams/{world.team.id}/cases/new", data={**FULL_FORM, "save": "1"})
    assert response.status_code == 400
    assert _count() == 0


def test_intake_return_then_resubmit_then_accept_through_pages(client, world, create_case):
    case = create_case("submitted")
    login(client, world.secretary)
    url = f"/cases/{case.id}/intake"
    response = post_form(client, url, {"return_": "1", "message": ""})
    assert response.status_code == 200  # a return without a message is refused
    db.session.refresh(case)
    assert case.status == CaseStatus.SUBMITTED
    response = post_form(client, url, {"return_": "1", "message": "Wat heeft de schuldhulp geprobeerd?"})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.RETURNED

    login(client, world.owner)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Wat heeft de schuldhulp geprobeerd?" in page
    response = post_form(client, f"/cases/{case.id}/edit", {**FULL_FORM, "tried": "Ook budgetcoaching.", "version": str(case.version), "save_submit": "1"})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.SUBMITTED

    login(client, world.chair)
    response = post_form(client, url, {"accept": "1"})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.ACCEPTED
    queue = client.get(f"/teams/{world.team.id}/queue").get_data(as_text=True)
    assert queue.count(f">{case.reference}</a>") == 1


def test_owner_withdraws_through_the_page(client, world, create_case):
    case = create_case("accepted")
    login(client, world.owner)
    response = post_form(client, f"/cases/{case.id}/withdraw", {"reason": ""})
    assert response.status_code == 200
    response = post_form(client, f"/cases/{case.id}/withdraw", {"reason": "Gezin verhuisd."})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.WITHDRAWN


def test_timeline_shows_events(client, world, create_case):
    case = create_case("accepted")
    login(client, world.owner)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = html[html.index('class="timeline"'):]
    assert timeline.count("<li>") == 3


def test_audit_rows_name_changed_fields_but_not_content(client, world, create_case):
    case = create_case("draft")
    login(client, world.owner)
    post_form(client, f"/cases/{case.id}/edit", {**FULL_FORM, "blockage": "Geheime details", "version": str(case.version), "save": "1"})
    rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.update")).all()
    assert len(rows) == 1 and "blockage" in rows[0].details["fields"]
    assert "Geheime" not in repr(rows[0].details)


def test_case_page_links_to_reads_for_the_chair_and_export_for_owner_and_lead(client, world, create_case):
    case = create_case("accepted")
    expectations = {world.chair: (True, True), world.secretary: (False, True),
                    world.owner: (False, True), world.expert: (False, False)}
    for user, (reads, export) in expectations.items():
        login(client, user)
        html = client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert (f'/cases/{case.id}/reads"' in html) is reads, user.name
        assert (f'/cases/{case.id}/export"' in html) is export, user.name
