"""Issue 17, part 5: a catalogue price carries its source and year, and a deviating unit cost
needs a reason; retention per case result; repeat referrals."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from advice.drafting import add_cost_line
from advice.models import CostLine
from core.db import db
from core.errors import ServiceError


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
