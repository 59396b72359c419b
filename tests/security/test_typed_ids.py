"""Ids typed into query strings and form fields: what ``int`` refuses but ``str.isdigit`` lets
through ('²'), and numbers no id column holds, are refused or ignored like any unknown id (400,
or the page as without the choice), never a 500. One rule: ``core.routing.parse_id``."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from advice.follow_through.models import ActionAttachment
from advice.models import Advice
from casefiles.models import Case
from core.db import db
from core.routing import MAX_ID, parse_id
from tests.advice.conftest import _english, aw, discussed, drafted, issued  # noqa: F401 - shared fixtures
from tests.casefiles.blockage.conftest import seed_map  # noqa: F401 - the map the draft ties actions to
from tests.conftest import login, post_form

#: Digits ``int`` refuses, and ids past PostgreSQL's integer and past SQLite's 64 bits.
TAMPERED = ("²", "١٢", "+1", str(2**31), str(2**63), "9" * 5_000)


def test_parse_id():
    assert [parse_id(v) for v in ("1", "007", str(MAX_ID))] == [1, 7, MAX_ID]
    assert [parse_id(v) for v in (None, "", "0", "-1", "1.0", *TAMPERED)] == [None] * (5 + len(TAMPERED))


def test_query_strings(client, aw):  # noqa: F811
    login(client, aw.chair)
    for value in TAMPERED:
        assert client.get(f"/advice/teams/{aw.team.id}/overview?organisation={value}").status_code == 200, value
        assert client.get(f"/legal-grounds/teams/{aw.team.id}?edit={value}").status_code == 200, value


def test_sharing_files_ignores_pairs_that_name_no_ids(client, aw, issued):  # noqa: F811
    advice = issued()
    action = advice.actions[0]
    login(client, aw.chair)
    url = f"/advice/{advice.id}/attachments"
    shares = [f"{value}-{action.id}" for value in TAMPERED] + [f"1-{value}" for value in TAMPERED]
    assert post_form(client, url, {"share": shares}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionAttachment)) == 0


def test_a_recipients_ground_and_a_lessons_source(client, aw, issued):  # noqa: F811
    advice = issued()
    login(client, aw.owner)
    grounds = f"/advice/cases/{advice.case_id}/legal-grounds"
    for value in TAMPERED:
        assert post_form(client, grounds, {f"ground-{aw.org2.id}": value}).status_code == 400, value
    login(client, aw.secretary)
    for value in TAMPERED:
        response = post_form(client, f"/plan/advice/{advice.id}/lessons", {"source-0": value, "text-0": ""})
        assert response.status_code == 400, value


def test_a_new_cases_ground(client, aw):  # noqa: F811
    from tests.casefiles.test_views import FULL_FORM

    login(client, aw.owner)
    url = f"/teams/{aw.team.id}/cases/new"
    for value in TAMPERED:
        response = post_form(client, url, {**FULL_FORM, "organisations": [str(aw.org.id)], f"ground-{aw.org.id}": value,
                                           "save": "1"})
        assert response.status_code == 200 and "error-summary" in response.get_data(as_text=True), value
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


@pytest.mark.parametrize("field", ["tie", "lock_version"])
def test_the_draft_advice(client, aw, discussed, drafted, seed_map, field):  # noqa: F811
    case = discussed()
    seed_map(case)
    advice = drafted(case=case)
    login(client, aw.secretary)
    page = f"/advice/cases/{advice.case_id}/edit"
    data = {"situation": advice.situation, "blockage": advice.blockage, "advice_text": advice.advice_text,
            "legal_free_text": advice.legal_free_text, "lock_version": str(advice.lock_version), "save": "1"}
    version = advice.lock_version
    key = f"tie-action-{advice.actions[0].id}" if field == "tie" else "lock_version"
    # A version is read by int() (so "+1" is 1): only the numbers no column holds are tampered.
    for value in TAMPERED if field == "tie" else (str(2**31), str(2**63), "9" * 5_000):
        assert post_form(client, page, {**data, key: value}).status_code == 400, value
    db.session.expire_all()
    assert db.session.get(Advice, advice.id).lock_version == version


def test_a_button_naming_a_row(client, aw):  # noqa: F811
    login(client, aw.chair)
    url = f"/legal-grounds/teams/{aw.team.id}"
    for value in (str(2**31), str(2**63), "²"):
        assert post_form(client, url, {"deactivate": value}).status_code == 400, value
