"""Case state changes: one table of allowed transitions and one function per transition.

Services change objects and flush; the caller (view, CLI, job) owns the commit. Each transition
checks who may do it and from which state, writes the audit record and queues notifications.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.audit import AuditEvent
from core.clock import team_today, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import LEAD_ROLES, Domain, Team, User
from core.people import team_members
from notifications.services import notify

from . import lawful_basis, permissions
from .models import (
    URGENCY_RANK,
    Case,
    CaseCounter,
    CaseDomain,
    CaseMessage,
    CaseOrganisation,
    CaseStatus,
    InclusionCriterion,
)

S = CaseStatus

#: Every allowed (from, to) pair and the name of the action that makes it.
TRANSITIONS: dict[tuple[CaseStatus, CaseStatus], str] = {
    (S.DRAFT, S.SUBMITTED): "submit",
    (S.RETURNED, S.SUBMITTED): "submit",
    (S.SUBMITTED, S.RETURNED): "return",
    (S.SUBMITTED, S.DECLINED): "decline",
    (S.SUBMITTED, S.ACCEPTED): "accept",
    (S.ACCEPTED, S.SCHEDULED): "schedule",
    (S.SCHEDULED, S.ACCEPTED): "postpone",
    (S.SCHEDULED, S.DISCUSSED): "discuss",
    (S.DISCUSSED, S.ADVISED): "advise",
    (S.ADVISED, S.IN_EXECUTION): "start_execution",
    (S.ADVISED, S.COMPLETED): "complete",
    (S.IN_EXECUTION, S.COMPLETED): "complete",
    (S.COMPLETED, S.CLOSED): "close",
    **{(s, S.WITHDRAWN): "withdraw" for s in permissions.WITHDRAWABLE},
}

#: Fields a case must have before it can be submitted, with their labels for messages.
REQUIRED_FOR_SUBMIT: dict[str, Any] = {
    "household_pseudonym": _l("Household pseudonym"),
    "household_composition": _l("Household composition"),
    "tried": _l("What has been tried"),
    "blockage": _l("Where it is stuck"),
    "household_goal": _l("What the household wants to reach"),
    "question": _l("Question to the expert team"),
    "consent_date": _l("Date of consent"),
    "consent_method": _l("How consent was given"),
}


class TransitionError(ServiceError):
    """The case is not in a state from which this step is allowed."""


def keep_text(case: Case, kind: str, text: str, author: User | None) -> dict[str, int]:
    """Keep the free text of a step about ``case`` (of this package, the meeting or the advice:
    a return question, a team decision …) as a ``CaseMessage`` that retention
    clears; returns ``{"message_id": id}`` for the audit row's details. Audit rows are
    append-only and hold ids and enumerated values only, never text."""
    message = CaseMessage(case_id=case.id, kind=kind, text=text, author_id=author.id if author else None)
    db.session.add(message)
    db.session.flush()
    return {"message_id": message.id}


def transition(
    case: Case, to: CaseStatus, actor: User | None, *, details: dict[str, Any] | None = None
) -> None:
    """Move ``case`` to ``to`` if the table allows it; write the audit record."""
    key = (case.status, to)
    if key not in TRANSITIONS:
        raise TransitionError(
            _(
                "Case %(reference)s is %(state)s; it cannot go to %(target)s.",
                reference=case.reference,
                state=case.status.label,
                target=to.label,
            )
        )
    now = utcnow()
    previous = case.status
    case.status = to
    case.updated_at = now
    audit.record(
        f"case.{TRANSITIONS[key]}",
        object_type="case",
        object_id=case.id,
        actor=actor,
        team_id=case.team_id,
        details={"from": previous.value, "to": to.value, **(details or {})},
    )
    db.session.flush()


# --- helpers ----------------------------------------------------------------------------------

def _link(case: Case) -> str:
    return f"/cases/{case.id}"


def next_reference(team: Team, year: int) -> tuple[int, str]:
    """Bump the team's counter for ``year`` atomically and return (number, reference)."""
    stmt = (
        sa.update(CaseCounter)
        .where(CaseCounter.team_id == team.id, CaseCounter.year == year)
        .values(last=CaseCounter.last + 1)
        .returning(CaseCounter.last)
    )
    number = db.session.execute(stmt).scalar_one_or_none()
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.add(CaseCounter(team_id=team.id, year=year, last=1))
            number = 1
        except sa.exc.IntegrityError:  # another transaction created it first
            number = db.session.execute(stmt).scalar_one()
    return number, f"{team.code}-{year}-{number:04d}"


def _set_links(case: Case, domains: Iterable[Domain] | None, organisation_ids: Iterable[int] | None) -> None:
    if domains is not None:
        wanted = set(domains)
        case.domains = [d for d in case.domains if d.domain in wanted] + [
            CaseDomain(domain=d) for d in sorted(wanted - set(case.domain_values))
        ]
    if organisation_ids is not None:
        wanted_orgs = set(organisation_ids)
        case.organisations = [o for o in case.organisations if o.organisation_id in wanted_orgs] + [
            CaseOrganisation(organisation_id=o) for o in sorted(wanted_orgs - set(case.organisation_ids))
        ]


CONTENT_FIELDS = (
    "household_pseudonym",
    "household_composition",
    "tried",
    "blockage",
    "household_goal",
    "question",
    "proposed_invitees",
    "urgency",
    "consent_date",
    "consent_method",
    "consent_note",
    "legal_ground",
    "referring_organisation_id",
)


# --- the transitions --------------------------------------------------------------------------

def create_case(
    team: Team,
    owner: User,
    *,
    domains: Iterable[Domain] = (),
    organisation_ids: Iterable[int] = (),
    now: datetime | None = None,
    recipient_grounds: dict[int, int | None] | None = None,
    **fields: Any,
) -> Case:
    """Create a draft case for ``owner`` in ``team``."""
    if not permissions.can_create_case(owner, team.id):
        raise PermissionDenied(_("Only case owners of this team can create a case."))
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown case fields: {sorted(unknown)}")
    now = now or utcnow()
    year = now.astimezone(ZoneInfo(team.timezone)).year
    number, reference = next_reference(team, year)
    case = Case(team=team, owner=owner, year=year, number=number, reference=reference, created_at=now, **fields)
    _set_links(case, domains, organisation_ids)
    db.session.add(case)
    db.session.flush()
    audit.record("case.create", object_type="case", object_id=case.id, actor=owner, team_id=team.id)
    if case.referring_organisation_id is None:  # by default the owner's organisation refers the case
        case.referring_organisation_id = lawful_basis.owner_organisation_id(owner, team.id)
    lawful_basis.record_grounds(case, owner, recipient_grounds, legacy=fields.get("legal_ground"))
    return case


def update_case(
    case: Case,
    actor: User,
    *,
    domains: Iterable[Domain] | None = None,
    organisation_ids: Iterable[int] | None = None,
    recipient_grounds: dict[int, int | None] | None = None,
    **fields: Any,
) -> Case:
    """Edit a draft or returned case (owner only)."""
    if not permissions.can_edit(actor, case):
        raise PermissionDenied(_("This case cannot be edited now."))
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown case fields: {sorted(unknown)}")
    changed = sorted(k for k, v in fields.items() if getattr(case, k) != v)
    for key, value in fields.items():
        setattr(case, key, value)
    if domains is not None and set(domains) != set(case.domain_values):
        changed.append("domains")
    if organisation_ids is not None and set(organisation_ids) != set(case.organisation_ids):
        changed.append("organisations")
    _set_links(case, domains, organisation_ids)
    case.updated_at = utcnow()
    db.session.flush()
    # The audit row names the changed fields, never their content.
    audit.record(
        "case.update", object_type="case", object_id=case.id, actor=actor, team_id=case.team_id,
        details={"fields": changed},
    )
    lawful_basis.record_grounds(case, actor, recipient_grounds, legacy=fields.get("legal_ground"))
    return case


def missing_fields_for_submit(case: Case) -> list[str]:
    """Names of the fields that must be filled in before the case can be submitted."""
    missing = [field for field in REQUIRED_FOR_SUBMIT if not getattr(case, field)]
    if not case.domains:
        missing.append("domains")
    if case.referring_organisation_id is None:
        missing.append("referring_organisation")
    return missing


def missing_for_submit(case: Case) -> list[str]:
    """The same, as labels for a message."""
    labels = {**REQUIRED_FOR_SUBMIT, "domains": _l("Domains involved"),
              "referring_organisation": _l("Referring partner (the data controller)")}
    return [str(labels[field]) for field in missing_fields_for_submit(case)] + lawful_basis.missing_grounds(case)


def submit_case(case: Case, actor: User) -> None:
    if not permissions.can_submit(actor, case):
        raise PermissionDenied(_("Only the case owner can submit this case."))
    missing = missing_for_submit(case)
    if missing:
        raise ServiceError(_("The case cannot be submitted yet. Missing: %(fields)s.", fields=", ".join(missing)))
    if case.consent_date and case.consent_date > team_today(case.team):
        raise ServiceError(_("The date of consent cannot be in the future."))
    resubmission = case.status == CaseStatus.RETURNED
    transition(case, CaseStatus.SUBMITTED, actor, details={"resubmission": resubmission})
    if case.submitted_at is None:
        case.submitted_at = utcnow()
    notify(team_members(case.team_id, *LEAD_ROLES), "case.submitted", {"reference": case.reference}, _link(case))


def _require_intake(case: Case, actor: User) -> None:
    if not permissions.is_lead(actor, case.team_id):
        raise PermissionDenied(_("Only the chair or secretary can do intake."))


def accept_case(case: Case, actor: User, *, criteria_met: Iterable[int] = (), note: str = "") -> None:
    """Accept into the queue; every active inclusion criterion must be ticked."""
    _require_intake(case, actor)
    active = set(
        db.session.scalars(
            sa.select(InclusionCriterion.id).where(
                InclusionCriterion.team_id == case.team_id, InclusionCriterion.active.is_(True)
            )
        )
    )
    met = set(criteria_met)
    if not met <= active:
        raise ServiceError(_("Unknown inclusion criterion."))
    if active - met:
        raise ServiceError(
            _("Not every inclusion criterion is met. Return the case for more information or decline it.")
        )
    details = {"criteria_met": sorted(met)}
    if note.strip():
        details.update(keep_text(case, "intake_note", note.strip(), actor))
    transition(case, CaseStatus.ACCEPTED, actor, details=details)
    now = utcnow()
    case.intake_at = now
    case.queued_at = now
    notify([case.owner], "case.accepted", {"reference": case.reference}, _link(case))


def return_case(case: Case, actor: User, *, message: str) -> None:
    _require_intake(case, actor)
    if not message.strip():
        raise ServiceError(_("Say what information is missing."))
    transition(case, CaseStatus.RETURNED, actor, details=keep_text(case, "return", message.strip(), actor))
    notify([case.owner], "case.returned", {"reference": case.reference}, _link(case))


def decline_case(case: Case, actor: User, *, reason: str) -> None:
    _require_intake(case, actor)
    if not reason.strip():
        raise ServiceError(_("A reason is required to decline a case."))
    transition(case, CaseStatus.DECLINED, actor, details=keep_text(case, "decline", reason.strip(), actor))
    case.intake_at = utcnow()
    notify([case.owner], "case.declined", {"reference": case.reference}, _link(case))


def withdraw_case(case: Case, actor: User, *, reason: str) -> None:
    if not permissions.can_withdraw(actor, case):
        if case.status not in permissions.WITHDRAWABLE:
            raise TransitionError(_("A case can only be withdrawn before the advice."))
        raise PermissionDenied(_("You may not withdraw this case."))
    if not reason.strip():
        raise ServiceError(_("A reason is required to withdraw a case."))
    was_visible_to_team = case.status != CaseStatus.DRAFT
    transition(case, CaseStatus.WITHDRAWN, actor, details=keep_text(case, "withdraw", reason.strip(), actor))
    case.queued_at = None
    recipients = [case.owner] + (team_members(case.team_id, *LEAD_ROLES) if was_visible_to_team else [])
    notify([u for u in recipients if u.id != actor.id], "case.withdrawn", {"reference": case.reference}, _link(case))


# --- the steps the meeting and the advice take (they call these; only this package changes a case)

#: Queue priority of a case that went back from a meeting unhandled: the head of the queue.
HEAD_OF_QUEUE = 1


def schedule_case(case: Case, actor: User | None, *, meeting_id: int) -> None:
    """On a published agenda: the waiting case is scheduled and leaves the head of the queue."""
    if case.status == CaseStatus.ACCEPTED:
        transition(case, CaseStatus.SCHEDULED, actor, details={"meeting": meeting_id})
        case.queue_priority = 0


def return_to_queue(case: Case, actor: User | None, *, meeting_id: int, reason: str) -> None:
    """The case leaves a meeting unhandled (postponed, taken off, meeting cancelled): back to the
    queue at its head, keeping its waiting time. ``reason`` is a fixed phrase, not free text."""
    if case.status == CaseStatus.SCHEDULED:
        transition(case, CaseStatus.ACCEPTED, actor, details={"meeting": meeting_id, "reason": reason})
    case.queue_priority = HEAD_OF_QUEUE


def discuss_case(case: Case, actor: User | None, *, meeting_id: int) -> None:
    """The team discussed the case at the meeting; the advice takes over."""
    transition(case, CaseStatus.DISCUSSED, actor, details={"meeting": meeting_id})


def advise_case(case: Case, actor: User | None, *, advice_id: int) -> None:
    """The first version of the advice was issued."""
    transition(case, CaseStatus.ADVISED, actor, details={"advice": advice_id})


def start_execution(case: Case, actor: User | None, *, advice_id: int) -> None:
    """An organisation confirmed or carried out an action of the advice."""
    transition(case, CaseStatus.IN_EXECUTION, actor, details={"advice": advice_id})


def complete_case(case: Case, actor: User | None, *, advice_id: int) -> None:
    """Every action of the advice is settled (done, or dropped by the team)."""
    transition(case, CaseStatus.COMPLETED, actor, details={"advice": advice_id})


def close_case(case: Case, actor: User | None, *, outcome: str, now: datetime) -> None:
    """The owner closed the completed case with its outcome (an enumerated value)."""
    transition(case, CaseStatus.CLOSED, actor, details={"outcome": outcome})
    case.closed_at = now


def timeline(case: Case) -> list[tuple[Any, str]]:
    """The case's events, oldest first (transitions and edits from the audit trail), each with
    the free text written at that step ('' if none). Two queries, however long the history;
    for exports and tests (the case page pages it: ``timeline_page``)."""
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == "case", AuditEvent.object_id == case.id)
        .order_by(AuditEvent.at, AuditEvent.id)
        .options(sa.orm.joinedload(AuditEvent.actor))
    ).all()
    texts = dict(db.session.execute(sa.select(CaseMessage.id, CaseMessage.text).where(CaseMessage.case_id == case.id)).all())
    return [(event, texts.get(event.details.get("message_id"), "")) for event in events]


def messages_of(case: Case) -> list[CaseMessage]:
    return list(db.session.scalars(sa.select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)))


def urgency_order():
    """SQL expression ordering crisis, high, normal."""
    return sa.case({u.value: r for u, r in URGENCY_RANK.items()}, value=Case.urgency)


def queue_query(team_id: int, *, domain: Domain | None = None, urgency=None, eager: bool = True):
    """The team's queue: head of the queue, urgency, waiting time. ``eager=False`` leaves the
    domains to ``domains_of`` (one statement however long the queue)."""
    stmt = (
        sa.select(Case)
        .where(Case.team_id == team_id, Case.status == CaseStatus.ACCEPTED)
        .order_by(Case.queue_priority.desc(), urgency_order(), Case.queued_at, Case.id)
    )
    if eager:
        stmt = stmt.options(sa.orm.selectinload(Case.domains))
    if domain is not None:
        stmt = stmt.where(
            sa.exists().where(CaseDomain.case_id == Case.id, CaseDomain.domain == domain)
        )
    if urgency is not None:
        stmt = stmt.where(Case.urgency == urgency)
    return stmt


# --- the team's intake checklist --------------------------------------------------------------

def add_criterion(team: Team, text: str, actor: User) -> InclusionCriterion:
    if not permissions.is_lead(actor, team.id):
        raise PermissionDenied(_("Only the chair or secretary can change the checklist."))
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(InclusionCriterion.position), 0)).where(InclusionCriterion.team_id == team.id)
    )
    criterion = InclusionCriterion(team_id=team.id, text=text, position=position + 1)
    db.session.add(criterion)
    db.session.flush()
    audit.record("criterion.add", object_type="criterion", object_id=criterion.id, actor=actor, team_id=team.id)
    return criterion


def remove_criterion(team: Team, criterion_id: int, actor: User) -> None:
    """Deactivate (not delete): earlier intakes keep referring to it."""
    if not permissions.is_lead(actor, team.id):
        raise PermissionDenied(_("Only the chair or secretary can change the checklist."))
    criterion = db.session.get(InclusionCriterion, criterion_id)
    if criterion is None or criterion.team_id != team.id or not criterion.active:
        raise ServiceError(_("That criterion does not exist."))
    criterion.active = False
    audit.record("criterion.remove", object_type="criterion", object_id=criterion.id, actor=actor, team_id=team.id)
