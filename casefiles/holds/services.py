"""Services of the hard cases: hold and resume, the lost-contact signal request and 'seen'
reports (the reminder on the retry date is ``casefiles.holds.jobs``).

A hold does not change the case's lifecycle state (see ``casefiles.holds.models``). Services
check, change, flush and audit; the caller commits. Notifications carry the case reference only.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from casefiles.models import Case
from core import audit
from core.clock import team_today, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Role, User
from core.people import committed_organisation_ids, organisation_contacts
from core.privacy import ANONYMISED, clear
from notifications.services import notify
from webhooks.events import emit

from .models import NOTE_MAX, CaseHold, ContactSignalRequest, HoldReason, Signal
from .permissions import (
    FINISHED,
    can_hold,
    can_request_signals,
    can_see_request,
    is_signal_contact,
)
from .queries import active_hold, signal_requests


def _audit(action: str, obj_type: str, obj_id: int, actor: User | None, case: Case, details=None) -> None:
    audit.record(action, object_type=obj_type, object_id=obj_id, actor=actor, team_id=case.team_id,
                 details={"case": case.id, **(details or {})})


# --- reading ----------------------------------------------------------------------------------

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
    if not isinstance(retry_on, date) or retry_on <= team_today(case.team, now):
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
    if not wanted <= committed_organisation_ids(case.team, team_today(case.team, now)):
        raise ServiceError(_("Only organisations with an active commitment to this team can be asked."))
    whom = _note(whom_to_call, required=True, message=_("Say whom to call."))[:300]
    if not isinstance(last_contact_on, date) or last_contact_on > team_today(case.team, now):
        raise ServiceError(_("The date of the last contact cannot be in the future."))
    already = {r.organisation_id for r in signal_requests(case, active_only=True)}
    contacts = organisation_contacts(case.team_id, wanted - already)
    created = []
    for org_id in sorted(wanted - already):
        request = ContactSignalRequest(case_id=case.id, case=case, organisation_id=org_id, whom_to_call=whom,
                                       last_contact_on=last_contact_on, created_at=now or utcnow(), created_by_id=actor.id)
        db.session.add(request)
        db.session.flush()
        created.append(request)
        _audit("signal_request.create", "signal_request", request.id, actor, case, {"organisation": org_id})
        notify(contacts[org_id], "casefiles.signal_requested", {"reference": case.reference},
               f"/signals/{request.id}")
        emit("signal.requested", org_id, f"signal-requests/{request.id}", {"signalRequest": request.id})
    if not created:
        raise ServiceError(_("These organisations have already been asked."))
    return created


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


def anonymise_holds(case_ids: Sequence[int]) -> list[str]:
    """Retention of a batch of cases: clear their hard-case notes (three statements for the
    batch; the holds and requests stay, without their text). Safe to run twice."""
    request_ids = sa.select(ContactSignalRequest.id).where(ContactSignalRequest.case_id.in_(case_ids))
    return clear({
        "holds": sa.update(CaseHold).where(CaseHold.case_id.in_(case_ids), CaseHold.note != "").values(note=""),
        "signal_requests": sa.update(ContactSignalRequest)
        .where(ContactSignalRequest.case_id.in_(case_ids), ContactSignalRequest.whom_to_call != ANONYMISED)
        .values(whom_to_call=ANONYMISED),
        "signals": sa.update(Signal).where(Signal.request_id.in_(request_ids), Signal.note != "").values(note=""),
    })
