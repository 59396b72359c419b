"""Concurrency (issue 6): two people editing the same thing at once never lose an edit; the
stale one is refused with a clear message and shown the current state.

* the case edit form: tests/casefiles/test_views.py::test_stale_edit_form_is_refused_and_changes_nothing
* an action (two contacts confirming at once):
  tests/advice/test_views.py::test_two_contacts_confirming_at_once_lose_nothing, and in two
  database sessions tests/advice/test_services.py::test_concurrent_confirm_in_two_sessions_loses_nothing
* meeting notes and minutes: tests/meeting/test_session.py::test_concurrent_note_saves_lose_nothing
  and the 409 cases of tests/meeting/test_views.py
* the advice draft: here, with two browsers.
"""
from __future__ import annotations

import html as htmllib
import re

from advice.models import Advice
from core.db import db
from tests.advice.conftest import _english, aw, discussed, drafted  # noqa: F401  (fixtures)
from tests.conftest import BrowserClient, login


def _browser(app):
    app.test_client_class = BrowserClient
    return app.test_client()


def _text_form(page: str) -> dict:
    """The draft's text form as a browser would submit it (hidden fields and the four texts)."""
    form = {
        "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page).group(1),
        "lock_version": re.search(r'name="lock_version"[^>]*value="([^"]*)"', page).group(1),
        "save": "1",
    }
    for name in ("situation", "blockage", "advice_text", "legal_free_text"):
        match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
        form[name] = htmllib.unescape(match.group(1)).lstrip("\n")
    return form


def test_two_people_saving_the_same_advice_draft_lose_nothing(app, aw, drafted):
    advice = drafted()
    url = f"/advice/cases/{advice.case_id}/edit"
    chair, secretary = _browser(app), _browser(app)
    login(chair, aw.chair)
    login(secretary, aw.secretary)
    forms = [_text_form(c.get(url).get_data(as_text=True)) for c in (chair, secretary)]
    assert forms[0]["lock_version"] == forms[1]["lock_version"]  # both loaded the same version

    forms[0]["advice_text"] = "CHAIR'S WORDING: grant urgency today."
    forms[1]["advice_text"] = "SECRETARY'S WORDING: grant urgency next week."
    assert chair.post(url, data=forms[0]).status_code == 302

    # The second save is based on the old version: refused, nothing overwritten.
    r = secretary.post(url, data=forms[1], follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "flash-error" in page and ("Someone else saved this draft" in page or "iemand anders" in page.lower())
    assert "CHAIR&#39;S WORDING" in page or "CHAIR'S WORDING" in page  # the current state is shown
    assert "SECRETARY&#39;S WORDING" in page  # and what the secretary typed, to copy: nothing is lost
    db.session.expire_all()
    saved = db.session.get(Advice, advice.id)
    assert saved.advice_text == "CHAIR'S WORDING: grant urgency today."

    # Saving again from the page that now shows the current version is deliberate and works.
    again = _text_form(page)
    assert int(again["lock_version"]) == saved.lock_version
    again["advice_text"] += "\n\nAnd: SECRETARY'S ADDITION."
    assert secretary.post(url, data=again).status_code == 302
    db.session.expire_all()
    text = db.session.get(Advice, advice.id).advice_text
    assert "CHAIR'S WORDING" in text and "SECRETARY'S ADDITION" in text
