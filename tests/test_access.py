"""Access rules across the whole URL map and per object."""
import re

import pytest

from core.db import db
from tests.conftest import csrf_token, login

#: Routes open to anonymous visitors, each with its reason. A new route not listed here must
#: refuse an anonymous visitor, or this test fails.
PUBLIC = {
    "static": "the app's CSS and JS",
    "favicon": "the app's icon, asked for by browsers at /favicon.ico",
    "healthz": "load-balancer health check; answers only ok/error",
    "auth.login": "the sign-in page",
    "auth.set_language": "changes only the visitor's own interface language",
    "calendar.feed": "private calendar feed: authorised by its long random token, no case details",
    "escalation.director": "the director's answer (not a user): a signed link for one escalation, valid once; only the reference, the action and its reason",
    "api.token": "OAuth 2 token endpoint: the client authenticates with its own id and secret",
    "api.openapi_document": "the API's OpenAPI document: the contract, no data",
}


def _url(rule):
    values = {arg: 1 for arg in rule.arguments}
    for arg, conv in rule._converters.items():
        if conv.__class__.__name__ not in ("IntegerConverter",):
            values[arg] = "x"
    path = rule.rule
    for arg, value in values.items():
        path = re.sub(r"<(?:[^:<>]+:)?" + arg + r">", str(value), path)
    return path


def test_every_route_refuses_anonymous_visitors(app, client):
    token = csrf_token(client, "/login")
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        url = _url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code in (302, 401, 403, 404), (rule.endpoint, method, response.status_code)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), (rule.endpoint, response.headers["Location"])
            checked += 1
    assert checked > 10


def test_public_list_names_only_real_routes(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    assert {"static", "healthz", "auth.login"} <= endpoints


def test_the_icon_browsers_ask_for_is_there(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file


CASE_PAGES = ["/cases/{id}", "/cases/{id}/edit", "/cases/{id}/intake", "/cases/{id}/withdraw"]
CASE_POSTS = [
    ("/cases/{id}/edit", {"household_pseudonym": "Hijacked", "urgency": "normal", "version": "1"}),
    ("/cases/{id}/submit", {"version": "1"}),
    ("/cases/{id}/intake", {"accept": "1"}),
    ("/cases/{id}/intake", {"decline": "1", "message": "no"}),
    ("/cases/{id}/withdraw", {"reason": "Hijacked"}),
]


@pytest.mark.parametrize("who", ["other_owner", "other_chair", "owner2", "admin", "contact"])
def test_foreign_case_is_invisible_for_reading_and_every_form(client, world, create_case, who):
    case = create_case("submitted", household_pseudonym="Gezin Zichtbaar")
    login(client, getattr(world, who))
    for page in CASE_PAGES:
        response = client.get(page.format(id=case.id))
        assert response.status_code in (403, 404), (page, response.status_code)
        assert "Zichtbaar" not in response.get_data(as_text=True)
    token = csrf_token(client, "/")
    for url, data in CASE_POSTS:
        response = client.post(url.format(id=case.id), data={**data, "csrf_token": token})
        assert response.status_code in (403, 404), (url, response.status_code)
    db.session.refresh(case)
    assert case.status.value == "submitted" and case.household_pseudonym == "Gezin Zichtbaar"


def test_foreign_objects_answer_404_not_403(client, world, create_case):
    case = create_case("accepted")
    login(client, world.other_chair)
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.get(f"/teams/{world.team.id}/queue").status_code == 404
    assert client.get(f"/teams/{world.team.id}/criteria").status_code == 404
    assert client.get(f"/teams/{world.team.id}/cases/new").status_code == 404


def test_drafts_are_visible_to_their_owner_only(client, world, create_case):
    case = create_case("draft")
    for user in (world.chair, world.secretary, world.expert):
        login(client, user)
        assert client.get(f"/cases/{case.id}").status_code == 404
    login(client, world.owner)
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_experts_see_queued_cases_but_not_intake(client, world, create_case):
    submitted = create_case("submitted")
    accepted = create_case("accepted")
    login(client, world.expert)
    assert client.get(f"/cases/{submitted.id}").status_code == 404
    assert client.get(f"/cases/{accepted.id}").status_code == 200
    assert client.get(f"/cases/{accepted.id}/intake").status_code == 403


def test_owner_and_contact_cannot_see_the_queue(client, world):
    for user in (world.owner, world.contact):
        login(client, user)
        assert client.get(f"/teams/{world.team.id}/queue").status_code == 403


def test_admin_sees_no_case_content(client, world, create_case):
    create_case("accepted", household_pseudonym="Gezin Beheer")
    login(client, world.admin)
    for url in ("/", "/admin/", f"/teams/{world.team.id}/queue"):
        response = client.get(url, follow_redirects=True)
        assert "Gezin Beheer" not in response.get_data(as_text=True)
