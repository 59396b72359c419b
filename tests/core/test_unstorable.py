"""Characters no database or XML document can take (a NUL byte, say) are refused at every way in
with a clear message, and change nothing."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm

from casefiles.models import Case
from core.db import db
from core.forms import Form
from core.paging import decode_cursor, encode_cursor
from core.text import unstorable, xml_safe
from tests.casefiles.test_views import FULL_FORM
from tests.conftest import login, post_form

MESSAGE = "contains a character that cannot be stored"
PACKAGES = ("core", "accounts", "notifications", "casefiles", "meeting", "advice", "reports")


def _modules():
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            yield importlib.import_module(info.name)


def test_every_form_of_the_app_refuses_unstorable_text():
    forms = {obj for module in _modules() for _n, obj in inspect.getmembers(module, inspect.isclass)
             if issubclass(obj, FlaskForm) and obj.__module__.split(".")[0] in PACKAGES}
    assert len(forms) > 30
    assert not sorted(f"{f.__module__}.{f.__name__}" for f in forms if not issubclass(f, Form))


@pytest.mark.parametrize("text, bad", [
    ("Gezin Amber\nTwee regels\ttab", False), ("€ 1.234,50 — 😀", False),
    ("a\x00b", True), ("bell\x07", True), ("\ufffe", True), ("lone \ud800 surrogate", True),
])
def test_the_rule(text, bad):
    assert unstorable(text) is bad
    assert unstorable([text]) is bad
    assert not unstorable(xml_safe(text))


def test_a_nul_in_a_case_field_is_refused_on_the_field_and_saves_nothing(client, world):
    world.owner.locale = "en"
    db.session.commit()
    login(client, world.owner)
    response = post_form(client, f"/teams/{world.team.id}/cases/new",
                         {**FULL_FORM, "blockage": "Geen urgentie\x00 zolang", "save": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert MESSAGE in html and 'id="blockage-error"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_nul_in_a_tampered_choice_is_refused(client, world):
    login(client, world.owner)
    response = post_form(client, f"/teams/{world.team.id}/cases/new", {**FULL_FORM, "urgency": "crisis\x00", "save": "1"})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_nul_in_the_address_or_query_string_gets_a_clear_400(client, world):
    world.chair.locale = "en"
    db.session.commit()
    login(client, world.chair)
    for url in (f"/teams/{world.team.id}/queue?domain=housing%00", "/admin/users?q=x%00y", "/cases/%00"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert MESSAGE in response.get_data(as_text=True)


def test_a_forged_cursor_holding_a_nul_shows_the_first_page():
    assert decode_cursor(encode_cursor("Name\x00", 7)) is None
    assert decode_cursor(encode_cursor("Name", 7)) == ("Name", 7)
