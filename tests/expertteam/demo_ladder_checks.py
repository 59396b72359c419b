"""Checked from ``test_demo.test_demo_is_complete_and_idempotent`` on its seeded demo: issue 17,
parts 1 and 5 (expertteam/demo/ladder.py)."""
import sqlalchemy as sa

from advice.escalation import services as escalation
from advice.escalation.models import Escalation, Level
from advice.models import Action, Advice, CostLine
from casefiles.models import Case, CaseStatus
from casefiles.retention_terms import terms_of
from core.db import db
from core.models import Commitment

STATUSES = {"Fam. Hazelaar": CaseStatus.IN_EXECUTION, "Dhr. Olm": CaseStatus.ADVISED, "Fam. Wilg": CaseStatus.SUBMITTED}


def check_ladder_demo():
    cases = {c.household_pseudonym: c for c in db.session.scalars(sa.select(Case))}
    levels = dict(db.session.execute(
        sa.select(Case.household_pseudonym, Escalation.level).join(Action, Action.id == Escalation.action_id)
        .join(Advice, Advice.id == Action.advice_id).join(Case, Case.id == Advice.case_id)).all())
    assert levels == {"Fam. Hazelaar": Level.NATIONAL, "Dhr. Olm": Level.DIRECTOR}, levels
    hazelaar = db.session.scalar(sa.select(Escalation).join(Action, Action.id == Escalation.action_id)
                                 .join(Advice, Advice.id == Action.advice_id).where(Advice.case_id == cases["Fam. Hazelaar"].id))
    assert hazelaar.director_answer.value == "explain" and hazelaar.steering_referred_on and hazelaar.national_sent_on
    assert [(s.from_level, s.to_level, s.by_id is None) for s in hazelaar.steps] == [(1, 2, True), (2, 3, False), (3, 4, True)]
    olm = db.session.scalar(sa.select(Escalation).where(Escalation.level == Level.DIRECTOR))
    assert olm.director_mailed_at is not None and olm.director_answered_at is None
    assert escalation.level_of(olm.action) == Level.DIRECTOR
    deviating = db.session.scalar(sa.select(CostLine).where(CostLine.deviation_reason != ""))
    assert deviating is not None and deviating.catalogue_cost_cents == 750_000 and deviating.price_year == 2014
    wilg = cases["Fam. Wilg"]
    assert wilg.repeat_of_id is not None and wilg.repeat_within_year
    assert all(terms_of(wilg.team).values())
    assert db.session.scalar(sa.select(sa.func.count()).where(Commitment.escalation_email != "")) == 4
