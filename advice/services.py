"""Advice services: drafting, issuing and correcting the binding advice; the organisations'
follow-through on its actions; closing the case and the follow-up evaluation.

Services check who may do it, change objects, flush, write the audit record and queue
notifications; the caller (view, job, CLI) owns the commit. An issued version is never edited:
a correction is a new version (and ``advice.guard`` refuses any other path).
"""
from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from casefiles import services as case_services
from casefiles.models import Case, CaseStatus
from core import audit
from core.clock import team_today, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Organisation, Role, Team, User
from core.people import committed_organisations, organisation_contacts, team_members
from meeting.models import AgendaItem, Meeting
from meeting.models import Outcome as ItemOutcome
from notifications.services import notify

from . import permissions, ties, tokens
from .models import (
    ACTION_TRANSITIONS,
    ADVICE_TRANSITIONS,
    DEFAULT_GRACE_DAYS,
    DEFAULT_REMINDER_DAYS,
    SETTLED_ACTION,
    Action,
    ActionStatus,
    Advice,
    AdviceLegalGround,
    AdviceSettings,
    AdviceStatus,
    CaseClosure,
    ClosureOutcome,
    CostLine,
    CostSide,
    EscalationKind,
    FollowupResult,
    Intervention,
    LegalReference,
    TeamDecision,
)

#: The draft's text fields (markdown).
TEXT_FIELDS = ("situation", "blockage", "advice_text", "legal_free_text")
TEXT_MAX = 20_000
NOTE_MAX = 5_000
#: Largest quantity on a cost line, and largest unit cost (euro cents): typos, not estimates.
QUANTITY_MAX = Decimal("100000")
UNIT_COST_MAX = 100_000_000_00
FOLLOWUP_MONTHS = 3


class TransitionError(ServiceError):
    """The advice or action is not in a state from which this step is allowed."""


class StaleDraft(ServiceError):
    """The draft was saved by someone else since the form was loaded; nothing was saved."""


class StaleAction(ServiceError):
    """Someone else acted on this action since the page was loaded; nothing was changed."""


# --- helpers ----------------------------------------------------------------------------------

def _audit(action: str, obj_type: str, obj_id: int | None, actor: User | None, team_id: int,
           details: dict[str, Any] | None = None) -> None:
    audit.record(action, object_type=obj_type, object_id=obj_id, actor=actor, team_id=team_id, details=details or {})


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def settings_for(team_id: int) -> AdviceSettings:
    """The team's follow-through settings (defaults when none were saved)."""
    row = db.session.get(AdviceSettings, team_id)
    return row or AdviceSettings(team_id=team_id, reminder_days=DEFAULT_REMINDER_DAYS, grace_days=DEFAULT_GRACE_DAYS)


def _require_committed(team: Team, organisation_id: int, on: date) -> Organisation:
    allowed = {o.id: o for o in committed_organisations(team, on)}
    if organisation_id not in allowed:
        raise ServiceError(_("Only organisations with an active commitment to this team can be given an action."))
    return allowed[organisation_id]


def _case_link(case: Case) -> str:
    return f"/cases/{case.id}"


def _advice_link(advice: Advice) -> str:
    return f"/advice/{advice.id}"


def _action_link(action: Action) -> str:
    return f"/advice/actions/{action.id}"


def _action_context(action: Action) -> dict[str, Any]:
    return {
        "reference": action.advice.case.reference,
        "organisation": action.organisation.name,
        "deadline": action.effective_deadline.strftime("%d-%m-%Y"),
    }


def versions(case: Case) -> list[Advice]:
    """All versions of the case's advice, newest first."""
    return list(db.session.scalars(sa.select(Advice).where(Advice.case_id == case.id).order_by(Advice.version.desc())))


def current_advice(case: Case) -> Advice | None:
    """The issued version in force (None before issuing)."""
    return db.session.scalar(
        sa.select(Advice).where(Advice.case_id == case.id, Advice.status == AdviceStatus.ISSUED)
    )


def draft_of(case: Case) -> Advice | None:
    return db.session.scalar(
        sa.select(Advice).where(Advice.case_id == case.id, Advice.status == AdviceStatus.DRAFT)
    )


def discussed_meeting_id(case: Case) -> int | None:
    """The meeting where the case was (last) discussed."""
    return db.session.scalar(
        sa.select(AgendaItem.meeting_id)
        .where(AgendaItem.case_id == case.id, AgendaItem.outcome == ItemOutcome.DISCUSSED)
        .order_by(AgendaItem.outcome_at.desc(), AgendaItem.id.desc())
        .limit(1)
    )


def _transition_advice(advice: Advice, to: AdviceStatus, actor: User | None, details: dict | None = None) -> None:
    key = (advice.status, to)
    if key not in ADVICE_TRANSITIONS:
        raise TransitionError(
            _("This advice is %(state)s; it cannot become %(target)s.", state=advice.status.label, target=to.label)
        )
    advice.status = to
    _audit(f"advice.{ADVICE_TRANSITIONS[key]}", "advice", advice.id, actor, advice.case.team_id,
           {"from": key[0].value, "to": to.value, "case": advice.case_id, "version": advice.version, **(details or {})})


def _transition_action(action: Action, to: ActionStatus, actor: User | None, details: dict | None = None) -> None:
    key = (action.status, to)
    if key not in ACTION_TRANSITIONS:
        raise TransitionError(
            _("This action is %(state)s; it cannot become %(target)s.", state=action.status.label, target=to.label)
        )
    action.status = to
    _audit(f"action.{ACTION_TRANSITIONS[key]}", "action", action.id, actor, action.advice.case.team_id,
           {"from": key[0].value, "to": to.value, "case": action.advice.case_id, **(details or {})})


# --- the draft --------------------------------------------------------------------------------

def _require_editable(advice: Advice, actor: User) -> None:
    if advice.status != AdviceStatus.DRAFT:
        raise TransitionError(_("An issued advice cannot be changed. Make a correction instead."))
    if not permissions.can_edit(actor, advice):
        raise PermissionDenied(_("Only the chair or secretary can edit the advice."))


def draft_advice(case: Case, actor: User) -> Advice:
    """Start the first advice on a discussed case."""
    if not permissions.is_lead(actor, case.team_id):
        raise PermissionDenied(_("Only the chair or secretary can draft the advice."))
    if case.status != CaseStatus.DISCUSSED:
        raise TransitionError(_("Advice is drafted for a case the team has discussed."))
    if db.session.scalar(sa.select(sa.func.count(Advice.id)).where(Advice.case_id == case.id)):
        raise ServiceError(_("This case already has an advice."))
    advice = Advice(case=case, version=1, status=AdviceStatus.DRAFT, meeting_id=discussed_meeting_id(case),
                    created_by_id=actor.id, blockage=case.blockage)
    db.session.add(advice)
    db.session.flush()
    _audit("advice.draft", "advice", advice.id, actor, case.team_id, {"case": case.id, "version": 1})
    return advice


def update_draft(advice: Advice, actor: User, *, expected_version: int, **fields: str) -> Advice:
    """Save the draft's texts if nobody saved since ``expected_version`` (else StaleDraft)."""
    _require_editable(advice, actor)
    unknown = set(fields) - set(TEXT_FIELDS)
    if unknown:
        raise TypeError(f"unknown advice fields: {sorted(unknown)}")
    if advice.lock_version != expected_version:
        raise StaleDraft(
            _("Someone else saved this draft in the meantime. Your changes were not saved; the current text is shown.")
        )
    cleaned = {k: (v or "").replace("\r\n", "\n") for k, v in fields.items()}
    for value in cleaned.values():
        if len(value) > TEXT_MAX:
            raise ServiceError(_("A text is too long (at most %(max)d characters).", max=TEXT_MAX))
    changed = sorted(k for k, v in cleaned.items() if getattr(advice, k) != v)
    # Atomic compare-and-set, so two simultaneous saves cannot both win.
    result = db.session.execute(
        sa.update(Advice)
        .where(Advice.id == advice.id, Advice.lock_version == expected_version, Advice.status == AdviceStatus.DRAFT)
        .values(**cleaned, lock_version=Advice.lock_version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(advice)
    if result.rowcount != 1:
        raise StaleDraft(
            _("Someone else saved this draft in the meantime. Your changes were not saved; the current text is shown.")
        )
    _audit("advice.update", "advice", advice.id, actor, advice.case.team_id, {"fields": changed})
    return advice


def add_legal_ground(advice: Advice, actor: User, legal_reference_id: int) -> AdviceLegalGround:
    _require_editable(advice, actor)
    ref = db.session.get(LegalReference, legal_reference_id)
    if ref is None or ref.team_id != advice.case.team_id or not ref.active:
        raise ServiceError(_("Choose a legal reference from the team's list."))
    if any(g.legal_reference_id == ref.id for g in advice.legal_grounds):
        raise ServiceError(_("This legal reference is already cited."))
    ground = AdviceLegalGround(legal_reference_id=ref.id, law=ref.law, article=ref.article, note=ref.note, url=ref.url)
    advice.legal_grounds.append(ground)
    db.session.flush()
    _audit("advice.add_ground", "advice", advice.id, actor, advice.case.team_id, {"reference": ref.id})
    return ground


def remove_legal_ground(advice: Advice, actor: User, ground_id: int) -> None:
    _require_editable(advice, actor)
    ground = next((g for g in advice.legal_grounds if g.id == ground_id), None)
    if ground is None:
        raise ServiceError(_("That legal ground is not part of this advice."))
    advice.legal_grounds.remove(ground)
    db.session.flush()
    _audit("advice.remove_ground", "advice", advice.id, actor, advice.case.team_id, {"ground": ground_id})


def parse_quantity(value: Any) -> int:
    """A quantity (up to two decimals) as hundredths; refuses zero, negatives and nonsense."""
    try:
        q = Decimal(str(value).replace(",", ".").strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(_("Enter the quantity as a number, e.g. 12 or 0.5.")) from None
    if not q.is_finite() or q <= 0 or q > QUANTITY_MAX or q != q.quantize(Decimal("0.01")):
        raise ServiceError(_("The quantity must be a positive number with at most two decimals."))
    return int(q * 100)


def parse_euros(value: Any) -> int:
    """An amount in euros (up to two decimals) as cents."""
    try:
        amount = Decimal(str(value).replace(",", ".").strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(_("Enter the amount in euros, e.g. 1250 or 1250.50.")) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount * 100 > UNIT_COST_MAX:
        raise ServiceError(_("The amount must be zero or more, in euros with at most two decimals."))
    return int(amount * 100)


def add_cost_line(advice: Advice, actor: User, *, side: CostSide | str, quantity: Any,
                  intervention_id: int | None = None, name: str = "", unit_cost: Any = None,
                  unit: str = "", source: str = "") -> CostLine:
    """A line from the team's catalogue (``intervention_id``) or entered by hand (name and unit
    cost in euros); the amount is always unit cost × quantity."""
    _require_editable(advice, actor)
    try:
        side = CostSide(side)
    except ValueError:
        raise ServiceError(_("Choose 'carrying on' or 'breaking through'.")) from None
    hundredths = parse_quantity(quantity)
    if intervention_id:
        item = db.session.get(Intervention, intervention_id)
        if item is None or item.team_id != advice.case.team_id or not item.active:
            raise ServiceError(_("Choose an intervention from the team's catalogue."))
        line = CostLine(side=side, intervention_id=item.id, name=item.name, unit=item.unit,
                        unit_cost_cents=item.unit_cost_cents, source=item.source, is_example=item.is_example,
                        quantity_hundredths=hundredths)
    else:
        name = (name or "").strip()
        if not name or unit_cost in (None, ""):
            raise ServiceError(_("Choose an intervention from the catalogue, or enter a name and a unit cost."))
        if len(name) > 160 or len(unit or "") > 60 or len(source or "") > 300:
            raise ServiceError(_("The name, unit or source is too long."))
        line = CostLine(side=side, name=name, unit=(unit or "").strip(), unit_cost_cents=parse_euros(unit_cost),
                        source=(source or "").strip(), quantity_hundredths=hundredths)
    advice.cost_lines.append(line)
    db.session.flush()
    _audit("advice.add_cost", "advice", advice.id, actor, advice.case.team_id, {"line": line.id, "side": side.value})
    return line


def remove_cost_line(advice: Advice, actor: User, line_id: int) -> None:
    _require_editable(advice, actor)
    line = next((c for c in advice.cost_lines if c.id == line_id), None)
    if line is None:
        raise ServiceError(_("That cost line is not part of this advice."))
    advice.cost_lines.remove(line)
    db.session.flush()
    _audit("advice.remove_cost", "advice", advice.id, actor, advice.case.team_id, {"line": line_id})


def add_action(advice: Advice, actor: User, *, organisation_id: int, description: str, deadline: date,
               today: date | None = None) -> Action:
    """An action for an organisation committed to the team, with a deadline."""
    _require_editable(advice, actor)
    team = advice.case.team
    today = today or team_today(team)
    org = _require_committed(team, organisation_id, today)
    description = (description or "").strip().replace("\r\n", "\n")
    if not description:
        raise ServiceError(_("Say what the organisation must do."))
    if len(description) > NOTE_MAX:
        raise ServiceError(_("The description is too long (at most %(max)d characters).", max=NOTE_MAX))
    if not isinstance(deadline, date):
        raise ServiceError(_("Give a deadline."))
    if deadline < today:
        raise ServiceError(_("The deadline cannot be in the past."))
    action = Action(organisation_id=org.id, organisation=org, description=description, deadline=deadline)
    advice.actions.append(action)
    db.session.flush()
    _audit("advice.add_action", "advice", advice.id, actor, team.id, {"action": action.id, "organisation": org.id})
    return action


def remove_action(advice: Advice, actor: User, action_id: int) -> None:
    _require_editable(advice, actor)
    action = next((a for a in advice.actions if a.id == action_id), None)
    if action is None:
        raise ServiceError(_("That action is not part of this advice."))
    advice.actions.remove(action)
    db.session.flush()
    _audit("advice.remove_action", "advice", advice.id, actor, advice.case.team_id, {"action": action_id})


def discard_draft(advice: Advice, actor: User) -> None:
    """Throw away a correction draft (the first draft of a case stays: it is the advice to come)."""
    _require_editable(advice, actor)
    if advice.supersedes_id is None:
        raise ServiceError(_("Only a correction draft can be discarded."))
    _audit("advice.discard", "advice", advice.id, actor, advice.case.team_id, {"version": advice.version})
    db.session.delete(advice)
    db.session.flush()


# --- canonical content and the hash -----------------------------------------------------------

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
    }


def compute_hash(advice: Advice) -> str:
    """SHA-256 (hex) of the canonical content as JSON with sorted keys."""
    payload = json.dumps(canonical_content(advice), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def verify_hash(advice: Advice) -> bool:
    return advice.content_hash is not None and advice.content_hash == compute_hash(advice)


# --- issuing and correcting -------------------------------------------------------------------

#: Follow-through fields copied onto an unchanged action when a correction is issued.
FOLLOW_THROUGH_FIELDS = (
    "status", "assigned_at", "deadline_extended_to", "confirmed_at", "confirmed_by_id", "done_at", "done_on", "done_by_id",
    "done_note", "refused_at", "refused_by_id", "refused_reason", "reminded_at", "overdue_notified_at",
    "escalated_at", "escalation_kind", "team_decision", "team_decision_note", "decided_at", "decided_by_id",
    "decided_meeting_id",
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
        _require_committed(case.team, action.organisation_id, today)
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
        old_keys = {a.content_key() for a in previous.actions}
        new_keys = {a.content_key() for a in advice.actions}
        changed_orgs = {k[0] for k in old_keys ^ new_keys}
        _transition_advice(previous, AdviceStatus.SUPERSEDED, actor, {"by_version": advice.version})
        previous.superseded_at = now
        db.session.flush()  # the old version leaves 'issued' before the new one enters it
    _transition_advice(advice, AdviceStatus.ISSUED, actor, {"hash": advice.content_hash, "meeting": advice.meeting_id})
    db.session.flush()
    if previous is None:
        case_services.advise_case(case, actor, advice_id=advice.id)

    context = {"reference": case.reference, "version": advice.version}
    notify([case.owner], "advice.issued", context, _advice_link(advice))
    contacts = organisation_contacts(case.team_id, {a.organisation_id for a in advice.actions})
    if previous is None:
        for action in advice.actions:
            notify(contacts[action.organisation_id], "advice.action_assigned", _action_context(action),
                   tokens.confirm_path(action.id))
    else:
        for action in advice.actions:
            if action.organisation_id in changed_orgs and action.status == ActionStatus.OPEN:
                notify(contacts[action.organisation_id], "advice.action_assigned", _action_context(action),
                       tokens.confirm_path(action.id))
        removed_only = changed_orgs - {a.organisation_id for a in advice.actions}
        removed_contacts = organisation_contacts(case.team_id, removed_only)
        for org_id in sorted(changed_orgs):
            org = db.session.get(Organisation, org_id)
            notify(contacts.get(org_id, []) + removed_contacts.get(org_id, []), "advice.corrected",
                   {**context, "organisation": org.name}, _advice_link(advice))
        _sync_case(advice, actor)


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
        Action(organisation_id=a.organisation_id, description=a.description, deadline=a.deadline,
               previous_action_id=a.id)
        for a in advice.actions
    ]
    db.session.add(new)
    db.session.flush()
    ties.copy_ties(advice, new)  # the blockage-map ties go along with the correction
    _audit("advice.correct", "advice", new.id, actor, advice.case.team_id,
           {"supersedes": advice.id, "version": new.version, "reason": reason})
    return new


# --- follow-through by the organisations ------------------------------------------------------

def _state_message(action: Action) -> str:
    who = {
        ActionStatus.CONFIRMED: action.confirmed_by,
        ActionStatus.DONE: action.done_by,
        ActionStatus.REFUSED: action.refused_by,
    }.get(action.status)
    if who is not None:
        return _("It is now: %(state)s (by %(name)s).", state=action.status.label, name=who.name)
    return _("It is now: %(state)s.", state=action.status.label)


def _refresh_for_message(action: Action) -> str:
    db.session.rollback()
    db.session.refresh(action)
    return _state_message(action)


def _begin(action: Action, actor: User, expected_version: int | None) -> None:
    if expected_version is not None and action.version != expected_version:
        raise StaleAction(
            _("Someone else acted on this action in the meantime; nothing was changed.") + " " + _state_message(action)
        )
    if action.advice.status != AdviceStatus.ISSUED:
        raise TransitionError(_("This advice was corrected; act on the current version."))
    if not permissions.is_contact_for(actor, action):
        raise PermissionDenied(_("Only a contact of %(organisation)s can do this.", organisation=action.organisation.name))


def _flush_action(action: Action) -> None:
    """Flush the change; if another session changed the row in between (the version column
    no longer matches), nothing is written and the user gets the current state."""
    try:
        db.session.flush()
    except StaleDataError:
        message = _refresh_for_message(action)
        raise StaleAction(
            _("Someone else acted on this action in the meantime; nothing was changed.") + " " + message
        ) from None


def confirm_action(action: Action, actor: User, *, expected_version: int | None, now: datetime | None = None) -> None:
    """The organisation will carry out the action."""
    now = now or utcnow()
    _begin(action, actor, expected_version)
    _transition_action(action, ActionStatus.CONFIRMED, actor)
    action.confirmed_at, action.confirmed_by_id = now, actor.id
    _flush_action(action)
    _sync_case(action.advice, actor)


def complete_action(action: Action, actor: User, *, expected_version: int | None, note: str, done_on: date | None,
                    now: datetime | None = None) -> None:
    """The organisation reports the action done: what was done, and when."""
    now = now or utcnow()
    _begin(action, actor, expected_version)
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Say briefly what was done."))
    if len(note) > NOTE_MAX:
        raise ServiceError(_("The note is too long (at most %(max)d characters).", max=NOTE_MAX))
    today = team_today(action.advice.case.team, now)
    if done_on is None:
        raise ServiceError(_("Give the date it was done."))
    if done_on > today:
        raise ServiceError(_("The date it was done cannot be in the future."))
    first = action.advice
    while first.supersedes is not None:
        first = first.supersedes
    if done_on < team_today(action.advice.case.team, first.issued_at):
        raise ServiceError(_("The date it was done cannot be before the advice was issued."))
    _transition_action(action, ActionStatus.DONE, actor)
    action.done_at, action.done_on, action.done_by_id, action.done_note = now, done_on, actor.id, note
    _flush_action(action)
    _sync_case(action.advice, actor)
    ties.solve_need_for_action(action, now)  # the tied need of the blockage map is solved


def refuse_action(action: Action, actor: User, *, expected_version: int | None, reason: str,
                  now: datetime | None = None) -> None:
    """The organisation refuses, with a reason; the chair is told at once (always by e-mail)
    and the action goes on the next meeting's follow-up list."""
    now = now or utcnow()
    _begin(action, actor, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("A reason is required to refuse an action."))
    if len(reason) > NOTE_MAX:
        raise ServiceError(_("The reason is too long (at most %(max)d characters).", max=NOTE_MAX))
    _transition_action(action, ActionStatus.REFUSED, actor, {"reason": reason})
    action.refused_at, action.refused_by_id, action.refused_reason = now, actor.id, reason
    action.escalated_at, action.escalation_kind = now, EscalationKind.REFUSED
    _flush_action(action)
    _audit("action.escalate", "action", action.id, actor, action.advice.case.team_id, {"kind": "refused"})
    notify(team_members(action.advice.case.team_id, Role.CHAIR), "advice.action_refused",
           _action_context(action), _action_link(action))


def record_team_decision(action: Action, actor: User, *, decision: TeamDecision | str, note: str,
                         new_deadline: date | None = None, meeting: Meeting | None = None,
                         now: datetime | None = None) -> None:
    """What the team decided on an escalated action (refused, or overdue past the grace period):

    - ``extend``: the action stands, with a new deadline (a refused action is reopened; the
      reminder, overdue and escalation jobs start again for the new deadline);
    - ``drop``: the action is no longer needed and no longer holds up completion.

    Giving the action to another organisation or changing what it says is a correction of the
    advice (a new version), not a decision here.
    """
    now = now or utcnow()
    if not permissions.can_decide(actor, action):
        if action.escalated_at is None:
            raise TransitionError(_("This action is not waiting for a decision of the team."))
        raise PermissionDenied(_("Only the chair or secretary records the team's decision."))
    try:
        decision = TeamDecision(decision)
    except ValueError:
        raise ServiceError(_("Choose a decision.")) from None
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Record what the team decided and why."))
    team = action.advice.case.team
    if meeting is not None and meeting.team_id != team.id:
        raise ServiceError(_("That meeting belongs to another team."))
    details: dict[str, Any] = {"decision": decision.value, "note": note}
    if decision == TeamDecision.EXTEND:
        if new_deadline is None or new_deadline <= team_today(team, now):
            raise ServiceError(_("Give a new deadline in the future."))
        if action.status == ActionStatus.REFUSED:
            _transition_action(action, ActionStatus.OPEN, actor, details)
        action.deadline_extended_to = new_deadline
        action.reminded_at = action.overdue_notified_at = None
        details["deadline"] = new_deadline.isoformat()
    else:
        _transition_action(action, ActionStatus.DROPPED, actor, details)
    action.team_decision, action.team_decision_note = decision, note
    action.decided_at, action.decided_by_id = now, actor.id
    action.decided_meeting_id = meeting.id if meeting is not None else None
    action.escalated_at = None
    _flush_action(action)
    _audit("action.decide", "action", action.id, actor, team.id, details)
    if decision == TeamDecision.EXTEND:
        contacts = organisation_contacts(team.id, [action.organisation_id])[action.organisation_id]
        notify(contacts, "advice.action_assigned", _action_context(action), _action_link(action))
    _sync_case(action.advice, actor)


def _sync_case(advice: Advice, actor: User | None) -> None:
    """The case follows its actions: `in_execution` once one is confirmed or done; `completed`
    once every action is done (or dropped by the team)."""
    case = advice.case
    statuses = [a.status for a in advice.actions]
    if case.status not in permissions.CORRECTABLE or not statuses:
        return
    if all(s in SETTLED_ACTION for s in statuses):
        case_services.complete_case(case, actor, advice_id=advice.id)
        notify([case.owner], "advice.case_completed", {"reference": case.reference}, _case_link(case))
    elif case.status == CaseStatus.ADVISED and any(s in (ActionStatus.CONFIRMED, ActionStatus.DONE) for s in statuses):
        case_services.start_execution(case, actor, advice_id=advice.id)


# --- closing the case and the follow-up -------------------------------------------------------

def closure_of(case: Case) -> CaseClosure | None:
    return db.session.scalar(sa.select(CaseClosure).where(CaseClosure.case_id == case.id))


def close_case(case: Case, actor: User, *, outcome: ClosureOutcome | str, note: str, now: datetime | None = None) -> CaseClosure:
    """The owner closes a completed case with its outcome; the follow-up is due in three months."""
    now = now or utcnow()
    if case.status == CaseStatus.COMPLETED and permissions.has_open_draft(case):
        raise TransitionError(_("A correction of the advice is still being drafted: issue or discard it "
                                "before closing the case."))
    if not permissions.can_close(actor, case):
        if case.status != CaseStatus.COMPLETED:
            raise TransitionError(_("A case is closed once every action is done."))
        raise PermissionDenied(_("Only the case owner closes the case."))
    try:
        outcome = ClosureOutcome(outcome)
    except ValueError:
        raise ServiceError(_("Choose the outcome.")) from None
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Add a note on the outcome."))
    case_services.close_case(case, actor, outcome=outcome.value, now=now)
    closure = CaseClosure(case=case, team_id=case.team_id, outcome=outcome, note=note, closed_at=now,
                          closed_by_id=actor.id,
                          followup_due_on=add_months(team_today(case.team, now), FOLLOWUP_MONTHS))
    db.session.add(closure)
    db.session.flush()
    return closure


def record_followup(case: Case, actor: User, *, result: FollowupResult | str, note: str,
                    now: datetime | None = None) -> CaseClosure:
    """The owner's answer to 'is the breakthrough holding?' (once)."""
    now = now or utcnow()
    if not permissions.can_record_followup(actor, case):
        raise PermissionDenied(_("Only the case owner records the follow-up of a closed case."))
    closure = closure_of(case)
    if closure is None:
        raise TransitionError(_("This case was not closed with an outcome."))
    if closure.followup_at is not None:
        raise TransitionError(_("The follow-up evaluation has already been recorded."))
    try:
        result = FollowupResult(result)
    except ValueError:
        raise ServiceError(_("Choose whether the breakthrough holds.")) from None
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Add a note on how it is going."))
    closure.followup_result, closure.followup_note = result, note
    closure.followup_at, closure.followup_by_id = now, actor.id
    db.session.flush()
    _audit("case.followup", "case", case.id, actor, case.team_id, {"result": result.value})
    return closure


def record_followup_review(closure: CaseClosure, actor: User, *, note: str, now: datetime | None = None) -> None:
    """What the team concluded when the follow-up came back on the table."""
    if not permissions.is_lead(actor, closure.team_id):
        raise PermissionDenied(_("Only the chair or secretary records the team's decision."))
    if closure.team_noted_at is not None:
        raise TransitionError(_("The team has already discussed this follow-up."))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Record what the team decided and why."))
    closure.team_note, closure.team_noted_at, closure.team_noted_by_id = note, now or utcnow(), actor.id
    db.session.flush()
    _audit("case.followup_review", "case", closure.case_id, actor, closure.team_id, {"note": note})


# --- back on the table ------------------------------------------------------------------------

@dataclass
class FollowUpItems:
    escalated: list[Action] = field(default_factory=list)
    """Refused actions and actions overdue past the grace period, waiting for the team."""
    followups: list[CaseClosure] = field(default_factory=list)
    """Closed cases due for their three-month evaluation, not yet discussed by the team."""

    def __bool__(self) -> bool:
        return bool(self.escalated or self.followups)


def follow_up_items(team: Team, meeting: Meeting | None = None, now: datetime | None = None) -> FollowUpItems:
    """What goes on the follow-up part of the (next) meeting's agenda. Two queries."""
    if meeting is not None and meeting.team_id != team.id:
        raise ServiceError(_("That meeting belongs to another team."))
    day = team_today(team, meeting.starts_at if meeting is not None else now)
    escalated = db.session.scalars(
        sa.select(Action)
        .join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .where(Case.team_id == team.id, Advice.status == AdviceStatus.ISSUED, Action.escalated_at.is_not(None))
        .order_by(Action.escalated_at, Action.id)
        .options(sa.orm.contains_eager(Action.advice).contains_eager(Advice.case),
                 sa.orm.joinedload(Action.organisation), sa.orm.joinedload(Action.refused_by))
    ).unique().all()
    followups = db.session.scalars(
        sa.select(CaseClosure)
        .where(CaseClosure.team_id == team.id, CaseClosure.followup_due_on <= day, CaseClosure.team_noted_at.is_(None))
        .order_by(CaseClosure.followup_due_on, CaseClosure.id)
        .options(sa.orm.joinedload(CaseClosure.case))
    ).all()
    return FollowUpItems(escalated=list(escalated), followups=list(followups))


# --- the contact's home -----------------------------------------------------------------------

def contact_clause(user: User) -> sa.ColumnElement[bool]:
    """SQL filter: actions addressed to one of the user's organisations, in the same team."""
    pairs = {(m.team_id, m.organisation_id) for m in user.memberships
             if m.active and m.role == Role.ORG_CONTACT and m.organisation_id is not None}
    if not pairs:
        return sa.false()
    return sa.or_(*(sa.and_(Case.team_id == t, Action.organisation_id == o) for t, o in sorted(pairs)))


def contact_actions(user: User) -> list[Action]:
    """The actions of the user's organisations on advice in force, deadline first (one query)."""
    return list(
        db.session.scalars(
            sa.select(Action)
            .join(Advice, Advice.id == Action.advice_id)
            .join(Case, Case.id == Advice.case_id)
            .where(contact_clause(user), Advice.status == AdviceStatus.ISSUED)
            .order_by(sa.func.coalesce(Action.deadline_extended_to, Action.deadline), Action.id)
            .options(sa.orm.contains_eager(Action.advice).contains_eager(Advice.case),
                     sa.orm.joinedload(Action.organisation))
        ).unique()
    )


def group_for_contact(actions: Iterable[Action], today: date) -> dict[str, list[Action]]:
    groups: dict[str, list[Action]] = {"overdue": [], "open": [], "confirmed": [], "refused": [], "done": []}
    for a in actions:
        if a.is_overdue(today):
            groups["overdue"].append(a)
        elif a.status == ActionStatus.OPEN:
            groups["open"].append(a)
        elif a.status == ActionStatus.CONFIRMED:
            groups["confirmed"].append(a)
        elif a.status == ActionStatus.REFUSED:
            groups["refused"].append(a)
        else:
            groups["done"].append(a)
    return groups


# --- catalogues and settings ------------------------------------------------------------------

def _require_catalogue(actor: User, team: Team) -> None:
    if not permissions.can_maintain_catalogue(actor, team.id):
        raise PermissionDenied(_("Only the chair or secretary maintains the catalogue."))


def add_legal_reference(team: Team, actor: User, *, law: str, article: str = "", note: str = "", url: str = "") -> LegalReference:
    _require_catalogue(actor, team)
    law, article, note, url = (law or "").strip(), (article or "").strip(), (note or "").strip(), (url or "").strip()
    if not law:
        raise ServiceError(_("Name the law."))
    if url and not url.startswith(("https://", "http://")):
        raise ServiceError(_("A link starts with https://."))
    exists = db.session.scalar(sa.select(LegalReference).where(
        LegalReference.team_id == team.id, LegalReference.law == law, LegalReference.article == article))
    if exists is not None:
        if exists.active:
            raise ServiceError(_("This reference is already in the list."))
        exists.active, exists.note, exists.url = True, note or exists.note, url or exists.url
        ref = exists
    else:
        ref = LegalReference(team_id=team.id, law=law, article=article, note=note, url=url)
        db.session.add(ref)
    db.session.flush()
    _audit("advice.catalogue_legal_add", "legal_reference", ref.id, actor, team.id, {"law": law, "article": article})
    return ref


def add_intervention(team: Team, actor: User, *, name: str, unit_cost: Any, unit: str, source: str = "",
                     is_example: bool = False) -> Intervention:
    _require_catalogue(actor, team)
    name, unit, source = (name or "").strip(), (unit or "").strip(), (source or "").strip()
    if not name or not unit:
        raise ServiceError(_("Give a name and a unit."))
    cents = parse_euros(unit_cost)
    exists = db.session.scalar(sa.select(Intervention).where(Intervention.team_id == team.id, Intervention.name == name))
    if exists is not None:
        if exists.active:
            raise ServiceError(_("This intervention is already in the catalogue."))
        exists.active, exists.unit_cost_cents, exists.unit, exists.source, exists.is_example = True, cents, unit, source, is_example
        item = exists
    else:
        item = Intervention(team_id=team.id, name=name, unit_cost_cents=cents, unit=unit, source=source, is_example=is_example)
        db.session.add(item)
    db.session.flush()
    _audit("advice.catalogue_intervention_add", "intervention", item.id, actor, team.id, {"name": name, "cents": cents})
    return item


def deactivate_catalogue_entry(team: Team, actor: User, kind: str, entry_id: int) -> None:
    """Take a reference or intervention off the list (earlier advice keeps its copy)."""
    _require_catalogue(actor, team)
    model = {"legal": LegalReference, "intervention": Intervention}.get(kind)
    entry = db.session.get(model, entry_id) if model else None
    if entry is None or entry.team_id != team.id or not entry.active:
        raise ServiceError(_("That entry is not in the list."))
    entry.active = False
    db.session.flush()
    _audit(f"advice.catalogue_{kind}_remove", kind, entry.id, actor, team.id)


def update_settings(team: Team, actor: User, *, reminder_days: int, grace_days: int) -> AdviceSettings:
    _require_catalogue(actor, team)
    if not (0 <= reminder_days <= 60) or not (0 <= grace_days <= 120):
        raise ServiceError(_("Reminder days must be 0–60 and grace days 0–120."))
    row = db.session.get(AdviceSettings, team.id)
    if row is None:
        row = AdviceSettings(team_id=team.id)
        db.session.add(row)
    row.reminder_days, row.grace_days = reminder_days, grace_days
    db.session.flush()
    _audit("advice.settings", "team", team.id, actor, team.id, {"reminder_days": reminder_days, "grace_days": grace_days})
    return row
