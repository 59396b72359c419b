"""Issue 17, part 5: a catalogue price carries its source and year, and a deviating unit cost
needs a reason; retention per case result; repeat referrals."""
from __future__ import annotations

from datetime import UTC

import pytest
import sqlalchemy as sa

from advice.drafting.services import add_cost_line
from advice.models import CostLine
from core.db import db
from core.errors import ServiceError
from tests.casefiles.blockage.conftest import _english_pages  # noqa: F401  (the pages in English: the tests read English texts)


def test_a_deviating_price_needs_a_reason_and_keeps_both(aw, drafted):
    advice = drafted()
    aw.eviction.price_year = 2014
    db.session.commit()
    with pytest.raises(ServiceError, match="differs from the catalogue"):
        add_cost_line(advice, aw.secretary, side="current", quantity="1", intervention_id=aw.eviction.id,
                      unit_cost="7500")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(CostLine.id))) == 0
    same = add_cost_line(advice, aw.secretary, side="current", quantity="1", intervention_id=aw.eviction.id,
                         unit_cost="20000")
    assert same.catalogue_cost_cents is None and same.deviation_reason == ""
    line = add_cost_line(advice, aw.secretary, side="current", quantity="0.5", intervention_id=aw.eviction.id,
                         unit_cost="7500", deviation_reason="Eropaf 2014, midpoint of the range")
    db.session.commit()
    assert (line.unit_cost_cents, line.catalogue_cost_cents, line.amount_cents) == (750_000, 2_000_000, 375_000)
    assert line.price_year == 2014


def test_the_draft_page_asks_for_the_reason_and_shows_it(aw, drafted, login_as, client):
    from tests.conftest import post_form
    advice = drafted()
    login_as(aw.secretary)
    url = f"/advice/cases/{advice.case_id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="costs-0-deviation_reason"' in page
    form = {"lock_version": str(advice.lock_version), "save": "1", "situation": advice.situation, "blockage": advice.blockage,
            "advice_text": advice.advice_text, "legal_free_text": advice.legal_free_text,
            "costs-0-side": "current", "costs-0-intervention": str(aw.eviction.id), "costs-0-unit_cost": "7500",
            "costs-0-quantity": "1"}
    refused = post_form(client, url, form)
    assert refused.status_code == 400 and "differs from the catalogue" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CostLine.id))) == 0
    form["costs-0-deviation_reason"] = "Local landlord's figure"
    assert post_form(client, url, form).status_code in (302, 303)
    assert "Local landlord" in client.get(url).get_data(as_text=True)


def test_retention_honours_the_term_per_result(aw, create_case):
    from datetime import datetime

    from casefiles import privacy
    from casefiles.models import Case
    from casefiles.retention_terms import set_term
    declined, withdrawn, other_declined = create_case("declined"), create_case("withdrawn"), create_case("declined",
                                                                                                          team=aw.other_team, owner=aw.other_owner)
    ended = datetime(2024, 1, 10, 12, tzinfo=UTC)
    db.session.execute(sa.update(Case).values(updated_at=ended, closed_at=None))
    db.session.commit()
    assert aw.team.retention_years == 2  # the general term
    set_term(aw.team, aw.chair, "declined", years=1, archive_category="", confirmed_on=None)
    set_term(aw.team, aw.chair, "withdrawn", years=5, archive_category="Selectielijst 2020, 5 jaar", confirmed_on=None)
    db.session.commit()

    def due(day):
        return set(db.session.scalars(privacy.due_query(datetime(*day, 13, tzinfo=UTC))))

    assert due((2025, 1, 9)) == set()
    assert due((2025, 1, 10)) == {declined.id}  # one year, this team's term for a declined case
    assert due((2026, 1, 10)) == {declined.id, other_declined.id}  # the other team: its general 2 years
    assert due((2029, 1, 10)) == {declined.id, other_declined.id, withdrawn.id}
    with pytest.raises(ServiceError):
        set_term(aw.team, aw.owner, "closed", years=3, archive_category="", confirmed_on=None)
    with pytest.raises(ServiceError):
        set_term(aw.team, aw.chair, "closed", years=0, archive_category="", confirmed_on=None)


def test_repeat_referral_within_12_months_is_flagged_and_counted(aw, create_case, login_as, client):
    from datetime import date, timedelta

    from casefiles.models import Case
    from core.period import Period
    from reports import ladder_figures
    from tests.conftest import post_form
    old, recent, fresh = create_case("withdrawn"), create_case("declined"), create_case("draft")
    db.session.execute(sa.update(Case).where(Case.id == old.id).values(updated_at=fresh.created_at - timedelta(days=400)))
    db.session.execute(sa.update(Case).where(Case.id == recent.id).values(updated_at=fresh.created_at - timedelta(days=30)))
    db.session.commit()
    login_as(aw.owner)
    page = f"/cases/{fresh.id}"
    assert post_form(client, f"/cases/{fresh.id}/repeat", {"earlier_reference": old.reference}, token_from=page).status_code == 302
    db.session.expire_all()
    assert fresh.repeat_of_id == old.id and fresh.repeat_within_year is False
    assert post_form(client, f"/cases/{fresh.id}/repeat", {"earlier_reference": "NOPE-1"}, token_from=page).status_code == 302
    db.session.expire_all()
    assert fresh.repeat_of_id == old.id  # refused, nothing changed
    post_form(client, f"/cases/{fresh.id}/repeat", {"earlier_reference": recent.reference}, token_from=page)
    db.session.expire_all()
    assert fresh.repeat_of_id == recent.id and fresh.repeat_within_year is True
    from casefiles import services
    services.submit_case(fresh, aw.owner)
    db.session.commit()
    login_as(aw.chair)
    assert "Repeat within 12 months of closing" in client.get(f"/cases/{fresh.id}/intake").get_data(as_text=True)
    fig = ladder_figures.compute(aw.team.id, Period(date.today() - timedelta(days=1), date.today() + timedelta(days=1)))
    assert (fig.repeats, fig.repeats_linked) == (1, 1)
    login_as(aw.owner2)  # not the owner: may not link
    assert post_form(client, f"/cases/{fresh.id}/repeat", {"earlier_reference": ""}, token_from="/").status_code in (403, 404)
