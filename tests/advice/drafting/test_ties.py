"""The advice names the needs it breaks; an action done solves its need; the map shows what is free."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from advice.drafting import ties
from advice.drafting.issuing import canonical_content, correct_advice, issue_advice, verify_hash
from advice.follow_through.services import complete_action
from advice.guard import ImmutableAdviceError
from advice.models import Advice
from casefiles.blockage import services as blockage
from casefiles.blockage.models import Need, NeedStatus
from core.db import db
from core.errors import ServiceError
from tests.casefiles.blockage.conftest import _english_pages, seed_map  # noqa: F401  (fixtures of the map)
from tests.conftest import login, post_form


def test_action_done_solves_the_need_and_frees_the_circle(client, aw, discussed, drafted, seed_map):
    case = discussed()
    s = seed_map(case)
    advice = drafted(case=case)
    debt_action = advice.actions[0]
    ties.tie_needs(advice, aw.secretary, need_ids=[s.debt.id], action_needs={debt_action.id: s.debt.id})
    db.session.commit()
    assert ties.broken_needs(advice) == [s.debt]
    assert "breaks_needs" in canonical_content(advice)
    issue_advice(advice, aw.chair)
    db.session.commit()
    assert verify_hash(advice)
    # Issued: the ties are fixed.
    with pytest.raises(ServiceError):
        ties.tie_needs(advice, aw.chair, need_ids=[], action_needs={})
    debt_action.need_id = s.address.id
    with pytest.raises(ImmutableAdviceError):
        db.session.flush()
    db.session.rollback()

    complete_action(debt_action, aw.contact, expected_version=debt_action.version,
                                    note="Arrangement signed.", done_on=date.today())
    db.session.commit()
    db.session.expire_all()
    debt = db.session.get(Need, s.debt.id)
    assert debt.status == NeedStatus.SOLVED and debt.solved_by_action_id == debt_action.id
    # Urgency waited only for the debt arrangement: it is free now (blocked -> open); the fixed
    # address still waits for urgency.
    assert db.session.get(Need, s.urgency.id).status == NeedStatus.OPEN
    assert db.session.get(Need, s.address.id).status == NeedStatus.BLOCKED
    bmap = blockage.blockage_map(case)
    assert bmap.circles() == []
    assert [n.title for n in bmap.free_now] == ["Rental urgency"]
    assert bmap.biggest.title == "Rental urgency" and bmap.freed(bmap.biggest) == 2
    login(client, aw.owner)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Free now" in html and "Vicious circle" not in html


def test_ties_through_the_draft_page_and_corrections_keep_them(client, aw, discussed, drafted, seed_map):
    case = discussed()
    s = seed_map(case)
    advice = drafted(case=case)
    action = advice.actions[1]
    login(client, aw.secretary)
    page = f"/advice/cases/{case.id}/edit"
    html = client.get(page).get_data(as_text=True)
    assert "This advice breaks" in html

    def save(**fields):
        db.session.expire_all()
        current = db.session.get(Advice, advice.id)
        data = {"situation": current.situation, "blockage": current.blockage, "advice_text": current.advice_text,
                "legal_free_text": current.legal_free_text, "lock_version": str(current.lock_version), "save": "1",
                **fields}
        return post_form(client, page, data, token_from=page)

    r = save(breaks=[s.urgency.id], **{f"tie-action-{action.id}": s.urgency.id})
    assert r.status_code == 302
    db.session.expire_all()
    assert [n.id for n in ties.broken_needs(advice)] == [s.urgency.id]
    assert advice.actions[1].need_id == s.urgency.id
    # A need of another case is refused.
    other = blockage.add_need(discussed(), aw.owner, title="Elsewhere")
    db.session.commit()
    assert save(**{f"tie-action-{action.id}": other.id}).status_code == 400
    assert save(breaks=[other.id]).status_code == 400
    db.session.expire_all()
    assert advice.actions[1].need_id == s.urgency.id
    # An expert cannot edit the draft at all.
    login(client, aw.expert)
    assert client.get(page).status_code in (403, 404)
    issue_advice(advice, aw.chair)
    db.session.commit()
    new = correct_advice(advice, aw.chair, reason="Typo")
    db.session.commit()
    assert [n.id for n in ties.broken_needs(new)] == [s.urgency.id]
    assert sorted(a.need_id or 0 for a in new.actions) == [0, s.urgency.id]


def test_a_tied_need_cannot_be_removed(aw, discussed, drafted, seed_map):
    case = discussed()
    s = seed_map(case)
    advice = drafted(case=case)
    ties.tie_needs(advice, aw.secretary, need_ids=[s.debt.id], action_needs={})
    with pytest.raises(ServiceError):
        blockage.remove_need(s.debt, aw.owner)
    blockage.remove_need(s.children, aw.owner)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need).where(Need.case_id == case.id)) == 3


def test_issued_advice_and_its_print_name_the_needs_it_breaks(client, aw, discussed, drafted, seed_map):
    case = discussed()
    s = seed_map(case)
    advice = drafted(case=case)
    debt_action = advice.actions[0]
    ties.tie_needs(advice, aw.secretary, need_ids=[s.debt.id], action_needs={debt_action.id: s.debt.id})
    issue_advice(advice, aw.chair)
    db.session.commit()
    login(client, aw.expert)
    for url in (f"/advice/{advice.id}", f"/advice/{advice.id}/print"):
        html = client.get(url).get_data(as_text=True)
        section = html[html.index('id="h-breaks"'):html.index('id="h-actions"')]
        assert s.debt.title in section, url
        assert s.address.title not in section, url
        assert html.count(s.debt.title) >= 2  # the section, and the action that solves it
