"""The advice demo seeder is idempotent and its helper issues advice through the services."""
from __future__ import annotations

from datetime import date, timedelta

from advice.models import ActionStatus, AdviceStatus
from casefiles.models import CaseStatus
from core.db import db
from expertteam.demo import advice as demo
from tests.advice.conftest import _english, aw, discussed  # noqa: F401  (fixtures of the advice)


def test_seed_is_idempotent_and_marks_examples(aw):
    assert demo.seed_advice_demo(aw.team, aw.chair) == (len(demo.LEGAL_REFERENCES),
                                                        len(demo.SOURCED_INTERVENTIONS) + len(demo.INTERVENTIONS))
    db.session.commit()
    assert demo.seed_advice_demo(aw.team, aw.chair) == (0, 0)


def test_demo_advise_issues_with_past_deadlines(aw, discussed):
    demo.seed_advice_demo(aw.team)
    case = discussed()
    advice = demo.demo_advise(
        case, aw.chair,
        actions=[(aw.org, "Offer a home", date.today() - timedelta(days=3)),
                 (aw.org2, "Start treatment", date.today() + timedelta(days=20))],
        advice_text="Grant urgency.", legal_laws=["Huisvestingswet 2014"],
        costs=[("current", "Huisuitzetting, directe kosten", "0.5"),
               ("breakthrough", "Maatschappelijk werk, begeleiding (voorbeeldbedrag)", "1")],
    )
    db.session.commit()
    assert advice.status == AdviceStatus.ISSUED and case.status == CaseStatus.ADVISED
    assert advice.net_effect_cents == 375_000 - 300_000  # half of the sourced € 7,500 (Eropaf 2014)
    assert advice.cost_lines[0].price_year == 2014 and not advice.cost_lines[0].is_example
    assert [g.law for g in advice.legal_grounds] == ["Huisvestingswet 2014"]
    assert advice.actions[0].is_overdue() and advice.actions[0].status == ActionStatus.OPEN
