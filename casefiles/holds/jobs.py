"""The hard cases' timed job (registered by ``casefiles.holds.init_app``)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa

from casefiles.models import Case
from core import audit
from core.clock import team_today
from core.db import db
from core.models import Team, User
from notifications.services import notify_many

from .models import CaseHold


def hold_reminders(now: datetime) -> str:
    """Remind the owner on the retry date of an open hold (once: ``reminded_at``).

    Set-based across all teams: the teams are grouped by their local date (a handful of zones),
    one UPDATE claims the due holds of every team, one query loads them with case and owner."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for team in db.session.execute(sa.select(Team.id, Team.timezone)):
        by_day[team_today(team, now)].append(team.id)
    if not by_day:
        return "0 owner(s) reminded"
    due_in_team = sa.or_(*(sa.and_(Case.team_id.in_(team_ids), CaseHold.retry_on <= day)
                           for day, team_ids in by_day.items()))
    ids = list(db.session.scalars(
        sa.update(CaseHold)
        .where(CaseHold.ended_at.is_(None), CaseHold.reminded_at.is_(None), CaseHold.retry_on <= max(by_day),
               sa.select(Case.id).where(Case.id == CaseHold.case_id, due_in_team).exists())
        .values(reminded_at=now)
        .returning(CaseHold.id)
        .execution_options(synchronize_session=False)
    ))
    rows = db.session.execute(
        sa.select(CaseHold.id, Case.id.label("case_id"), Case.team_id, Case.reference, User)
        .join(Case, Case.id == CaseHold.case_id).join(User, User.id == Case.owner_id)
        .where(CaseHold.id.in_(ids)).order_by(CaseHold.id)
    ).all() if ids else []
    notify_many(([owner], "casefiles.hold_retry", {"reference": reference}, f"/cases/{case_id}/hold")
                for _hold_id, case_id, _team_id, reference, owner in rows)
    for hold_id, case_id, team_id, _reference, _owner in rows:
        audit.record("case_hold.remind", object_type="case_hold", object_id=hold_id, actor=None,
                     team_id=team_id, details={"case": case_id})
    db.session.commit()
    return f"{len(rows)} owner(s) reminded"
