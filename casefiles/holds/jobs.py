"""The hard cases' timed job (registered by ``casefiles.holds.init_app``)."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from core import audit
from core.clock import team_today
from core.db import db
from notifications.services import notify

from .models import CaseHold


def hold_reminders(now: datetime) -> str:
    """Remind the owner on the retry date of an open hold (once: ``reminded_at``)."""
    holds = db.session.scalars(
        sa.select(CaseHold).where(CaseHold.ended_at.is_(None), CaseHold.reminded_at.is_(None),
                                  CaseHold.retry_on <= (now + timedelta(days=1)).date())
        .options(sa.orm.joinedload(CaseHold.case))
    ).all()
    count = 0
    for hold in holds:
        case = hold.case
        if hold.retry_on > team_today(case.team, now):
            continue  # not yet the date in the team's time zone
        hold.reminded_at = now
        notify([case.owner], "casefiles.hold_retry", {"reference": case.reference}, f"/cases/{case.id}/hold")
        audit.record("case_hold.remind", object_type="case_hold", object_id=hold.id, actor=None,
                     team_id=case.team_id, details={"case": case.id})
        count += 1
    db.session.commit()
    return f"{count} owner(s) reminded"
