"""Lessons for the system in the pilot figures: the rules, laws, procedures and organisations
that block cases most often (``advice.plan.lessons`` records them per blockage of an issued advice),
counted in one grouped statement, with the council report's small-count suppression, and a
CSV/ODS table shaped for the report to the national programme (no personal data)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, abort
from flask_babel import gettext as _
from flask_login import login_required

from advice.models import Advice
from advice.plan.models import BlockageLesson, LessonSource
from core import spreadsheet
from core.db import db
from core.period import Period

from .dashboard import figures_team, period_from_request
from .figures import suppress
from .suppression import among

bp = Blueprint("blocking", __name__, url_prefix="/dashboard")


@dataclass(frozen=True)
class Blocker:
    kind: str | None
    """'rule', 'law', 'procedure', 'organisation'; None for causes named only in the team's words."""
    name: str
    lessons: int
    cases: int
    deviations: int
    """Lessons where the advice deviates from it."""


def blocking(team_id: int, period: Period) -> list[Blocker]:
    """What blocked the team's cases, by the lessons recorded in ``period``: most cases first."""
    cases = sa.func.count(sa.distinct(Advice.case_id))
    rows = db.session.execute(
        sa.select(LessonSource.kind, LessonSource.name, sa.func.count(BlockageLesson.id), cases,
                  sa.func.count(sa.case((BlockageLesson.deviates.is_(True), BlockageLesson.id))))
        .select_from(BlockageLesson)
        .join(Advice, Advice.id == BlockageLesson.advice_id)
        .outerjoin(LessonSource, LessonSource.id == BlockageLesson.source_id)
        .where(BlockageLesson.team_id == team_id, BlockageLesson.recorded_at >= period.start_utc,
               BlockageLesson.recorded_at < period.end_utc)
        .group_by(LessonSource.kind, LessonSource.name)
        .order_by(cases.desc(), sa.func.count(BlockageLesson.id).desc(), LessonSource.name)
    ).all()
    return [Blocker(kind.value if kind is not None else None, name or "", n, c, d) for kind, name, n, c, d in rows]


def kind_label(kind: str | None) -> str:
    from advice.plan.models import SOURCE_KIND_LABELS, SourceKind

    return str(SOURCE_KIND_LABELS[SourceKind(kind)]) if kind else _("Other (in the team's own words)")


def national_rows(team, period: Period, blockers: list[Blocker]) -> list[list]:
    """The table for the national programme: team and period, then per cause its kind, name and
    counts; every count of 1 to 4 as "< 5", and the lessons of a cause with fewer than 5 cases left
    out ("—"); no case, person or free text."""
    header = [_("Team"), _("Municipality"), _("From"), _("To"), _("Kind"), _("Rule, law, procedure or organisation"),
              _("Lessons"), _("Cases"), _("Advice deviates")]
    return [header] + [
        [team.name, team.municipality, period.start, period.end, kind_label(b.kind), b.name or "—",
         among(b.lessons, b.cases), suppress(b.cases), among(b.deviations, b.cases)]
        for b in blockers
    ]


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


@bp.get("/teams/<int:team_id>/blocking.csv", endpoint="csv")
def csv_export(team_id: int):
    return _export(team_id, "csv")


@bp.get("/teams/<int:team_id>/blocking.ods", endpoint="ods")
def ods_export(team_id: int):
    return _export(team_id, "ods")


def _export(team_id: int, fmt: str):
    team = figures_team(team_id)
    period, error, _preset = period_from_request(team)
    if error:
        abort(400, error)
    rows = national_rows(team, period, blocking(team.id, period))
    name = f"{team.code}-systeemleren-{period.start.isoformat()}-{period.end.isoformat()}"
    return spreadsheet.download(rows, name, fmt, sheet="systeemleren")
