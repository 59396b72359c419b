"""Lessons for the system ("systeemleren"): when the advice is issued, the team records for each
blockage (each need on the map, or the advice's blockage when the case has no map) which rule,
law, procedure or organisation caused it (from the team's list, plus free text), and whether the
advice deviates from it and on which ground. The counts leave the team through
``reports.blocking`` (small counts suppressed, no personal data)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from advice import permissions
from advice.lifecycle import audit_step
from advice.models import Advice
from casefiles.blockage import services as blockage
from core.clock import utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Team, User

from .models import BlockageLesson, LessonSource, SourceKind

FREE_MAX = 500
GROUND_MAX = 1000


def sources(team_id: int, *, active_only: bool = True) -> list[LessonSource]:
    q = sa.select(LessonSource).where(LessonSource.team_id == team_id)
    if active_only:
        q = q.where(LessonSource.active.is_(True))
    return list(db.session.scalars(q.order_by(LessonSource.kind, LessonSource.name)))


def add_source(team: Team, actor: User, *, kind: str, name: str) -> LessonSource:
    if not permissions.can_keep_lesson_sources(actor, team.id):
        raise PermissionDenied(_("Only the chair or secretary keeps the list of what blocks cases."))
    name = (name or "").strip()
    try:
        kind_value = SourceKind(kind)
    except ValueError:
        raise ServiceError(_("Choose a kind from the list.")) from None
    if not name or len(name) > 200:
        raise ServiceError(_("Name the rule, law, procedure or organisation (at most 200 characters)."))
    source = db.session.scalar(sa.select(LessonSource).where(
        LessonSource.team_id == team.id, LessonSource.kind == kind_value, LessonSource.name == name))
    if source is not None and source.active:
        raise ServiceError(_("This entry is already in the list."))
    if source is None:
        source = LessonSource(team_id=team.id, kind=kind_value, name=name)
        db.session.add(source)
    source.active = True
    db.session.flush()
    audit_step("advice.signal_source_add", "signal_source", source.id, actor, team.id, {"kind": kind_value.value})
    return source


def remove_source(team: Team, actor: User, source_id: int) -> None:
    if not permissions.can_keep_lesson_sources(actor, team.id):
        raise PermissionDenied(_("Only the chair or secretary keeps the list of what blocks cases."))
    source = db.session.get(LessonSource, source_id)
    if source is None or source.team_id != team.id or not source.active:
        raise ServiceError(_("That entry is not in the list."))
    source.active = False
    db.session.flush()
    audit_step("advice.signal_source_remove", "signal_source", source.id, actor, team.id)


def blockages_of(advice: Advice) -> list[tuple[int | None, str]]:
    """What the team records a lesson for: each need on the case's map, or the advice's own blockage."""
    needs = blockage.needs_of(advice.case)
    if needs:
        return [(n.id, n.title) for n in needs]
    first = next((line.strip() for line in (advice.blockage or "").splitlines() if line.strip()), "")
    return [(None, first[:120] or _("The advice's blockage"))]


def lessons_of(advice: Advice) -> list[BlockageLesson]:
    return list(db.session.scalars(sa.select(BlockageLesson).where(BlockageLesson.advice_id == advice.id)
                                   .order_by(BlockageLesson.id)))


def record_lessons(advice: Advice, actor: User, rows: Iterable[dict[str, Any]], now: datetime | None = None) -> list[BlockageLesson]:
    """Record (replace) the lessons of an issued advice. Each row: need_id (None for the advice's
    blockage), source_id (None: free text only), free_text, deviates, deviation_ground. A row
    with neither source nor text is skipped; deviating needs a ground."""
    if not permissions.can_record_lessons(actor, advice):
        raise PermissionDenied(_("The chair or secretary records the lessons for the system on the issued advice."))
    valid_needs = {need_id for need_id, _title in blockages_of(advice)}
    valid_sources = {s.id for s in sources(advice.case.team_id)}
    now = now or utcnow()
    new: list[BlockageLesson] = []
    for row in rows:
        source_id, text = row.get("source_id") or None, (row.get("free_text") or "").strip()
        ground, deviates = (row.get("deviation_ground") or "").strip(), bool(row.get("deviates"))
        if source_id is None and not text:
            if deviates or ground:
                raise ServiceError(_("Say what caused the blockage before saying the advice deviates from it."))
            continue
        if row.get("need_id") not in valid_needs:
            raise ServiceError(_("That blockage is not one of this advice's."))
        if source_id is not None and source_id not in valid_sources:
            raise ServiceError(_("Choose what caused it from the team's list."))
        if len(text) > FREE_MAX or len(ground) > GROUND_MAX:
            raise ServiceError(_("The text is too long."))
        if deviates and not ground:
            raise ServiceError(_("Give the ground on which the advice deviates."))
        new.append(BlockageLesson(advice_id=advice.id, team_id=advice.case.team_id, need_id=row.get("need_id"),
                                  source_id=source_id, free_text=text, deviates=deviates,
                                  deviation_ground=ground if deviates else "", recorded_at=now, recorded_by_id=actor.id))
    db.session.execute(sa.delete(BlockageLesson).where(BlockageLesson.advice_id == advice.id))
    db.session.add_all(new)
    db.session.flush()
    # The audit names are stored ("advice.signals", "signal_source"): kept for the trail's history.
    audit_step("advice.signals", "advice", advice.id, actor, advice.case.team_id,
               {"signals": len(new), "deviations": sum(s.deviates for s in new),
                "source_ids": sorted({s.source_id for s in new if s.source_id})})
    return new


def anonymise_lessons(case_ids) -> list[str]:
    """Retention: the free text and grounds of the case's lessons (the counted source stays)."""
    from core import privacy

    advice_ids = sa.select(Advice.id).where(Advice.case_id.in_(case_ids))
    return privacy.clear({
        "signal": sa.update(BlockageLesson).where(
            BlockageLesson.advice_id.in_(advice_ids),
            sa.or_(BlockageLesson.free_text != "", BlockageLesson.deviation_ground != ""))
        .values(free_text="", deviation_ground=""),
    })
