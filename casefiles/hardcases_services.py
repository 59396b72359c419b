"""Services of the hard cases: hold and resume, the lost-contact signal request, 'seen' reports,
and the job that reminds owners on the retry date.

A hold does not change the case's lifecycle state (see ``casefiles.hardcases``). Services check,
change, flush and audit; the caller commits. Notifications carry the case reference only.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.clock import utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Commitment, Membership, Organisation, Role, User
from notifications.kinds import Kind
from notifications.services import notify

from . import permissions
from .hardcases import NOTE_MAX, CaseHold, ContactSignalRequest, HoldReason, Signal
from .models import Case, CaseStatus

HOLD_KINDS = {
    "casefiles.hold_retry": Kind(
    _l("Case %(reference)s: time to try again"),
    _l("Case %(reference)s is on hold and today is the date to try again. Resume the case or set a new date."),
),
    "casefiles.signal_requested": Kind(
    _l("Signal request for case %(reference)s"),
    _l("The case owner of %(reference)s lost contact with the client and asks your organisation to signal "
       "when the client turns up. Open the request to see whom to call."),
),
    "casefiles.client_seen": Kind(
    _l("Client of case %(reference)s seen"),
    _l("An organisation reported that the client of case %(reference)s was seen. Open the case for the note."),
    always_email=True,
    ),
}

#: Case states in which a case can no longer be put on hold.
FINISHED = frozenset({CaseStatus.CLOSED, CaseStatus.DECLINED, CaseStatus.WITHDRAWN})


def _today(case: Case, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(case.team.timezone)).date()


def _audit(action: str, obj_type: str, obj_id: int, actor: User | None, case: Case, details=None) -> None:
    audit.record(action, object_type=obj_type, object_id=obj_id, actor=actor, team_id=case.team_id,
                 details={"case": case.id, **(details or {})})


# --- permissions ------------------------------------------------------------------------------

def is_owner(user: User | None, case: Case) -> bool:
    return permissions.can_view(user, case) and case.owner_id == user.id and user.has_role(case.team_id, Role.CASE_OWNER)


def can_hold(user: User | None, case: Case) -> bool:
    """Put on hold or resume: the owner, or the chair or secretary of the team."""
    if case.status in FINISHED or not permissions.can_view(user, case):
        return False
    return is_owner(user, case) or permissions.is_lead(user, case.team_id)


def can_request_signals(user: User | None, case: Case) -> bool:
    return case.status not in FINISHED and is_owner(user, case) and active_hold(case) is not None


def is_signal_contact(user: User | None, request: ContactSignalRequest) -> bool:
    """A contact of the request's organisation in the case's team, while the organisation's
    commitment to the team holds."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    case = request.case
    if request.organisation_id not in user.organisation_ids(case.team_id):
        return False
    return request.organisation_id in committed_ids(case.team_id, _today(case))


def can_see_request(user: User | None, request: ContactSignalRequest) -> bool:
    return request.active and is_signal_contact(user, request)


# --- reading ----------------------------------------------------------------------------------

def active_hold(case: Case) -> CaseHold | None:
    return db.session.scalar(
        sa.select(CaseHold).where(CaseHold.case_id == case.id, CaseHold.ended_at.is_(None)).order_by(CaseHold.id.desc()).limit(1)
    )


def signal_requests(case: Case, *, active_only: bool = False) -> list[ContactSignalRequest]:
    stmt = sa.select(ContactSignalRequest).where(ContactSignalRequest.case_id == case.id)
    if active_only:
        stmt = stmt.where(ContactSignalRequest.ended_at.is_(None))
    return list(db.session.scalars(stmt.order_by(ContactSignalRequest.id.desc())
                                   .options(sa.orm.selectinload(ContactSignalRequest.signals))))


def committed_ids(team_id: int, on: date) -> set[int]:
    return set(db.session.scalars(
        sa.select(Commitment.organisation_id).join(Organisation, Organisation.id == Commitment.organisation_id)
        .where(Commitment.team_id == team_id, Commitment.committed_on <= on,
               sa.or_(Commitment.ended_on.is_(None), Commitment.ended_on > on), Organisation.active.is_(True))
    ))


def committed_organisations(case: Case) -> list[Organisation]:
    ids = committed_ids(case.team_id, _today(case))
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids or {-1})).order_by(Organisation.name)))


def contact_requests(user: User) -> list[ContactSignalRequest]:
    """The open signal requests addressed to the organisations this user is a contact for."""
    pairs = [(m.team_id, m.organisation_id) for m in user.memberships
             if m.active and m.role == Role.ORG_CONTACT and m.organisation_id is not None]
    if not pairs:
        return []
    rows = db.session.scalars(
        sa.select(ContactSignalRequest).join(Case, Case.id == ContactSignalRequest.case_id)
        .where(ContactSignalRequest.ended_at.is_(None),
               sa.or_(*[sa.and_(Case.team_id == t, ContactSignalRequest.organisation_id == o) for t, o in pairs]))
        .order_by(ContactSignalRequest.created_at.desc())
    ).all()
    return [r for r in rows if can_see_request(user, r)]


def held_cases(team_id: int) -> list[CaseHold]:
    """Open holds of the team's cases, the earliest retry date first (follow-up part of the agenda)."""
    return list(db.session.scalars(
        sa.select(CaseHold).join(Case, Case.id == CaseHold.case_id)
        .where(Case.team_id == team_id, CaseHold.ended_at.is_(None))
        .order_by(CaseHold.retry_on, CaseHold.id).options(sa.orm.contains_eager(CaseHold.case))
    ))


# --- changing ---------------------------------------------------------------------------------

def _note(value: str | None, *, required: bool = False, message: str = "") -> str:
    value = (value or "").strip().replace("\r\n", "\n")
    if required and not value:
        raise ServiceError(message)
    if len(value) > NOTE_MAX:
        raise ServiceError(_("The note is too long (at most %(max)d characters).", max=NOTE_MAX))
    return value


def put_on_hold(case: Case, actor: User, *, reason: HoldReason | str, note: str, retry_on: date,
                now: datetime | None = None) -> CaseHold:
    if not can_hold(actor, case):
        if case.status in FINISHED:
            raise ServiceError(_("Case %(reference)s is finished; it cannot be put on hold.", reference=case.reference))
        raise PermissionDenied(_("Only the case owner, the chair or the secretary can put a case on hold."))
    if active_hold(case) is not None:
        raise ServiceError(_("Case %(reference)s is already on hold.", reference=case.reference))
    reason = HoldReason(reason)
    if not isinstance(retry_on, date) or retry_on <= _today(case, now):
        raise ServiceError(_("The date to try again must be in the future."))
    hold = CaseHold(case_id=case.id, case=case, reason=reason, note=_note(note), retry_on=retry_on,
                    started_at=now or utcnow(), started_by_id=actor.id)
    db.session.add(hold)
    db.session.flush()
    _audit("case_hold.start", "case_hold", hold.id, actor, case, {"reason": reason.value, "retry_on": retry_on.isoformat()})
    return hold


def resume_case(case: Case, actor: User, *, now: datetime | None = None) -> None:
    """End the hold and every open signal request of the case."""
    if not can_hold(actor, case):
        raise PermissionDenied(_("Only the case owner, the chair or the secretary can resume a case."))
    hold = active_hold(case)
    if hold is None:
        raise ServiceError(_("Case %(reference)s is not on hold.", reference=case.reference))
    now = now or utcnow()
    hold.ended_at, hold.ended_by_id = now, actor.id
    ended = []
    for request in signal_requests(case, active_only=True):
        request.ended_at = now
        ended.append(request.id)
    db.session.flush()
    _audit("case_hold.end", "case_hold", hold.id, actor, case, {"signal_requests_ended": ended})


def request_signals(case: Case, actor: User, *, organisation_ids: Iterable[int], whom_to_call: str,
                    last_contact_on: date, now: datetime | None = None) -> list[ContactSignalRequest]:
    """'Lost contact': ask committed organisations to signal when the client turns up."""
    if not can_request_signals(actor, case):
        raise PermissionDenied(_("Only the case owner can ask for signals, while the case is on hold."))
    wanted = set(organisation_ids)
    if not wanted:
        raise ServiceError(_("Choose at least one organisation."))
    if not wanted <= committed_ids(case.team_id, _today(case, now)):
        raise ServiceError(_("Only organisations with an active commitment to this team can be asked."))
    whom = _note(whom_to_call, required=True, message=_("Say whom to call."))[:300]
    if not isinstance(last_contact_on, date) or last_contact_on > _today(case, now):
        raise ServiceError(_("The date of the last contact cannot be in the future."))
    already = {r.organisation_id for r in signal_requests(case, active_only=True)}
    created = []
    for org_id in sorted(wanted - already):
        request = ContactSignalRequest(case_id=case.id, case=case, organisation_id=org_id, whom_to_call=whom,
                                       last_contact_on=last_contact_on, created_at=now or utcnow(), created_by_id=actor.id)
        db.session.add(request)
        db.session.flush()
        created.append(request)
        _audit("signal_request.create", "signal_request", request.id, actor, case, {"organisation": org_id})
        notify(_contacts(case.team_id, org_id), "casefiles.signal_requested", {"reference": case.reference},
               f"/signals/{request.id}")
    if not created:
        raise ServiceError(_("These organisations have already been asked."))
    return created


def _contacts(team_id: int, organisation_id: int) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team_id, Membership.organisation_id == organisation_id,
               Membership.role == Role.ORG_CONTACT, Membership.active.is_(True), User.active.is_(True))
        .distinct()
    ))


def report_seen(request: ContactSignalRequest, actor: User, *, note: str, now: datetime | None = None) -> Signal:
    """One step: the contact reports the client was seen; the owner is told at once (always e-mail)."""
    if not request.active:
        raise ServiceError(_("This request has ended."))
    if not is_signal_contact(actor, request):
        raise PermissionDenied(_("Only a contact of %(organisation)s can report this.", organisation=request.organisation.name))
    note = _note(note, required=True, message=_("Say briefly where and when."))
    signal = Signal(request=request, note=note, seen_at=now or utcnow(), reported_by_id=actor.id)
    db.session.add(signal)
    db.session.flush()
    case = request.case
    _audit("signal.seen", "signal_request", request.id, actor, case, {"signal": signal.id})
    notify([case.owner], "casefiles.client_seen", {"reference": case.reference}, f"/cases/{case.id}/hold")
    return signal


# --- the job ----------------------------------------------------------------------------------

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
        if hold.retry_on > _today(case, now):
            continue  # not yet the date in the team's time zone
        hold.reminded_at = now
        notify([case.owner], "casefiles.hold_retry", {"reference": case.reference}, f"/cases/{case.id}/hold")
        audit.record("case_hold.remind", object_type="case_hold", object_id=hold.id, actor=None,
                     team_id=case.team_id, details={"case": case.id})
        count += 1
    db.session.commit()
    return f"{count} owner(s) reminded"
