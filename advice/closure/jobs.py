"""The three-month evaluation's job (``advice.ask_followup``): three months after closing, the
case owner is asked whether the breakthrough holds, once. Like the follow-through jobs it takes
``now``, works set-based across all teams (their windows of days: ``advice.windows``), is safe to
run twice (the closures are claimed by one conditional UPDATE … RETURNING, so only one run asks)
and commits its own work. The claim sets ``evaluation_asked_at`` only."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from advice.windows import chunks, grouped, team_days, within
from casefiles.models import Case
from core import audit
from core.db import db
from core.models import User
from notifications.services import notify_many

from .models import CaseClosure


def ask_evaluation(now: datetime) -> str:
    """Three months after closing, ask the case owner whether the breakthrough holds (once)."""
    windows = grouped((team_id, (None, today + timedelta(days=1)))
                       for team_id, today, _reminder, _grace in team_days(now))
    claimed: list[Any] = []
    if windows:
        per_team, overall = within(CaseClosure.evaluation_due_on, CaseClosure.team_id, windows)
        claimed = db.session.execute(
            sa.update(CaseClosure)
            .where(CaseClosure.evaluation_asked_at.is_(None), CaseClosure.evaluation_at.is_(None), overall, per_team)
            .values(evaluation_asked_at=now)
            .returning(CaseClosure.case_id, CaseClosure.team_id)
            .execution_options(synchronize_session=False)
        ).all()
    team_of = {case_id: team_id for case_id, team_id in claimed}
    cases: list[Any] = []
    for chunk in chunks(sorted(team_of)):
        cases += db.session.execute(
            sa.select(Case.id, Case.reference, User).join(User, User.id == Case.owner_id)
            .where(Case.id.in_(chunk)).order_by(Case.id)
        ).all()
    notify_many(([owner], "advice.followup_due", {"reference": reference}, f"/advice/cases/{case_id}/evaluation")
                for case_id, reference, owner in cases)
    for case_id, _reference, _owner in cases:
        audit.record("case.followup_asked", object_type="case", object_id=case_id, actor=None,
                     team_id=team_of[case_id])
    db.session.commit()
    return f"{len(claimed)} three-month evaluations asked"
