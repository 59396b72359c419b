"""What the case owner must do after the advice, shown on the home page and the case page
(``casefiles.notices``): close a completed case with its outcome, and record the three-month
evaluation once it is due. One statement for the home page, whatever the number of cases."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from casefiles.models import Case, CaseStatus
from casefiles.notices import Notice
from core.clock import local_today, team_today
from core.db import db
from core.filters import local_date
from core.models import Role
from core.permissions import is_owner

from .models import CaseClosure


def _notice(case_id: int, reference: str, status: CaseStatus, due_on: date | None) -> Notice:
    if status == CaseStatus.COMPLETED:
        return Notice(_("Every action of case %(reference)s is done: close it with its outcome.", reference=reference),
                      url_for("follow_through.close", case_id=case_id), _("Close the case"), reference, due=True)
    return Notice(_("The three-month evaluation of case %(reference)s is due since %(date)s: is the breakthrough "
                    "holding?", reference=reference, date=local_date(due_on)),
                  url_for("follow_through.evaluation", case_id=case_id), _("Record the evaluation"), reference, due=True)


def _due(today: date):
    return sa.or_(
        Case.status == CaseStatus.COMPLETED,
        sa.and_(Case.status == CaseStatus.CLOSED, CaseClosure.evaluation_at.is_(None), CaseClosure.evaluation_due_on <= today),
    )


def home_notices(user) -> list[Notice]:
    """The owner's completed cases to close and their evaluations that are due, oldest first."""
    teams = user.team_ids(Role.CASE_OWNER) if getattr(user, "is_authenticated", False) else set()
    if not teams:
        return []
    rows = db.session.execute(
        sa.select(Case.id, Case.reference, Case.status, CaseClosure.evaluation_due_on)
        .outerjoin(CaseClosure, CaseClosure.case_id == Case.id)
        .where(Case.owner_id == user.id, Case.team_id.in_(teams), Case.status.in_([CaseStatus.COMPLETED, CaseStatus.CLOSED]),
               _due(local_today()))
        .order_by(CaseClosure.evaluation_due_on.nulls_first(), Case.id)
    ).all()
    return [_notice(*row) for row in rows]


def case_notices(user, case: Case) -> list[Notice]:
    """The same for one case, on its page, to its owner."""
    if case.status not in (CaseStatus.COMPLETED, CaseStatus.CLOSED) or not is_owner(user, case):
        return []
    due_on = None
    if case.status == CaseStatus.CLOSED:
        closure = db.session.execute(
            sa.select(CaseClosure.evaluation_due_on, CaseClosure.evaluation_at).where(CaseClosure.case_id == case.id)
        ).one_or_none()
        if closure is None or closure.evaluation_at is not None or closure.evaluation_due_on > team_today(case.team):
            return []
        due_on = closure.evaluation_due_on
    return [_notice(case.id, case.reference, case.status, due_on)]
