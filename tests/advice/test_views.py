"""Advice pages through a browser-like client: drafting and issuing, need-to-know for contacts
(by id too), the concurrent confirm in two sessions, bad input, the signed link."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from advice import tokens
from advice.closure.services import closure_of
from advice.drafting.issuing import verify_hash
from advice.follow_through.services import complete_action
from advice.lifecycle import draft_of
from advice.models import Action, ActionStatus, Advice, AdviceStatus
from casefiles.models import CaseStatus
from core.db import db
from tests.conftest import BrowserClient, csrf_token, login, post_form

VERSION = re.compile(r'name="c-version"[^>]*value="(\d+)"')


def new_client(app):
    app.test_client_class = BrowserClient
    return app.test_client()


def token_of(client, url, name="csrf_token"):
    html = client.get(url).get_data(as_text=True)
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]+)"', html)
    assert match, f"no {name} on {url}"
    return match.group(1)


def test_draft_and_issue_through_the_pages(app, client, aw, discussed):
    case = discussed()
    login(client, aw.secretary)
    edit_url = f"/advice/cases/{case.id}/edit"
    assert client.get(edit_url).status_code == 200
    assert post_form(client, edit_url).status_code == 302
    advice = draft_of(case)
    assert advice is not None
    t = token_of(client, edit_url, "csrf_token")
    base = {"csrf_token": t, "situation": "S", "blockage": "B", "advice_text": "Grant urgency", "legal_free_text": "",
            "save": "1"}
    r = client.post(edit_url, data={**base, "lock_version": str(advice.lock_version)})
    assert r.status_code == 302
    db.session.expire_all()
    assert advice.advice_text == "Grant urgency"
    deadline = (date.today() + timedelta(days=10)).isoformat()
    # A tampered organisation (not committed) is refused; nothing is saved, not even the texts.
    r = client.post(edit_url, data={**base, "advice_text": "Changed", "lock_version": str(advice.lock_version),
                                    "actions-0-organisation": str(aw.uncommitted_org.id),
                                    "actions-0-description": "Do it", "actions-0-deadline": deadline})
    assert r.status_code == 400
    db.session.expire_all()
    assert advice.actions == [] and advice.advice_text == "Grant urgency"
    # A half-filled row is marked on its field; the typed text stays on the page.
    r = client.post(edit_url, data={**base, "advice_text": "Kept on the page", "lock_version": str(advice.lock_version),
                                    "actions-0-organisation": str(aw.org.id), "actions-0-description": "No deadline"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="actions-0-deadline-error"' in page and "Kept on the page" in page
    db.session.expire_all()
    assert advice.actions == []
    # Texts, a ground, a cost line and two actions in one save.
    r = client.post(edit_url, data={**base, "lock_version": str(advice.lock_version), "grounds": [str(aw.ref.id)],
                                    "costs-0-side": "current", "costs-0-intervention": str(aw.eviction.id),
                                    "costs-0-quantity": "0,5",
                                    "actions-0-organisation": str(aw.org.id), "actions-0-description": "Offer a home",
                                    "actions-0-deadline": deadline,
                                    "actions-1-organisation": str(aw.org2.id), "actions-1-description": "Start treatment",
                                    "actions-1-deadline": deadline})
    assert r.status_code == 302
    db.session.expire_all()
    assert sorted(x.description for x in advice.actions) == ["Offer a home", "Start treatment"]
    assert [g.legal_reference_id for g in advice.legal_grounds] == [aw.ref.id]
    assert [(c.name, c.quantity_hundredths) for c in advice.cost_lines] == [("Eviction", 50)]
    # Removing in place: the second action and the line go, the ground is no longer ticked.
    treatment = next(a for a in advice.actions if a.description == "Start treatment")
    line = advice.cost_lines[0]
    r = client.post(edit_url, data={**base, "lock_version": str(advice.lock_version),
                                    "remove_actions": [str(treatment.id)], "remove_costs": [str(line.id)]})
    assert r.status_code == 302
    db.session.expire_all()
    assert [x.description for x in advice.actions] == ["Offer a home"]
    assert advice.cost_lines == [] and advice.legal_grounds == []
    # The secretary cannot issue; the chair can.
    assert post_form(client, f"/advice/{advice.id}/issue", token_from=edit_url).status_code == 403
    login(client, aw.chair)
    r = post_form(client, f"/advice/{advice.id}/issue", token_from=edit_url)
    assert r.status_code == 302
    db.session.expire_all()
    assert advice.status == AdviceStatus.ISSUED and case.status == CaseStatus.ADVISED
    page = client.get(f"/advice/{advice.id}").get_data(as_text=True)
    assert advice.content_hash in page
    printed = client.get(f"/advice/{advice.id}/print").get_data(as_text=True)
    assert case.reference in printed and aw.expert.name in printed and "Grant urgency" in printed
    # The case owner reads it; an expert of another team does not.
    login(client, aw.owner)
    assert client.get(f"/advice/{advice.id}").status_code == 200
    login(client, aw.other_chair)
    assert client.get(f"/advice/{advice.id}").status_code == 404


def test_contacts_see_only_their_organisations_actions(client, aw, issued):
    advice = issued()
    case = advice.case
    housing, ggz = (next(a for a in advice.actions if a.organisation_id == o.id) for o in (aw.org, aw.org2))
    login(client, aw.contact)
    home = client.get("/advice/actions").get_data(as_text=True)
    assert f"/advice/actions/{housing.id}" in home and f"/advice/actions/{ggz.id}" not in home
    page = client.get(f"/advice/actions/{housing.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert case.reference in html and case.household_pseudonym in html and "Offer a home" in html
    for intake in ("Mother (34)", "Regular debt help", "Can urgency be granted", "Start treatment"):
        assert intake not in html
    # By id: another organisation's action, the case, the advice: all 404.
    for url in (f"/advice/actions/{ggz.id}", f"/cases/{case.id}", f"/advice/{advice.id}",
                f"/advice/{advice.id}/print", f"/advice/teams/{aw.team.id}/overview"):
        assert client.get(url).status_code == 404, url
    r = post_form(client, f"/advice/actions/{ggz.id}/confirm", {"c-version": str(ggz.version)},
                  token_from=f"/advice/actions/{housing.id}")
    assert r.status_code in (400, 404)
    db.session.expire_all()
    assert ggz.status == ActionStatus.OPEN
    # The same organisation's contact in another team sees nothing of this team.
    login(client, aw.other_team_contact)
    assert client.get(f"/advice/actions/{housing.id}").status_code == 404
    assert f"/advice/actions/{housing.id}" not in client.get("/advice/actions").get_data(as_text=True)


def test_two_contacts_confirming_at_once_lose_nothing(app, aw, issued):
    advice = issued()
    action = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    url = f"/advice/actions/{action.id}"
    first, second = new_client(app), new_client(app)
    login(first, aw.contact)
    login(second, aw.contact1b)
    forms = []
    for c in (first, second):
        html = c.get(url).get_data(as_text=True)
        forms.append({"c-csrf_token": re.search(r'name="c-csrf_token"[^>]*value="([^"]+)"', html).group(1),
                      "c-version": VERSION.search(html).group(1), "c-confirm": "1"})
    assert forms[0]["c-version"] == forms[1]["c-version"]
    assert first.post(f"{url}/confirm", data=forms[0]).status_code == 302
    r = second.post(f"{url}/confirm", data=forms[1])
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "flash-error" in html and aw.contact.name in html  # the message and the current state
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    assert action.status == ActionStatus.CONFIRMED and action.confirmed_by_id == aw.contact.id
    assert advice.case.status == CaseStatus.IN_EXECUTION


def test_refuse_needs_a_reason_through_the_page(client, aw, issued):
    advice = issued()
    action = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    login(client, aw.contact)
    url = f"/advice/actions/{action.id}"
    t = token_of(client, url, "r-csrf_token")
    r = client.post(f"{url}/refuse", data={"r-csrf_token": t, "r-version": str(action.version), "r-reason": "  ",
                                           "r-refuse": "1"})
    assert r.status_code == 400
    db.session.expire_all()
    assert action.status == ActionStatus.OPEN and action.escalated_at is None
    r = client.post(f"{url}/refuse", data={"r-csrf_token": t, "r-version": str(action.version),
                                           "r-reason": "No homes", "r-refuse": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    assert action.status == ActionStatus.REFUSED and action.escalated_at is not None
    # It is on the team's list back on the table, where the chair records the decision.
    login(client, aw.chair)
    page = client.get(f"/advice/teams/{aw.team.id}/back-on-table").get_data(as_text=True)
    assert f"/advice/actions/{action.id}/decide" in page
    decide = f"/advice/actions/{action.id}/decide"
    r = post_form(client, decide, {"decision": "drop", "note": "Other route"})
    assert r.status_code == 302
    db.session.expire_all()
    assert action.status == ActionStatus.DROPPED


def test_signed_confirm_link(client, aw, issued):
    advice = issued()
    action = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    link = tokens.confirm_path(action.id)
    assert client.get(link).status_code == 302  # sign in first
    login(client, aw.contact)
    page = client.get(link)
    assert page.status_code == 200 and f"/advice/actions/{action.id}/confirm" in page.get_data(as_text=True)
    forged = f"/advice/actions/{action.id}/confirm/{tokens.make(action.id + 1)}"
    assert client.get(forged).status_code == 302
    assert tokens.read("garbage") is None
    assert tokens.read(tokens.make(action.id), max_age=-1) is None
    login(client, aw.contact2)
    assert client.get(link).status_code == 404


def test_overview_and_catalogue_for_the_lead_only(client, aw, issued):
    issued()
    login(client, aw.chair)
    page = client.get(f"/advice/teams/{aw.team.id}/overview")
    assert page.status_code == 200 and aw.org.name in page.get_data(as_text=True)
    assert client.get(f"/advice/teams/{aw.team.id}/catalogue").status_code == 200
    r = post_form(client, f"/advice/teams/{aw.team.id}/catalogue",
                  {"i-name": "Shelter", "i-unit_cost": "abc", "i-unit": "per month", "i-add_intervention": "1",
                   "i-csrf_token": token_of(client, f"/advice/teams/{aw.team.id}/catalogue", "i-csrf_token")})
    assert r.status_code == 400
    for user in (aw.expert, aw.contact, aw.owner, aw.other_chair):
        login(client, user)
        assert client.get(f"/advice/teams/{aw.team.id}/overview").status_code == 404


def test_close_and_evaluation_pages(client, aw, issued):
    advice = issued()
    for a in advice.actions:
        contact = aw.contact if a.organisation_id == aw.org.id else aw.contact2
        complete_action(a, contact, expected_version=a.version, note="done", done_on=date.today())
    db.session.commit()
    case = advice.case
    login(client, aw.chair)
    assert client.get(f"/advice/cases/{case.id}/close").status_code == 403
    login(client, aw.owner)
    assert post_form(client, f"/advice/cases/{case.id}/close", {"outcome": "reached", "note": ""}).status_code == 200
    db.session.expire_all()
    assert case.status == CaseStatus.COMPLETED
    assert post_form(client, f"/advice/cases/{case.id}/close", {"outcome": "reached", "note": "Done"}).status_code == 302
    db.session.expire_all()
    assert case.status == CaseStatus.CLOSED
    r = post_form(client, f"/advice/cases/{case.id}/evaluation", {"result": "held", "note": "Holding"})
    assert r.status_code == 302
    assert closure_of(case).evaluation_result.value == "held"


def test_pages_take_a_fixed_number_of_queries(app, aw, issued, count_queries):
    """The contact's home and the advice page do not grow with the number of actions."""
    def measure(n_actions):
        advice = issued(actions=[(aw.org, f"Action {i}") for i in range(n_actions)])
        client = new_client(app)
        login(client, aw.contact)
        client.get("/advice/actions")
        with count_queries() as home:
            assert client.get("/advice/actions").status_code == 200
        login(client, aw.chair)
        client.get(f"/advice/{advice.id}")
        with count_queries() as page:
            assert client.get(f"/advice/{advice.id}").status_code == 200
        return home.count, page.count

    assert measure(1) == measure(4)


def test_correction_pages(client, aw, issued):
    advice = issued()
    login(client, aw.secretary)
    url = f"/advice/{advice.id}/correct"
    assert client.get(url).status_code == 200
    assert post_form(client, url, {"reason": ""}).status_code == 200
    assert draft_of(advice.case) is None
    assert post_form(client, url, {"reason": "Wrong deadline"}).status_code == 302
    draft = draft_of(advice.case)
    assert draft.version == 2 and draft.supersedes_id == advice.id
    page = client.get(f"/advice/cases/{advice.case_id}/edit").get_data(as_text=True)
    assert "Wrong deadline" in page
    # The issued version stays readable and is not changed by the correction draft.
    assert client.get(f"/advice/{advice.id}").status_code == 200
    assert verify_hash(db.session.get(Advice, advice.id))
    r = post_form(client, f"/advice/{draft.id}/discard", token_from=f"/advice/cases/{advice.case_id}/edit")
    assert r.status_code == 302 and draft_of(advice.case) is None


def test_the_contacts_action_page_says_whom_to_ask_and_shows_the_history(client, aw, issued):
    from advice.follow_through.jobs import remind_due_soon
    from advice.follow_through.services import confirm_action, refuse_action
    from tests.advice.follow_through.test_jobs import noon

    advice = issued()
    housing = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    confirm_action(housing, aw.contact, expected_version=housing.version)
    db.session.commit()
    remind_due_soon(noon(housing.deadline - timedelta(days=2)))
    db.session.refresh(housing)
    refuse_action(housing, aw.contact, expected_version=housing.version, reason="No home available")
    aw.contact.locale = "en"
    db.session.commit()
    login(client, aw.contact)
    html = client.get(f"/advice/actions/{housing.id}").get_data(as_text=True)
    # Whom to ask, with how to reach them.
    assert aw.owner.name in html and f"mailto:{aw.owner.email}" in html
    assert aw.chair.name in html and f"mailto:{aw.chair.email}" in html
    # The history in order: assigned, confirmed (by whom), reminded, refused.
    section = html[html.index("History of this action"):]
    steps = ["Assigned to " + aw.org.name, "Confirmed (" + aw.contact.name, "Reminder sent", "Refused (" + aw.contact.name,
             "Escalated to the chair<"]
    assert all(step in section for step in steps), section[:1500]
    positions = [section.index(step) for step in steps]
    assert positions == sorted(positions)
