"""Checked from ``test_demo.test_demo_is_complete_and_idempotent`` on its seeded demo (one seed
for both). The demo shows issue 17's parts on its cases: grounds per recipient and a draft held back by a
stalled bill, the plan with its coordinator in the issued hash, progress notes, the evaluation per
goal, and lessons counted in the figures."""
import sqlalchemy as sa

from advice.drafting.issuing import canonical_content, verify_hash
from advice.models import Advice, AdviceStatus
from advice.plan import services as plan
from advice.plan import lessons
from casefiles import lawful_basis
from casefiles.models import Case
from core.clock import team_today, utcnow
from core.db import db
from core.period import Period
from reports.blocking import blocking


def check_plan_demo():
    cases = {c.household_pseudonym: c for c in db.session.scalars(sa.select(Case))}
    peeters, linde = cases["Gezin Peeters"], cases["Gezin Linde"]
    assert peeters.referring_organisation is not None and lawful_basis.missing_grounds(peeters) == []
    assert any("Wams" in p or "in force" in p or "geldend" in p for p in lawful_basis.missing_grounds(linde))
    advice = db.session.scalar(sa.select(Advice).where(Advice.case_id == peeters.id, Advice.status == AdviceStatus.ISSUED))
    assert "plan" in canonical_content(advice) and verify_hash(advice)
    assert len(plan.notes_of(peeters)) == 2 and len(plan.goal_reviews(peeters)) == 3
    assert lessons.lessons_of(advice)[0].deviates
    today = team_today(peeters.team, utcnow())
    found = blocking(peeters.team_id, Period(today.replace(month=1, day=1) if today.month > 4 else today.replace(year=today.year - 1), today))
    assert sum(b.lessons for b in found) >= 3
