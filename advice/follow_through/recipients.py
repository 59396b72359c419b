"""Who receives a case's data, and on which legal ground: the organisations involved in the case
and those that got it later, through an action of the advice, a signal request or attendance at
the meeting that discussed it. One definition (``recipient_rows``) serves the case's own page and
the team's processing overview (``reports.processing``); it lives here, the lowest package that
knows every channel.

The case owner, chair or secretary records the ground for a later recipient on the case's
"Legal grounds" page (blueprint ``recipients``); the case page says which recipient still has no
ground in force (a case notice), so none is forgotten once the advice or a signal request has
reached a new organisation. Submission itself is checked by ``casefiles.lawful_basis``."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from advice import permissions
from advice.models import Action, Advice
from casefiles.holds.models import ContactSignalRequest
from casefiles.lawful_models import CaseRecipientGround, LegalBasis
from casefiles.models import Case, CaseOrganisation, CaseStatus
from casefiles.notices import Notice
from core.db import db
from core.models import Membership, Organisation, Role
from meeting.models import AgendaItem, Attendance, AttendanceStatus

CHANNELS = {
    "involved": _l("Involved in the case"),
    "action": _l("Action of the advice"),
    "signal": _l("Signal request (lost contact)"),
    "attendance": _l("Attended the meeting on the case"),
}


def recipient_rows(live, team_id: int | None = None):
    """(case_id, organisation_id, channel) of every organisation that receives the data of the
    cases matching ``live`` (a clause over ``Case``); ``team_id`` limits attendance to contacts
    of that team. A subquery: the callers group it."""
    involved = sa.select(CaseOrganisation.case_id, CaseOrganisation.organisation_id, sa.literal("involved").label("channel")) \
        .join(Case, Case.id == CaseOrganisation.case_id).where(live)
    actions = sa.select(Advice.case_id, Action.organisation_id, sa.literal("action")) \
        .join(Advice, Advice.id == Action.advice_id).join(Case, Case.id == Advice.case_id).where(live)
    signals = sa.select(ContactSignalRequest.case_id, ContactSignalRequest.organisation_id, sa.literal("signal")) \
        .join(Case, Case.id == ContactSignalRequest.case_id).where(live)
    attendance = sa.select(AgendaItem.case_id, Membership.organisation_id, sa.literal("attendance")) \
        .join(Attendance, Attendance.meeting_id == AgendaItem.meeting_id) \
        .join(Membership, sa.and_(Membership.user_id == Attendance.user_id, Membership.role == Role.ORG_CONTACT,
                                  Membership.organisation_id.is_not(None))) \
        .join(Case, Case.id == AgendaItem.case_id) \
        .where(live, Membership.team_id == (team_id if team_id is not None else Case.team_id),
               Attendance.status.in_([AttendanceStatus.PRESENT, AttendanceStatus.DEPUTY]))
    return sa.union(involved, actions, signals, attendance).subquery("r")


@dataclass
class CaseRecipient:
    organisation_id: int
    name: str
    channels: set[str] = field(default_factory=set)
    basis: LegalBasis | None = None

    @property
    def in_force(self) -> bool:
        return self.basis is not None and self.basis.in_force


def case_recipients(case: Case) -> list[CaseRecipient]:
    """The organisations that receive this case's data (the referring partner, the controller,
    left out), each with its channels and recorded ground: one statement."""
    r = recipient_rows(Case.id == case.id)
    rows = db.session.execute(
        sa.select(r.c.organisation_id, Organisation.name, r.c.channel, LegalBasis)
        .join(Organisation, Organisation.id == r.c.organisation_id)
        .outerjoin(CaseRecipientGround, sa.and_(CaseRecipientGround.case_id == case.id,
                                                CaseRecipientGround.organisation_id == r.c.organisation_id))
        .outerjoin(LegalBasis, LegalBasis.id == CaseRecipientGround.legal_basis_id)
        .where(r.c.organisation_id != sa.func.coalesce(case.referring_organisation_id, -1))
        .order_by(Organisation.name, r.c.organisation_id)
    ).all()
    out: dict[int, CaseRecipient] = {}
    for org_id, name, channel, basis in rows:
        out.setdefault(org_id, CaseRecipient(org_id, name, basis=basis)).channels.add(channel)
    return list(out.values())


def case_notices(user, case: Case) -> list[Notice]:
    """On the case page, to those who record grounds: each organisation that received the case's
    data without a ground in force (the draft's own form checks that before submission)."""
    if case.status in (CaseStatus.DRAFT, CaseStatus.RETURNED) or not permissions.can_record_grounds(user, case):
        return []
    missing = [r for r in case_recipients(case) if not r.in_force]
    if not missing:
        return []
    names = ", ".join(r.name for r in missing)
    return [Notice(_("No legal ground in force is recorded for %(organisations)s, which received this case's data.",
                     organisations=names),
                   url_for("recipients.grounds", case_id=case.id), _("Record the legal grounds"), case.reference, due=True)]
