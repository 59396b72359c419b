"""The team's catalogues (legal references, interventions with their unit costs) and its
follow-through settings (reminder days, grace period), kept by the chair or secretary."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from advice import permissions
from advice.lifecycle import audit_step
from advice.settings import AdviceSettings
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Team, User

from .models import Intervention, LegalReference
from .services import parse_euros


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
    audit_step("advice.catalogue_legal_add", "legal_reference", ref.id, actor, team.id)
    return ref


def add_intervention(team: Team, actor: User, *, name: str, unit_cost: Any, unit: str, source: str = "",
                     is_example: bool = False, price_year: int | None = None) -> Intervention:
    _require_catalogue(actor, team)
    name, unit, source = (name or "").strip(), (unit or "").strip(), (source or "").strip()
    if not name or not unit:
        raise ServiceError(_("Give a name and a unit."))
    cents = parse_euros(unit_cost)
    if price_year is not None and not (1990 <= price_year <= 2100):
        raise ServiceError(_("Give the price year as four digits (1990–2100)."))
    exists = db.session.scalar(sa.select(Intervention).where(Intervention.team_id == team.id, Intervention.name == name))
    if exists is not None:
        if exists.active:
            raise ServiceError(_("This intervention is already in the catalogue."))
        exists.active, exists.unit_cost_cents, exists.unit, exists.source, exists.is_example = True, cents, unit, source, is_example
        exists.price_year = price_year
        item = exists
    else:
        item = Intervention(team_id=team.id, name=name, unit_cost_cents=cents, unit=unit, source=source, is_example=is_example,
                            price_year=price_year)
        db.session.add(item)
    db.session.flush()
    audit_step("advice.catalogue_intervention_add", "intervention", item.id, actor, team.id, {"cents": cents})
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
    audit_step(f"advice.catalogue_{kind}_remove", kind, entry.id, actor, team.id)


def update_settings(team: Team, actor: User, *, reminder_days: int, grace_days: int,
                    ladder: dict[int, int] | None = None) -> AdviceSettings:
    """``ladder``: the escalation ladder's days per level (1 team, 2 director, 3 steering group)."""
    _require_catalogue(actor, team)
    if not (0 <= reminder_days <= 60) or not (0 <= grace_days <= 120):
        raise ServiceError(_("Reminder days must be 0–60 and grace days 0–120."))
    if ladder is not None and not all(isinstance(ladder.get(k), int) and 1 <= ladder[k] <= 180 for k in (1, 2, 3)):
        raise ServiceError(_("Each level of the escalation ladder needs 1 to 180 days."))
    row = db.session.get(AdviceSettings, team.id)
    if row is None:
        row = AdviceSettings(team_id=team.id)
        db.session.add(row)
    row.reminder_days, row.grace_days = reminder_days, grace_days
    details = {"reminder_days": reminder_days, "grace_days": grace_days}
    if ladder is not None:
        row.ladder_team_days, row.ladder_director_days, row.ladder_steering_days = ladder[1], ladder[2], ladder[3]
        details["ladder_days"] = [ladder[1], ladder[2], ladder[3]]
    db.session.flush()
    audit_step("advice.settings", "team", team.id, actor, team.id, details)
    return row
