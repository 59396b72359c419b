"""The pilot figures of the escalation ladder and of repeat referrals, in one statement: for the
actions the organisations got in the period, how many climbed to each level (the highest level
reached: 1 the team, 2 the director, 3 the steering group, 4 the national Maatwerkloket), per
organisation; and the cases submitted in the period that are repeat referrals (within 12 months
of closing an earlier case of the team)."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from advice.escalation.models import Escalation
from advice.follow_through.org_figures import advice_status
from advice.models import Action, AdviceStatus
from casefiles.models import Case
from core.db import db
from core.models import Organisation
from core.period import Period

LEVELS = (1, 2, 3, 4)


@dataclass
class LadderFigures:
    per_organisation: list[tuple[str, dict[int, int]]] = field(default_factory=list)
    """(organisation, {highest level reached: actions}), most escalations first."""
    totals: dict[int, int] = field(default_factory=dict)
    repeats: int = 0
    """Cases submitted in the period flagged as a repeat referral (within 12 months of closing)."""
    repeats_linked: int = 0
    """Cases submitted in the period linked to an earlier case at all."""

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def compute(team_id: int, period: Period) -> LadderFigures:
    reached = sa.case((Escalation.id.is_not(None), Escalation.level), else_=sa.literal(1))
    # Counted per organisation id first (the period's actions, ``ix_advice_actions_team_assigned``,
    # their advice looked up per action), then named: a join of few rows with the organisations.
    per_org = (
        sa.select(Action.organisation_id.label("org"), reached.label("level"), sa.func.count(Action.id).label("n"))
        .outerjoin(Escalation, Escalation.action_id == Action.id)
        .where(Action.team_id == team_id, advice_status().in_([AdviceStatus.ISSUED, AdviceStatus.SUPERSEDED]),
               period.contains(Action.assigned_at),
               sa.or_(Action.escalation_kind.is_not(None), Escalation.id.is_not(None)))
        .group_by(Action.organisation_id, reached)
        .subquery("per_org")
    )
    ladder = (
        sa.select(sa.literal("ladder").label("kind"), Organisation.name.label("organisation"), per_org.c.level,
                  sa.func.sum(per_org.c.n).label("n"))
        .join(Organisation, Organisation.id == per_org.c.org)
        .group_by(Organisation.name, per_org.c.level)
    )
    in_period = sa.and_(Case.team_id == team_id, period.contains(Case.submitted_at))
    repeats = (
        sa.select(sa.literal("repeat"), sa.literal(""), sa.literal(0), sa.func.count(Case.id))
        .where(in_period, Case.repeat_within_year.is_(True))
    )
    linked = (
        sa.select(sa.literal("linked"), sa.literal(""), sa.literal(0), sa.func.count(Case.id))
        .where(in_period, Case.repeat_of_id.is_not(None))
    )
    rows = db.session.execute(sa.union_all(ladder, repeats, linked)).all()
    out = LadderFigures(totals={level: 0 for level in LEVELS})
    orgs: dict[str, dict[int, int]] = {}
    for kind, organisation, level, n in rows:
        if kind == "repeat":
            out.repeats = int(n)
        elif kind == "linked":
            out.repeats_linked = int(n)
        else:
            orgs.setdefault(organisation, {lv: 0 for lv in LEVELS})[int(level)] += int(n)
            out.totals[int(level)] += int(n)
    out.per_organisation = sorted(orgs.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return out
