"""Ids in paths beyond what an id column can hold are not found (404), on SQLite and PostgreSQL
alike: the app's ``int`` converter stops them before any view asks the database, which refuses
them (PostgreSQL past its 32-bit ``integer``, SQLite past 64 bits)."""
from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from tests.conftest import login

MAX_ID = 2_147_483_647
#: Just past PostgreSQL's integer, past SQLite's 64-bit integer, and far past both.
TOO_LARGE = (2**31, 2**63, 10**20)

PAGES = (
    "/cases/{id}", "/cases/{id}/attachments", "/advice/{id}", "/advice/{id}/advice.pdf", "/attachments/{id}/download",
    "/meetings/{id}", "/meetings/{id}/minutes", "/advice/actions/{id}", "/escalation/actions/{id}",
    "/financing/agreements/{id}", "/financing/agreements/{id}/statement", "/dashboard/teams/{id}",
)

_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@pytest.mark.parametrize("value", TOO_LARGE)
def test_every_listed_page_kind_answers_404_beyond_the_id_range(client, world, value):
    login(client, world.chair)
    for page in PAGES:
        assert client.get(page.format(id=value)).status_code == 404, page


def test_the_largest_id_still_reaches_the_view(client, world):
    """``MAX_ID`` itself is a valid id: the view looks, finds nothing, and answers 404."""
    login(client, world.chair)
    for page in PAGES:
        assert client.get(page.format(id=MAX_ID)).status_code == 404, page


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            yield rule


def _path(rule, value: int) -> str:
    return _ARGUMENT.sub(lambda m: str(value) if m.group(1) == "int" else "x", rule.rule)


def test_every_integer_route_of_the_app_answers_404_beyond_the_range(app, client, world):
    """Each rule with an id, by its own method; a path that a rule of another method would also
    take may answer 405 (Werkzeug weighs the method before the converter), never a view."""
    rules = list(_int_rules(app))
    assert len(rules) > 100  # every page with an id, the API's too
    login(client, world.admin)
    for rule in rules:
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS", "HEAD"})[0]
        for value in TOO_LARGE:
            response = client.open(_path(rule, value), method=method)
            assert response.status_code in (404, 405), (rule.rule, value, response.status_code)
    response = client.get(f"/api/v1/actions/{2**63}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_large_id_still_builds_a_link(app):
    """Only matching is bounded: ``url_for`` writes any id (``core.web.id_link`` builds list
    links with a stand-in beyond the range)."""
    from flask import url_for

    with app.test_request_context():
        assert url_for("casefiles.detail", case_id=10**12) == f"/cases/{10**12}"
