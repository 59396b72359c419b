"""Issuing the advice: its canonical content and hash, the lock (who, when, hash), telling
the owner and the organisations; a correction is a new version that supersedes the old one."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from advice import permissions, tokens
from advice.escalation import ladder
from advice.events import action_event, correction_events
from advice.lifecycle import (
    TransitionError,
    action_context,
    advice_link,
    audit_step,
    draft_of,
    sync_case,
    transition_advice,
)
from advice.models import (
    Action,
    ActionStatus,
    Advice,
    AdviceLegalGround,
    AdviceStatus,
    CostLine,
)
from advice.plan import services as plan
from casefiles import services as case_services
from casefiles.models import CaseStatus
from core.clock import team_today, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Organisation, User
from core.people import organisation_contacts
from notifications.services import notify

from . import ties
from .documents import store_archive_copy
from .services import TEXT_FIELDS, require_committed


def canonical_content(advice: Advice) -> dict[str, Any]:
    """Everything the advice says, in a fixed shape: the input of the content hash."""
    return {
        "case": advice.case.reference,
        "version": advice.version,
        **{f: getattr(advice, f) for f in TEXT_FIELDS},
        "legal_grounds": sorted(
            ({"law": g.law, "article": g.article, "note": g.note, "url": g.url} for g in advice.legal_grounds),
            key=lambda d: (d["law"], d["article"], d["note"], d["url"]),
        ),
        "cost_lines": sorted(
            (
                {"side": c.side.value, "name": c.name, "unit": c.unit, "unit_cost_cents": c.unit_cost_cents,
                 "quantity": str(c.quantity), "source": c.source, "amount_cents": c.amount_cents}
                for c in advice.cost_lines
            ),
            key=lambda d: json.dumps(d, sort_keys=True),
        ),
        "actions": sorted(
            ({"organisation_id": a.organisation_id, "description": a.description, "deadline": a.deadline.isoformat()}
             for a in advice.actions),
            key=lambda d: (d["organisation_id"], d["deadline"], d["description"]),
        ),
        **ties.canonical_ties(advice),  # blockage-map ties; empty (hash unchanged) without them
        **plan.canonical_plan(advice),  # the coordinated approach; empty (hash unchanged) without a plan
    }


def compute_hash(advice: Advice) -> str:
    """SHA-256 (hex) of the canonical content as JSON with sorted keys."""
    payload = json.dumps(canonical_content(advice), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def verify_hash(advice: Advice) -> bool:
    return advice.content_hash is not None and advice.content_hash == compute_hash(advice)


#: Follow-through fields copied onto an unchanged action when a correction is issued (its
#: escalation is carried over by ``advice.escalation.ladder.carry_over``, the ladder's owner).
FOLLOW_THROUGH_FIELDS = (
    "status", "assigned_at", "deadline_extended_to", "confirmed_at", "confirmed_by_id", "done_at", "done_on", "done_by_id",
    "done_note", "refused_at", "refused_by_id", "refused_reason", "reminded_at", "overdue_notified_at",
    "team_decision", "team_decision_note", "decided_at", "decided_by_id", "decided_meeting_id",
)


def issue_advice(advice: Advice, actor: User, now: datetime | None = None) -> None:
    """The chair issues the draft: it is locked (who, when, content hash), the case becomes
    `advised` (first version), the owner and the organisations' contacts are told."""
    now = now or utcnow()
    case = advice.case
    if advice.status != AdviceStatus.DRAFT:
        raise TransitionError(_("This advice has already been issued."))
    if not permissions.can_issue(actor, advice):
        raise PermissionDenied(_("Only the chair issues the advice."))
    if not advice.advice_text.strip():
        raise ServiceError(_("Write the advice before issuing it."))
    if not advice.actions:
        raise ServiceError(_("An advice needs at least one action before it can be issued."))
    today = team_today(case.team, now)
    for action in advice.actions:
        require_committed(case.team, action.organisation_id, today)
    previous = advice.supersedes
    if previous is None:
        if case.status != CaseStatus.DISCUSSED:
            raise TransitionError(_("Case %(reference)s is not waiting for advice.", reference=case.reference))
    else:
        if previous.status != AdviceStatus.ISSUED or case.status not in permissions.CORRECTABLE:
            raise TransitionError(_("The advice this correction replaces is no longer in force."))

    advice.issued_at = now
    advice.issued_by_id = actor.id
    for action in advice.actions:
        action.assigned_at = now  # replaced below by the original for unchanged actions
    advice.content_hash = compute_hash(advice)
    changed_orgs: set[int] = set()
    if previous is not None:
        old_by_id = {a.id: a for a in previous.actions}
        for action in advice.actions:
            old = old_by_id.get(action.previous_action_id)
            if old is not None and old.content_key() == action.content_key():
                for name in FOLLOW_THROUGH_FIELDS:
                    setattr(action, name, getattr(old, name))
                ladder.carry_over(old, action)
        old_keys = {a.content_key() for a in previous.actions}
        new_keys = {a.content_key() for a in advice.actions}
        changed_orgs = {k[0] for k in old_keys ^ new_keys}
        transition_advice(previous, AdviceStatus.SUPERSEDED, actor, {"by_version": advice.version})
        previous.superseded_at = now
        db.session.flush()  # the old version leaves 'issued' before the new one enters it
    transition_advice(advice, AdviceStatus.ISSUED, actor, {"hash": advice.content_hash, "meeting": advice.meeting_id})
    db.session.flush()
    store_archive_copy(advice, canonical_content(advice), actor)  # the PDF/A, made once, kept byte for byte
    if previous is None:
        case_services.advise_case(case, actor, advice_id=advice.id)

    context = {"reference": case.reference, "version": advice.version}
    notify([case.owner], "advice.issued", context, advice_link(advice))
    contacts = organisation_contacts(case.team_id, {a.organisation_id for a in advice.actions})
    if previous is None:
        for action in advice.actions:
            notify(contacts[action.organisation_id], "advice.action_assigned", action_context(action),
                   tokens.confirm_path(action.id))
            action_event("action.assigned", action)
    else:
        correction_events(advice, previous)
        for action in advice.actions:
            if action.organisation_id in changed_orgs and action.status == ActionStatus.OPEN:
                notify(contacts[action.organisation_id], "advice.action_assigned", action_context(action),
                       tokens.confirm_path(action.id))
                action_event("action.assigned", action)
        removed_only = changed_orgs - {a.organisation_id for a in advice.actions}
        removed_contacts = organisation_contacts(case.team_id, removed_only)
        for org_id in sorted(changed_orgs):
            org = db.session.get(Organisation, org_id)
            notify(contacts.get(org_id, []) + removed_contacts.get(org_id, []), "advice.corrected",
                   {**context, "organisation": org.name}, advice_link(advice))
        sync_case(advice, actor)


def correct_advice(advice: Advice, actor: User, *, reason: str) -> Advice:
    """Start a correction: a new draft version copying the issued one, with a reason. Issuing it
    supersedes the old version (which stays readable)."""
    if advice.status != AdviceStatus.ISSUED:
        raise TransitionError(_("Only the advice in force can be corrected."))
    if not permissions.can_correct(actor, advice):
        if advice.case.status not in permissions.CORRECTABLE:
            raise TransitionError(_("The advice can only be corrected while the actions are being carried out."))
        raise PermissionDenied(_("Only the chair or secretary can correct the advice."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("A reason is required for a correction."))
    if draft_of(advice.case) is not None:
        raise ServiceError(_("A correction of this advice is already being drafted."))
    latest = db.session.scalar(sa.select(sa.func.max(Advice.version)).where(Advice.case_id == advice.case_id)) or 0
    new = Advice(
        case=advice.case, version=latest + 1, status=AdviceStatus.DRAFT, meeting_id=advice.meeting_id,
        supersedes=advice, correction_reason=reason, created_by_id=actor.id,
        **{f: getattr(advice, f) for f in TEXT_FIELDS},
    )
    new.legal_grounds = [
        AdviceLegalGround(legal_reference_id=g.legal_reference_id, law=g.law, article=g.article, note=g.note, url=g.url)
        for g in advice.legal_grounds
    ]
    new.cost_lines = [
        CostLine(side=c.side, intervention_id=c.intervention_id, name=c.name, unit=c.unit,
                 unit_cost_cents=c.unit_cost_cents, source=c.source, is_example=c.is_example,
                 quantity_hundredths=c.quantity_hundredths)
        for c in advice.cost_lines
    ]
    new.actions = [
        Action(organisation_id=a.organisation_id, team_id=a.team_id, description=a.description, deadline=a.deadline,
               previous_action_id=a.id)
        for a in advice.actions
    ]
    db.session.add(new)
    db.session.flush()
    ties.copy_ties(advice, new)  # the blockage-map ties go along with the correction
    plan.copy_plan(advice, new)  # and the plan
    audit_step("advice.correct", "advice", new.id, actor, advice.case.team_id,
           {"supersedes": advice.id, "version": new.version,
            **case_services.keep_text(advice.case, "advice_correction", reason, actor)})
    return new
