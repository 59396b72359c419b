"""Attendance and quorum: who was present (or sent a deputy), and whether enough experts were."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from core.db import db
from core.errors import ServiceError
from core.models import TEAM_ROLES, Domain, Membership, Role, User

from .lifecycle import S, TransitionError, audit_step, require_lead
from .models import Attendance, AttendanceStatus, Meeting


def record_attendance(meeting: Meeting, actor: User, user_id: int, status: AttendanceStatus | str,
                      deputy_name: str = "") -> Attendance:
    require_lead(actor, meeting.team_id)
    if meeting.status in (S.CANCELLED, S.CLOSED):
        raise TransitionError(_("Attendance of this meeting can no longer be changed."))
    try:
        status = AttendanceStatus(status)
    except ValueError:
        raise ServiceError(_("Unknown attendance status.")) from None
    member = db.session.get(User, user_id)
    if member is None or not member.has_role(meeting.team_id, *TEAM_ROLES):
        raise ServiceError(_("This person is not a member of the team."))
    deputy_name = (deputy_name or "").strip()
    if status == AttendanceStatus.DEPUTY and not deputy_name:
        raise ServiceError(_("Name the deputy."))
    if len(deputy_name) > 120:
        raise ServiceError(_("The deputy's name is too long."))
    if status != AttendanceStatus.DEPUTY:
        deputy_name = ""
    row = next((a for a in meeting.attendances if a.user_id == user_id), None)
    if row is None:
        row = Attendance(user_id=user_id, status=status, deputy_name=deputy_name, recorded_by_id=actor.id)
        meeting.attendances.append(row)
    else:
        row.status, row.deputy_name, row.recorded_by_id = status, deputy_name, actor.id
    db.session.flush()
    audit_step("meeting.attendance", meeting, actor, {"user": user_id, "status": status.value})
    return row


@dataclass
class QuorumStatus:
    required: int
    present: int
    """Experts present or represented by a deputy."""
    missing_domains: list[Domain] = field(default_factory=list)
    """Team domains that no present (or represented) expert covers."""

    @property
    def met(self) -> bool:
        return self.present >= self.required


def team_experts(team_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.team_id == team_id, Membership.role == Role.EXPERT,
                   Membership.active.is_(True), User.active.is_(True))
            .order_by(Membership.domain, User.name)
            .options(sa.orm.contains_eager(Membership.user))
        )
    )


def quorum_status(meeting: Meeting) -> QuorumStatus:
    counting = {a.user_id for a in meeting.attendances if a.status in (AttendanceStatus.PRESENT, AttendanceStatus.DEPUTY)}
    experts = team_experts(meeting.team_id)
    present_users = {m.user_id for m in experts if m.user_id in counting}
    covered = {m.domain for m in experts if m.user_id in counting}
    missing = [d for d in meeting.team.domain_values if d not in covered]
    return QuorumStatus(required=meeting.team.quorum, present=len(present_users), missing_domains=missing)
