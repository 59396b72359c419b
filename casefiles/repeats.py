"""Repeat referrals: the case owner links a new case to an earlier case of the same team; when
the earlier one ended less than 12 months before the new one was made, the case is flagged
(shown at intake, counted in the pilot figures)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit
from core.clock import utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import User
from core.permissions import is_owner

from .models import FINAL_STATUSES, Case, CaseStatus

#: Statuses in which the owner may still link (before intake decides).
LINKABLE = frozenset({CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.RETURNED})


def earlier_case(case: Case) -> Case | None:
    """The earlier case a repeat referral is linked to, for the pages that show the link."""
    return db.session.get(Case, case.repeat_of_id) if case.repeat_of_id else None


def _months_12_before(when: datetime) -> datetime:
    try:
        return when.replace(year=when.year - 1)
    except ValueError:  # 29 February
        return when.replace(year=when.year - 1, day=28)


def ended_at(case: Case) -> datetime:
    return case.closed_at or case.updated_at


def mark_repeat(case: Case, actor: User, *, earlier_reference: str | None) -> Case | None:
    """Link ``case`` to the earlier case with ``earlier_reference`` (empty: unlink). The earlier
    case must be of the same team and have ended. Audited; the caller commits."""
    if not is_owner(actor, case):
        raise PermissionDenied(_("Only the case owner marks a repeat referral."))
    if case.status not in LINKABLE:
        raise ServiceError(_("A repeat referral is marked before intake decides."))
    reference = (earlier_reference or "").strip()
    earlier = None
    if reference:
        earlier = db.session.scalar(sa.select(Case).where(Case.team_id == case.team_id, Case.reference == reference))
        if earlier is None:
            raise ServiceError(_("No earlier case %(reference)s in this team.", reference=reference))
        if earlier.id == case.id:
            raise ServiceError(_("A case cannot repeat itself."))
        if earlier.status not in FINAL_STATUSES:
            raise ServiceError(_("Case %(reference)s has not ended; link a closed, declined or withdrawn case.",
                                 reference=reference))
    case.repeat_of_id = earlier.id if earlier else None
    start = case.created_at or utcnow()
    case.repeat_within_year = bool(earlier and _months_12_before(start) <= ended_at(earlier) <= start)
    db.session.flush()
    audit.record("case.repeat_of", object_type="case", object_id=case.id, actor=actor, team_id=case.team_id,
                 details={"earlier": earlier.id if earlier else None, "within_year": case.repeat_within_year})
    return earlier
