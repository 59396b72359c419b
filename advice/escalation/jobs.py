"""The escalation ladder's night job (``advice.escalation_ladder``): ``climb`` moves every
unanswered escalation whose level's deadline passed up one level and tells the right people.

Set-based (each move is one conditional UPDATE … RETURNING across all teams, or one INSERT …
SELECT for the step past the team, written by ``advice.escalation.ladder`` with the actions'
levels and the steps), idempotent and safe with two schedulers (a row claimed by
one run no longer matches the other's condition) and bounded: at most a batch of moves per level
a run, the most overdue first (``advice.escalation.batching``). An action escalated before the
ladder started in this installation (``LadderStart``) counts the team's days from that moment, so
the first night after the upgrade moves nothing old. Then the directors are e-mailed
(``advice.escalation.director.send_director_mails``).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from advice.models import Action, Advice, AdviceStatus
from advice.settings import DEFAULT_LADDER_DAYS, AdviceSettings
from advice.windows import grouped
from casefiles.models import Case, CaseStatus
from core import audit
from core.clock import team_today
from core.db import db
from core.models import Team

from . import ladder
from .batching import batch_size
from .director import send_director_mails
from .ladder import UNSETTLED_IN, Moved
from .models import Escalation, LadderStart, Level
from .services import tell_chairs


def _team_ladders(now: datetime) -> list[tuple[int, date, dict[Level, int]]]:
    """(team id, local today, days per level) of every active team, in one query."""
    rows = db.session.execute(
        sa.select(Team.id, Team.timezone, AdviceSettings.ladder_team_days, AdviceSettings.ladder_director_days,
                  AdviceSettings.ladder_steering_days)
        .outerjoin(AdviceSettings, AdviceSettings.team_id == Team.id)
        .where(Team.active.is_(True)).order_by(Team.id)
    ).all()
    out = []
    for row in rows:
        days = {Level.TEAM: row.ladder_team_days, Level.DIRECTOR: row.ladder_director_days,
                Level.STEERING: row.ladder_steering_days}
        out.append((row.id, team_today(row, now),
                    {k: (DEFAULT_LADDER_DAYS[int(k)] if v is None else v) for k, v in days.items()}))
    return out


def ladder_start() -> datetime | None:
    """The moment the ladder started in this installation (None: it was there from the start)."""
    return db.session.scalar(sa.select(LadderStart.started_at).where(LadderStart.id == 1))


def _close_settled(now: datetime, limit: int) -> int:
    """Close the open ladders whose action is done or dropped, or whose advice was corrected
    (at most ``limit``, the oldest first)."""
    rows = ladder.close_settled(now, limit)
    for action_id, team_id in rows:
        audit.record("escalation.close", object_type="action", object_id=action_id, actor=None, team_id=team_id)
    return len(rows)


def _climb_past_team(teams, now: datetime, start: datetime | None, limit: int) -> list[Moved]:
    """Level 1 → 2: actions escalated to the team longer than the team's days ago and still
    waiting for its decision (not done, dropped or decided; advice in force) climb to the director,
    at most ``limit``. An action escalated before the ladder's ``start`` waits the team's days
    from the start (a team whose days since the start have not passed has nothing to climb yet);
    then those escalated since the start go first, so their days hold, and the old ones fill the
    rest of the batch, the longest waiting first. One INSERT … SELECT; a row another run inserted first is skipped."""
    if start is not None:
        teams = [t for t in teams if start < now - timedelta(days=t[2][Level.TEAM])]
    by_days = grouped((team_id, days[Level.TEAM]) for team_id, _today, days in teams)
    if not by_days or limit <= 0:
        return []
    per_team = sa.or_(*[sa.and_(Action.team_id.in_(ids), Action.escalated_at < now - timedelta(days=d))
                        for d, ids in by_days.items()])
    # First the escalated actions without a ladder yet (after a backlog, few of the many escalated
    # ones: materialised on PostgreSQL so the planner does not join every escalated action's advice
    # and case first), then those of advice in force, the longest waiting first; the commitment's
    # director only for the ones that climb.
    pending = (sa.select(Action.id, Action.advice_id, Action.team_id, Action.organisation_id, Action.escalated_at)
               .where(Action.escalated_at.is_not(None), UNSETTLED_IN, per_team,
                      ~sa.select(Escalation.id).where(Escalation.action_id == Action.id).exists()))
    if db.session.get_bind().dialect.name == "postgresql":
        pending = pending.cte("pending").prefix_with("MATERIALIZED")
    else:
        pending = pending.subquery("pending")
    waiting = (
        sa.select(pending.c.id, pending.c.team_id, pending.c.organisation_id)
        .join(Advice, Advice.id == pending.c.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .where(Advice.status == AdviceStatus.ISSUED, Case.status.in_([CaseStatus.ADVISED, CaseStatus.IN_EXECUTION]))
        .order_by(*([sa.case((pending.c.escalated_at < start, 1), else_=0)] if start is not None else []),
                  pending.c.escalated_at, pending.c.id).limit(limit)
        .subquery("waiting")
    )
    return ladder.climb_past_team(waiting, teams, now)


def climb(now: datetime) -> str:
    """The scheduler's step: close settled ladders, then move each unanswered escalation whose
    level's deadline passed up one level (top first, so a row moves at most once per run), tell
    the chairs, audit; then e-mail the directors. At most a batch a run of each: moves per level
    (so a backlog at one level never holds up another), closings and e-mails, the most overdue
    first: a backlog climbs over the next runs, never all in one night."""
    limit = batch_size()
    teams = _team_ladders(now)
    closed = _close_settled(now, limit)
    by_today = grouped((team_id, today) for team_id, today, _days in teams)
    per_level = [ladder.climb_from(Level.STEERING, by_today, teams, now, limit),
                 ladder.climb_from(Level.DIRECTOR, by_today, teams, now, limit),
                 _climb_past_team(teams, now, ladder_start(), limit)]
    moved = [m for level_moves in per_level for m in level_moves]
    ladder.record_moves(moved, now)
    for _esc, action_id, team_id, level in moved:
        audit.record("escalation.climb", object_type="action", object_id=action_id, actor=None, team_id=team_id,
                     details={"from": level - 1, "to": level})
    tell_chairs(moved)
    db.session.commit()
    sent = send_director_mails(now, limit)
    summary = f"{len(moved)} escalations moved up, {closed} closed, {sent} directors e-mailed"
    full = limit in (closed, sent, *map(len, per_level))
    return summary + ("; a full batch, the rest next run" if full else "")
