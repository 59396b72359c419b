"""Drafting the advice: its texts, legal grounds, the societal cost-benefit lines and the
actions per committed organisation; discarding a draft. The chair or secretary drafts."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from advice import permissions
from advice.lifecycle import (
    NOTE_MAX,
    StaleDraft,
    TransitionError,
    audit_step,
    discussed_meeting_id,
)
from advice.models import (
    Action,
    Advice,
    AdviceLegalGround,
    AdviceStatus,
    CostLine,
    CostSide,
)
from casefiles.models import Case, CaseStatus
from core.clock import team_today, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.filters import euros
from core.models import Organisation, Team, User
from core.people import committed_organisations

from .models import Intervention, LegalReference

#: The draft's text fields (markdown).
TEXT_FIELDS = ("situation", "blockage", "advice_text", "legal_free_text")


TEXT_MAX = 20_000


#: Largest quantity on a cost line, and largest unit cost (euro cents): typos, not estimates.
QUANTITY_MAX = Decimal(100000)


UNIT_COST_MAX = 100_000_000_00


def require_committed(team: Team, organisation_id: int, on: date) -> Organisation:
    allowed = {o.id: o for o in committed_organisations(team, on)}
    if organisation_id not in allowed:
        raise ServiceError(_("Only organisations with an active commitment to this team can be given an action."))
    return allowed[organisation_id]


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
    audit_step("advice.draft", "advice", advice.id, actor, case.team_id, {"case": case.id, "version": 1})
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
    audit_step("advice.update", "advice", advice.id, actor, advice.case.team_id, {"fields": changed})
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
    audit_step("advice.add_ground", "advice", advice.id, actor, advice.case.team_id, {"reference": ref.id})
    return ground


def remove_legal_ground(advice: Advice, actor: User, ground_id: int) -> None:
    _require_editable(advice, actor)
    ground = next((g for g in advice.legal_grounds if g.id == ground_id), None)
    if ground is None:
        raise ServiceError(_("That legal ground is not part of this advice."))
    advice.legal_grounds.remove(ground)
    db.session.flush()
    audit_step("advice.remove_ground", "advice", advice.id, actor, advice.case.team_id, {"ground": ground_id})


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
                  unit: str = "", source: str = "", deviation_reason: str = "") -> CostLine:
    """A line from the team's catalogue (``intervention_id``) or entered by hand (name and unit
    cost in euros); the amount is always unit cost × quantity. A catalogue line with another
    unit cost than the catalogue's needs ``deviation_reason`` (kept and shown with the line)."""
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
        cents = item.unit_cost_cents if unit_cost in (None, "") else parse_euros(unit_cost)
        reason = " ".join((deviation_reason or "").split())
        if cents != item.unit_cost_cents and not reason:
            raise ServiceError(_("The unit cost differs from the catalogue's (%(price)s): give the reason.",
                                 price=euros(item.unit_cost_cents)))
        if len(reason) > 300:
            raise ServiceError(_("The reason is too long (at most 300 characters)."))
        deviates = cents != item.unit_cost_cents
        line = CostLine(side=side, intervention_id=item.id, name=item.name, unit=item.unit,
                        unit_cost_cents=cents, source=item.source, is_example=item.is_example,
                        price_year=item.price_year, catalogue_cost_cents=item.unit_cost_cents if deviates else None,
                        deviation_reason=reason if deviates else "", quantity_hundredths=hundredths)
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
    audit_step("advice.add_cost", "advice", advice.id, actor, advice.case.team_id,
               {"line": line.id, "side": side.value, **({"deviates": True} if line.catalogue_cost_cents is not None else {})})
    return line


def remove_cost_line(advice: Advice, actor: User, line_id: int) -> None:
    _require_editable(advice, actor)
    line = next((c for c in advice.cost_lines if c.id == line_id), None)
    if line is None:
        raise ServiceError(_("That cost line is not part of this advice."))
    advice.cost_lines.remove(line)
    db.session.flush()
    audit_step("advice.remove_cost", "advice", advice.id, actor, advice.case.team_id, {"line": line_id})


def add_action(advice: Advice, actor: User, *, organisation_id: int, description: str, deadline: date,
               today: date | None = None) -> Action:
    """An action for an organisation committed to the team, with a deadline."""
    _require_editable(advice, actor)
    team = advice.case.team
    today = today or team_today(team)
    org = require_committed(team, organisation_id, today)
    description = (description or "").strip().replace("\r\n", "\n")
    if not description:
        raise ServiceError(_("Say what the organisation must do."))
    if len(description) > NOTE_MAX:
        raise ServiceError(_("The description is too long (at most %(max)d characters).", max=NOTE_MAX))
    if not isinstance(deadline, date):
        raise ServiceError(_("Give a deadline."))
    if deadline < today:
        raise ServiceError(_("The deadline cannot be in the past."))
    action = Action(organisation_id=org.id, organisation=org, team_id=team.id, description=description,
                    deadline=deadline)
    advice.actions.append(action)
    db.session.flush()
    audit_step("advice.add_action", "advice", advice.id, actor, team.id, {"action": action.id, "organisation": org.id})
    return action


def remove_action(advice: Advice, actor: User, action_id: int) -> None:
    _require_editable(advice, actor)
    action = next((a for a in advice.actions if a.id == action_id), None)
    if action is None:
        raise ServiceError(_("That action is not part of this advice."))
    advice.actions.remove(action)
    db.session.flush()
    audit_step("advice.remove_action", "advice", advice.id, actor, advice.case.team_id, {"action": action_id})


def discard_draft(advice: Advice, actor: User) -> None:
    """Throw away a correction draft (the first draft of a case stays: it is the advice to come)."""
    _require_editable(advice, actor)
    if advice.supersedes_id is None:
        raise ServiceError(_("Only a correction draft can be discarded."))
    audit_step("advice.discard", "advice", advice.id, actor, advice.case.team_id, {"version": advice.version})
    db.session.delete(advice)
    db.session.flush()
