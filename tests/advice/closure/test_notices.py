"""The case owner sees what to do after the advice where they look: closing a completed case, and
the three-month evaluation once it is due, on the home page and on the case page."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from advice.closure.models import CaseClosure
from advice.closure.services import close_case
from advice.follow_through.services import complete_action
from core.db import db
from tests.conftest import login


def _complete(aw, issued):
    aw.owner.locale = aw.chair.locale = "en"  # the texts below are the English ones
    advice = issued()
    for action in advice.actions:
        contact = aw.contact if action.organisation_id == aw.org.id else aw.contact2
        complete_action(action, contact, expected_version=action.version, note="done", done_on=date.today())
    db.session.commit()
    return advice.case


def test_a_completed_case_asks_its_owner_to_close_it(client, aw, issued):
    case = _complete(aw, issued)
    login(client, aw.owner)
    home = client.get("/").get_data(as_text=True)
    assert f"Every action of case {case.reference} is done" in home
    assert f'href="/advice/cases/{case.id}/close"' in home
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/advice/cases/{case.id}/close"' in page
    # Nobody else is asked.
    login(client, aw.chair)
    assert f"Every action of case {case.reference} is done" not in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_the_evaluation_shows_once_due_and_leaves_once_recorded(client, aw, issued):
    case = _complete(aw, issued)
    close_case(case, aw.owner, outcome="reached", note="ok")
    db.session.commit()
    login(client, aw.owner)
    assert "three-month evaluation" not in client.get("/").get_data(as_text=True)  # not due yet
    db.session.execute(sa.update(CaseClosure).values(evaluation_due_on=date.today() - timedelta(days=3)))
    db.session.commit()
    for url in ("/", f"/cases/{case.id}"):
        html = client.get(url).get_data(as_text=True)
        assert f"The three-month evaluation of case {case.reference} is due" in html, url
        assert f'href="/advice/cases/{case.id}/evaluation"' in html
    db.session.execute(sa.update(CaseClosure).values(evaluation_at=sa.func.current_timestamp(), evaluation_result="held"))
    db.session.commit()
    assert "three-month evaluation" not in client.get("/").get_data(as_text=True)
