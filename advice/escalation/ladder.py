"""The one owner of an action's escalation: the only module that writes it (an architecture test
keeps it so). An action's level is ``Action.ladder_level`` (0 to 4); level 1 also sets
``Action.escalated_at`` and ``escalation_kind`` (waiting for the team's decision); the ladder
past the team keeps its details in an ``Escalation`` row (who was asked, the answers, the level's
deadline) and every move up, the entry into level 1 included, is an ``EscalationStep``.

Each write keeps the level in the same flush (the services' ORM changes) or the same transaction
(the jobs' set-based UPDATEs) as the rows it writes. A move of the ladder alone (climbing, closing)
does not raise the action's lock version, like the follow-through markers: a contact with the
action open is not refused because the ladder moved. The checks of who may do what, the audit
rows and the messages stay with the callers (``advice.follow_through``, ``services``, ``jobs``,
``director``).

The rule of the level: an action not carried out (open, confirmed, refused) is at its open
ladder's level, else at the team while escalated to it, else with the contact; a carried out or
dropped action is with the contact (level 0).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from advice.lifecycle import TransitionError
from advice.models import Action, ActionStatus, Advice, EscalationKind
from core.db import db, insert_or_skip
from core.models import Commitment

from .batching import first_batch
from .models import DirectorAnswer, Escalation, EscalationStep, Level

#: The allowed moves: one level up at a time; the top has none.
TRANSITIONS: dict[Level, frozenset[Level]] = {
    Level.CONTACT: frozenset({Level.TEAM}),
    Level.TEAM: frozenset({Level.DIRECTOR}),
    Level.DIRECTOR: frozenset({Level.STEERING}),
    Level.STEERING: frozenset({Level.NATIONAL}),
    Level.NATIONAL: frozenset(),
}

#: Statuses of an action still not carried out (the ladder stays open).
UNSETTLED = (ActionStatus.OPEN, ActionStatus.CONFIRMED, ActionStatus.REFUSED)
UNSETTLED_IN = Action.status.in_(sa.bindparam("unsettled", sorted(s.value for s in UNSETTLED), expanding=True,
                                               literal_execute=True))


def check_move(from_level: Level, to_level: Level) -> None:
    if to_level not in TRANSITIONS[from_level]:
        raise TransitionError(_("An escalation climbs one level at a time; this move is not allowed."))


class Moved(tuple):
    """(escalation id, action id, team id, new level)."""

    def __new__(cls, escalation_id, action_id, team_id, level):
        return super().__new__(cls, (escalation_id, action_id, team_id, level))


# --- level 1: the team ------------------------------------------------------------------------

def enter_team(action: Action, kind: EscalationKind, now: datetime, by_id: int | None) -> None:
    """The action is escalated to the chair and the team (refused): it waits for the team's
    decision, at level 1 unless its ladder is higher already; written with the caller's flush."""
    action.escalated_at, action.escalation_kind = now, kind
    if action.ladder_level < Level.TEAM:
        action.ladder_level = int(Level.TEAM)
        db.session.add(EscalationStep(action_id=action.id, from_level=int(Level.CONTACT), to_level=int(Level.TEAM),
                                      at=now, by_id=by_id))


def enter_team_overdue(conditions: tuple, now: datetime) -> list[int]:
    """The overdue job's claim: the actions matching ``conditions`` (not escalated yet) are
    escalated to the team as overdue, in one UPDATE … RETURNING, and their entries into level 1
    kept; returns the ids claimed."""
    rows = db.session.execute(
        sa.update(Action).where(*conditions)
        .values(escalated_at=now, escalation_kind=EscalationKind.OVERDUE,
                ladder_level=sa.case((Action.ladder_level < int(Level.TEAM), int(Level.TEAM)),
                                     else_=Action.ladder_level))
        .returning(Action.id, Action.ladder_level)
        .execution_options(synchronize_session=False)
    ).all()
    # Not escalated before, so at level 0 or past the team: level 1 now means it entered it.
    entered = [action_id for action_id, level in rows if level == Level.TEAM]
    if entered:
        db.session.execute(sa.insert(EscalationStep), [
            {"action_id": action_id, "escalation_id": None, "from_level": int(Level.CONTACT),
             "to_level": int(Level.TEAM), "at": now, "by_id": None} for action_id in entered])
    return [action_id for action_id, _level in rows]


def settle(action: Action) -> None:
    """The team decided, or the action was carried out: it no longer waits for the team. Its
    level follows (a ladder past the team stays while the action is still not carried out; the
    night job closes a settled one)."""
    action.escalated_at = None
    if not (action.ladder_level >= Level.DIRECTOR and action.status in UNSETTLED):
        action.ladder_level = int(Level.CONTACT)


def carry_over(old: Action, new: Action) -> None:
    """A correction of the advice keeps an unchanged action's escalation to the team (its ladder
    past the team stays with the old version, which the night job closes): the new version's
    action is at level 1 while escalated and not carried out, its entry kept at the old moment."""
    new.escalated_at, new.escalation_kind = old.escalated_at, old.escalation_kind
    new.ladder_level = int(Level.TEAM if new.escalated_at is not None and new.status in UNSETTLED else Level.CONTACT)
    if new.ladder_level == Level.TEAM:
        by_id = old.refused_by_id if old.escalation_kind == EscalationKind.REFUSED else None
        db.session.add(EscalationStep(action_id=new.id, from_level=int(Level.CONTACT), to_level=int(Level.TEAM),
                                      at=new.escalated_at, by_id=by_id))


# --- past the team: the chair's steps and the director's answer -------------------------------

def _keep_level(action: Action, level: Level) -> None:
    """The action's level, without raising its lock version (the in-session object follows)."""
    db.session.execute(sa.update(Action).where(Action.id == action.id).values(ladder_level=int(level))
                       .execution_options(synchronize_session="evaluate"))


def climb(action: Action, escalation: Escalation | None, target: Level, *, now: datetime, due_on: date | None,
          by_id: int) -> Escalation:
    """The chair takes the ladder one level up: the ``Escalation`` row (made at level 2, with the
    commitment's director), the step and the action's level."""
    current = Level(action.ladder_level)
    check_move(current, target)
    if escalation is None:
        commitment = db.session.scalar(sa.select(Commitment).where(
            Commitment.team_id == action.team_id, Commitment.organisation_id == action.organisation_id))
        escalation = Escalation(
            action_id=action.id, team_id=action.team_id, organisation_id=action.organisation_id, level=int(target),
            started_at=now, level_since=now, level_due_on=due_on,
            director_name=commitment.escalation_name if commitment else "",
            director_email=commitment.escalation_email if commitment else "",
        )
        db.session.add(escalation)
    else:
        escalation.level, escalation.level_since, escalation.level_due_on = int(target), now, due_on
    db.session.flush()
    db.session.add(EscalationStep(action_id=action.id, escalation_id=escalation.id, from_level=int(current),
                                  to_level=int(target), at=now, by_id=by_id))
    _keep_level(action, target)
    db.session.flush()
    return escalation


def record_steering(escalation: Escalation, *, referred_on: date, outcome: str, now: datetime) -> None:
    escalation.steering_referred_on = referred_on
    if outcome:
        escalation.steering_outcome, escalation.steering_outcome_at = outcome, now
    db.session.flush()


def record_national_sent(escalation: Escalation, sent_on: date) -> None:
    escalation.national_sent_on = sent_on
    db.session.flush()


def record_director_answer(escalation: Escalation, answer: DirectorAnswer, explanation: str, now: datetime) -> bool:
    """The director's one answer, checked in the UPDATE itself so two clicks at once record one;
    False when it was answered already or the ladder is over."""
    claimed = db.session.execute(
        sa.update(Escalation)
        .where(Escalation.id == escalation.id, Escalation.director_answered_at.is_(None), Escalation.closed_at.is_(None))
        .values(director_answer=answer, director_explanation=explanation, director_answered_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed == 1:
        db.session.refresh(escalation)
    return claimed == 1


# --- the director's e-mail: who sends it, once ------------------------------------------------

def claim_director_mails(now: datetime, limit: int, lease: timedelta) -> list[int]:
    """Claim the unsent director's e-mails (at most ``limit``, oldest first; a claim older than
    ``lease`` is from a run that died) by one conditional UPDATE, so two schedulers send each once."""
    unsent = (Escalation.director_mailed_at.is_(None), Escalation.director_email != "", Escalation.closed_at.is_(None),
              Escalation.director_answered_at.is_(None),
              sa.or_(Escalation.director_mail_claimed_at.is_(None), Escalation.director_mail_claimed_at < now - lease))
    return list(db.session.scalars(
        sa.update(Escalation)
        .where(*first_batch(unsent, (Escalation.id,), limit))
        .values(director_mail_claimed_at=now).returning(Escalation.id)
        .execution_options(synchronize_session=False)
    ))


def mark_mailed(escalation_ids: list[int], now: datetime) -> None:
    db.session.execute(sa.update(Escalation).where(Escalation.id.in_(escalation_ids)).values(director_mailed_at=now))


def mail_result(escalation: Escalation, now: datetime, error: str | None) -> None:
    """Sent (``error`` None), or failed: the claim is released for the next run."""
    if error is None:
        escalation.director_mailed_at, escalation.director_mail_error = now, ""
    else:
        escalation.director_mail_claimed_at, escalation.director_mail_error = None, error


# --- the night job: set-based moves -----------------------------------------------------------

def due_date(team_column, teams, level: Level):
    """SQL: the team-local due day of ``level`` for a move made today (NULL at the top)."""
    if level not in (Level.TEAM, Level.DIRECTOR, Level.STEERING):
        return sa.null()
    whens = [(team_column == team_id, sa.literal(today + timedelta(days=days[level]), sa.Date))
             for team_id, today, days in teams]
    return sa.case(*whens, else_=sa.null()) if whens else sa.null()


def close_settled(now: datetime, limit: int) -> list[tuple[int, int]]:
    """Close the open ladders whose action is done or dropped, or whose advice was corrected (at
    most ``limit``, the oldest first); their actions fall back to the team while still escalated
    and not carried out, else to the contact. (action id, team id) of each."""
    still_open = sa.select(Action.id).where(Action.id == Escalation.action_id, UNSETTLED_IN, Action.in_force).exists()
    rows = db.session.execute(
        sa.update(Escalation)
        .where(*first_batch((Escalation.closed_at.is_(None), ~still_open), (Escalation.id,), limit))
        .values(closed_at=now).returning(Escalation.action_id, Escalation.team_id)
        .execution_options(synchronize_session=False)
    ).all()
    if rows:
        at_team = sa.and_(UNSETTLED_IN, Action.escalated_at.is_not(None))
        db.session.execute(
            sa.update(Action).where(Action.id.in_([action_id for action_id, _team in rows]))
            .values(ladder_level=sa.case((at_team, int(Level.TEAM)), else_=int(Level.CONTACT)))
            .execution_options(synchronize_session=False))
    return [tuple(row) for row in rows]


def climb_from(level: Level, by_today: dict, teams, now: datetime, limit: int) -> list[Moved]:
    """Move the open, unanswered escalations at ``level`` whose due day has passed (per team:
    ``by_today`` {team-local today: team ids}) one level up, at most ``limit``, the longest
    overdue first."""
    target = Level(level + 1)
    check_move(level, target)
    if not by_today or limit <= 0:
        return []
    unanswered = {Level.DIRECTOR: Escalation.director_answered_at.is_(None),
                  Level.STEERING: Escalation.steering_outcome_at.is_(None)}[level]
    per_team = sa.or_(*[sa.and_(Escalation.team_id.in_(ids), Escalation.level_due_on < today)
                        for today, ids in by_today.items()])
    due = (Escalation.closed_at.is_(None), Escalation.level_due_on < max(by_today), Escalation.level == int(level),
           unanswered, per_team)
    rows = db.session.execute(
        sa.update(Escalation)
        .where(*first_batch(due, (Escalation.level_due_on, Escalation.id), limit))
        .values(level=int(target), level_since=now, level_due_on=due_date(Escalation.team_id, teams, target))
        .returning(Escalation.id, Escalation.action_id, Escalation.team_id)
        .execution_options(synchronize_session=False)
    ).all()
    return [Moved(esc_id, action_id, team_id, int(target)) for esc_id, action_id, team_id in rows]


def climb_past_team(waiting: sa.Subquery, teams, now: datetime) -> list[Moved]:
    """Level 1 → 2 for the ``waiting`` actions (id, team id, organisation id; the job chooses and
    bounds them): one INSERT … SELECT of their ladders with the commitment's director; a row
    another run inserted first is skipped."""
    commitment = sa.and_(Commitment.team_id == waiting.c.team_id, Commitment.organisation_id == waiting.c.organisation_id)
    source = sa.select(
        waiting.c.id, waiting.c.team_id, waiting.c.organisation_id, sa.literal(int(Level.DIRECTOR)),
        sa.literal(now, Escalation.started_at.type), sa.literal(now, Escalation.level_since.type),
        due_date(waiting.c.team_id, teams, Level.DIRECTOR),
        sa.func.coalesce(sa.select(Commitment.escalation_name).where(commitment).scalar_subquery(), ""),
        sa.func.coalesce(sa.select(Commitment.escalation_email).where(commitment).scalar_subquery(), ""),
        sa.literal(""), sa.literal(""), sa.literal("")).where(sa.true())  # SQLite: a WHERE before ON CONFLICT
    t = Escalation.__table__
    columns = [t.c.action_id, t.c.team_id, t.c.organisation_id, t.c.level, t.c.started_at, t.c.level_since,
               t.c.level_due_on, t.c.director_name, t.c.director_email, t.c.director_mail_error,
               t.c.director_explanation, t.c.steering_outcome]
    rows = db.session.execute(
        insert_or_skip(t, index_elements=["action_id"]).from_select(columns, source)
        .returning(t.c.id, t.c.action_id, t.c.team_id)
    ).all()
    return [Moved(esc_id, action_id, team_id, int(Level.DIRECTOR)) for esc_id, action_id, team_id in rows]


def record_moves(moved: list[Moved], now: datetime) -> None:
    """The scheduler's moves: one step each, and the actions' levels from their ladders (one
    INSERT and one UPDATE for the run)."""
    if not moved:
        return
    db.session.execute(sa.insert(EscalationStep), [
        {"action_id": action_id, "escalation_id": esc_id, "from_level": level - 1, "to_level": level, "at": now,
         "by_id": None} for esc_id, action_id, _team, level in moved])
    reached = sa.select(Escalation.level).where(Escalation.action_id == Action.id).scalar_subquery()
    db.session.execute(sa.update(Action).where(Action.id.in_([m[1] for m in moved])).values(ladder_level=reached)
                       .execution_options(synchronize_session=False))


# --- retention --------------------------------------------------------------------------------

def anonymise(case_ids) -> list[str]:
    """Retention of a batch of cases: clear the ladder's free text (one statement)."""
    from core import privacy

    action_ids = (sa.select(Action.id).join(Advice, Advice.id == Action.advice_id)
                  .where(Advice.case_id.in_(case_ids)))
    cleared = privacy.clear({"escalation": sa.update(Escalation).where(
        Escalation.action_id.in_(action_ids),
        sa.or_(Escalation.director_explanation != "", Escalation.steering_outcome != ""))
        .values(director_explanation="", steering_outcome="")})
    return sorted(f"{part}.{name}" for part in cleared for name in ("director_explanation", "steering_outcome"))

