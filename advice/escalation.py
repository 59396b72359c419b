"""The escalation ladder (the AVE model's phases, green to dark red) for an action an organisation
does not carry out:

- level 0, the contact: reminders and the overdue notice (``advice.jobs``);
- level 1, the chair and the team: a refused action, or one overdue past the grace period, is on
  the follow-up list until the team decides (``advice.follow_through``);
- level 2, the organisation's director: the escalation contact named on the commitment gets a
  short e-mail with a signed link to answer once (we carry it out, or an explanation in writing);
- level 3, the municipality's steering group: the chair records the referral, its date and the
  outcome;
- level 4, the national Maatwerkloket Multiproblematiek: a minimal, pseudonymised summary the
  chair downloads and sends.

Each level has a deadline from the team's settings (``AdviceSettings.ladder_*_days``). The job
``climb`` moves every unanswered escalation up one level and tells the right people: set-based
(each move is one conditional UPDATE … RETURNING across all teams, or one INSERT … SELECT for the
step past the team), idempotent and safe with two schedulers (a row claimed by one run no longer
matches the other's condition) and bounded: at most a batch of moves per level a run, the most
overdue first (``escalation_director.LADDER_BATCH``). An action escalated before the ladder started in
this installation (``LadderStart``) counts the team's days from that moment, so the first night
after the upgrade moves nothing old. The chair may also climb by hand. Every move is audited and kept
as an ``EscalationStep``. A ladder only climbs; it closes when the action is done or dropped, or
the advice corrected.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from casefiles import services as case_services
from casefiles.models import Case, CaseStatus
from core import audit
from core.clock import team_today, utcnow
from core.db import db, insert_or_skip
from core.errors import PermissionDenied, ServiceError
from core.models import Commitment, Organisation, Role, Team, User
from core.people import members_by_team
from notifications.services import notify_many

from . import permissions
from .escalation_director import (  # noqa: F401  (the director's link and e-mail, used from here)
    answer_as_director,
    batch_size,
    director_path,
    director_token,
    first_batch,
    ladder_link,
    read_director_token,
    send_director_mails,
)
from .escalation_models import LadderStart
from .lifecycle import NOTE_MAX, TransitionError
from .models import Action, ActionStatus, Advice, AdviceStatus, Escalation, EscalationStep, Level
from .settings import DEFAULT_LADDER_DAYS, AdviceSettings
from .windows import grouped

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

KIND_OF_LEVEL = {
    Level.DIRECTOR: "advice.escalation_director",
    Level.STEERING: "advice.escalation_steering",
    Level.NATIONAL: "advice.escalation_national",
}


def check_move(from_level: Level, to_level: Level) -> None:
    if to_level not in TRANSITIONS[from_level]:
        raise TransitionError(_("An escalation climbs one level at a time; this move is not allowed."))


# --- the level of actions, for pages and lists --------------------------------------------------

def _level(action: Action, open_level: int | None) -> Level:
    """The one rule: an action not carried out is at its open escalation's level, else at the
    team while escalated to it, else with the contact."""
    if action.status in UNSETTLED:
        if open_level:
            return Level(open_level)
        if action.escalated_at is not None:
            return Level.TEAM
    return Level.CONTACT


def level_of(action: Action, escalation: Escalation | None = None) -> Level:
    return _level(action, escalation.level if escalation is not None and escalation.closed_at is None else None)


def levels_of(actions) -> dict[int, Level]:
    """The ladder level of each action: no statement for actions loaded with their open
    escalation's level (``models.with_ladder_level``, as the lists and the advice page load
    them), one for any number of others."""
    actions = list(actions)
    # Read the loaded value from the instance's state: an expired action must not be refreshed
    # one by one here (it is then asked for with the others).
    loaded = {a.id: sa.inspect(a).dict.get("ladder_level") for a in actions}
    missing = [action_id for action_id, level in loaded.items() if level is None]
    if missing:
        loaded.update(dict.fromkeys(missing, 0))
        loaded.update(db.session.execute(
            sa.select(Escalation.action_id, Escalation.level)
            .where(Escalation.action_id.in_(missing), Escalation.closed_at.is_(None))
        ).all())
    return {a.id: _level(a, loaded[a.id]) for a in actions}


# --- the chair's steps --------------------------------------------------------------------------

def _require(user: User, action: Action) -> None:
    if not permissions.can_keep_ladder(user, action):
        raise PermissionDenied(_("Only the chair or secretary keeps the escalation ladder."))


def climb_by_hand(action: Action, actor: User, *, now: datetime | None = None) -> Escalation:
    """The chair takes the escalation one level up now (e.g. the team upheld the action and the
    organisation still does not act, or the director's explanation does not hold)."""
    now = now or utcnow()
    _require(actor, action)
    if action.status not in UNSETTLED or action.advice.status != AdviceStatus.ISSUED:
        raise TransitionError(_("This action is done, dropped or replaced: there is nothing to escalate."))
    escalation = db.session.scalar(sa.select(Escalation).where(Escalation.action_id == action.id))
    current = level_of(action, escalation)
    if escalation is not None and escalation.closed_at is not None:
        raise TransitionError(_("This escalation is over."))
    target = Level(current + 1) if current < Level.NATIONAL else current
    check_move(current, target)
    team = db.session.get(Team, action.team_id)
    today = team_today(team, now)
    days = ladder_days(team.id)
    if current == Level.CONTACT:
        raise TransitionError(_("The action is not escalated to the team yet; the team decides first."))
    if escalation is None:
        commitment = db.session.scalar(sa.select(Commitment).where(
            Commitment.team_id == action.team_id, Commitment.organisation_id == action.organisation_id))
        escalation = Escalation(
            action_id=action.id, team_id=action.team_id, organisation_id=action.organisation_id, level=target,
            started_at=now, level_since=now, level_due_on=today + timedelta(days=days[Level.DIRECTOR]),
            director_name=commitment.escalation_name if commitment else "",
            director_email=commitment.escalation_email if commitment else "",
        )
        db.session.add(escalation)
    else:
        escalation.level, escalation.level_since = int(target), now
        escalation.level_due_on = (today + timedelta(days=days[target])) if target in days else None
    db.session.flush()
    db.session.add(EscalationStep(escalation_id=escalation.id, from_level=int(current), to_level=int(target),
                                  at=now, by_id=actor.id))
    audit.record("escalation.climb", object_type="action", object_id=action.id, actor=actor, team_id=action.team_id,
                 details={"from": int(current), "to": int(target), "by_hand": True})
    _tell([_Moved(escalation.id, action.id, action.team_id, int(target))])
    db.session.flush()
    return escalation


def record_steering(escalation: Escalation, actor: User, *, referred_on: date | None, outcome: str,
                    now: datetime | None = None) -> None:
    """Level 3: the chair records the referral to the steering group, its date and (later) the outcome."""
    now = now or utcnow()
    action = escalation.action
    _require(actor, action)
    if escalation.closed_at is not None or escalation.level < Level.STEERING:
        raise TransitionError(_("The steering group is level 3; this escalation is not there."))
    team = db.session.get(Team, escalation.team_id)
    if referred_on is None:
        raise ServiceError(_("Give the date of the referral to the steering group."))
    if referred_on > team_today(team, now):
        raise ServiceError(_("The referral date cannot be in the future."))
    outcome = (outcome or "").strip()
    if len(outcome) > NOTE_MAX:
        raise ServiceError(_("The outcome is too long (at most %(max)d characters).", max=NOTE_MAX))
    details: dict[str, Any] = {"referred_on": referred_on.isoformat()}
    escalation.steering_referred_on = referred_on
    if outcome:
        escalation.steering_outcome, escalation.steering_outcome_at = outcome, now
        details.update(case_services.keep_text(action.advice.case, "steering_outcome", outcome, actor))
    db.session.flush()
    audit.record("escalation.steering", object_type="action", object_id=action.id, actor=actor,
                 team_id=escalation.team_id, details=details)


def record_national_sent(escalation: Escalation, actor: User, *, sent_on: date | None, now: datetime | None = None) -> None:
    """Level 4: the chair records the day the summary went to the national Maatwerkloket."""
    now = now or utcnow()
    _require(actor, escalation.action)
    if escalation.closed_at is not None or escalation.level < Level.NATIONAL:
        raise TransitionError(_("The national Maatwerkloket is level 4; this escalation is not there."))
    team = db.session.get(Team, escalation.team_id)
    if sent_on is None or sent_on > team_today(team, now):
        raise ServiceError(_("Give the day the summary was sent (not in the future)."))
    escalation.national_sent_on = sent_on
    db.session.flush()
    audit.record("escalation.national_sent", object_type="action", object_id=escalation.action_id, actor=actor,
                 team_id=escalation.team_id, details={"sent_on": sent_on.isoformat()})


def national_summary(escalation: Escalation) -> dict[str, Any]:
    """What goes to the national Maatwerkloket: case reference (the pseudonym), domains, the
    blockage in one paragraph, the action and its organisation, the ladder's history (levels,
    dates, the director's answer as a choice). No reasons or outcomes in free text, nothing else
    of the household."""
    action = escalation.action
    advice, case = action.advice, action.advice.case
    blockage = " ".join((advice.blockage or "").split())
    return {
        "reference": case.reference,
        "domains": [d.label for d in case.domain_values],
        "blockage": blockage,
        "action": " ".join((action.description or "").split()),
        "organisation": action.organisation.name,
        "deadline": action.effective_deadline,
        "steps": [(step.at, Level(step.from_level), Level(step.to_level)) for step in escalation.steps],
        "director_answer": escalation.director_answer,
        "steering_referred_on": escalation.steering_referred_on,
    }


# --- the job ------------------------------------------------------------------------------------

def ladder_days(team_id: int | None = None) -> dict[Level, int]:
    row = db.session.get(AdviceSettings, team_id) if team_id is not None else None
    if row is None:
        return {Level(k): v for k, v in DEFAULT_LADDER_DAYS.items()}
    return {Level.TEAM: row.ladder_team_days, Level.DIRECTOR: row.ladder_director_days,
            Level.STEERING: row.ladder_steering_days}


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


class _Moved(tuple):
    """(escalation id, action id, team id, new level)."""

    def __new__(cls, escalation_id, action_id, team_id, level):
        return super().__new__(cls, (escalation_id, action_id, team_id, level))


def _due_date(team_column, teams, level: Level):
    """SQL: the team-local due day of ``level`` for a move made today (NULL at the top)."""
    if level not in (Level.TEAM, Level.DIRECTOR, Level.STEERING):
        return sa.null()
    whens = [(team_column == team_id, sa.literal(today + timedelta(days=days[level]), sa.Date))
             for team_id, today, days in teams]
    return sa.case(*whens, else_=sa.null()) if whens else sa.null()


def ladder_start() -> datetime | None:
    """The moment the ladder started in this installation (None: it was there from the start)."""
    return db.session.scalar(sa.select(LadderStart.started_at).where(LadderStart.id == 1))


def _close_settled(now: datetime, limit: int) -> int:
    """Close the open ladders whose action is done or dropped, or whose advice was corrected
    (at most ``limit``, the oldest first)."""
    still_open = sa.select(Action.id).where(Action.id == Escalation.action_id, UNSETTLED_IN, Action.in_force).exists()
    settled = (Escalation.closed_at.is_(None), ~still_open)
    rows = db.session.execute(
        sa.update(Escalation)
        .where(*first_batch(settled, (Escalation.id,), limit))
        .values(closed_at=now).returning(Escalation.action_id, Escalation.team_id)
        .execution_options(synchronize_session=False)
    ).all()
    for action_id, team_id in rows:
        audit.record("escalation.close", object_type="action", object_id=action_id, actor=None, team_id=team_id)
    return len(rows)


def _climb_from(level: Level, teams, now: datetime, limit: int) -> list[_Moved]:
    """Move the open, unanswered escalations at ``level`` whose due day has passed one level up
    (at most ``limit``, the longest overdue first)."""
    target = Level(level + 1)
    check_move(level, target)
    by_today = grouped((team_id, today) for team_id, today, _days in teams)
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
        .values(level=int(target), level_since=now, level_due_on=_due_date(Escalation.team_id, teams, target))
        .returning(Escalation.id, Escalation.action_id, Escalation.team_id)
        .execution_options(synchronize_session=False)
    ).all()
    return [_Moved(esc_id, action_id, team_id, int(target)) for esc_id, action_id, team_id in rows]


def _climb_past_team(teams, now: datetime, start: datetime | None, limit: int) -> list[_Moved]:
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
    commitment = sa.and_(Commitment.team_id == waiting.c.team_id, Commitment.organisation_id == waiting.c.organisation_id)
    source = sa.select(
        waiting.c.id, waiting.c.team_id, waiting.c.organisation_id, sa.literal(int(Level.DIRECTOR)),
        sa.literal(now, Escalation.started_at.type), sa.literal(now, Escalation.level_since.type),
        _due_date(waiting.c.team_id, teams, Level.DIRECTOR),
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
    return [_Moved(esc_id, action_id, team_id, int(Level.DIRECTOR)) for esc_id, action_id, team_id in rows]


def _tell(moved: list[_Moved]) -> None:
    """The chair(s) of the team, per move (the director is e-mailed by ``send_director_mails``)."""
    if not moved:
        return
    info = {row.id: row for row in db.session.execute(
        sa.select(Action.id, Case.reference, Organisation.name.label("organisation"))
        .join(Advice, Advice.id == Action.advice_id).join(Case, Case.id == Advice.case_id)
        .join(Organisation, Organisation.id == Action.organisation_id)
        .where(Action.id.in_([m[1] for m in moved]))
    )}
    chairs = members_by_team({m[2] for m in moved}, Role.CHAIR)
    notify_many((chairs.get(team_id, []), KIND_OF_LEVEL[Level(level)],
                 {"reference": info[action_id].reference, "organisation": info[action_id].organisation},
                 ladder_link(action_id))
                for _esc, action_id, team_id, level in moved)


def climb(now: datetime) -> str:
    """The scheduler's step: close settled ladders, then move each unanswered escalation whose
    level's deadline passed up one level (top first, so a row moves at most once per run), tell
    the chairs, audit; then e-mail the directors. At most a batch a run of each: moves per level
    (so a backlog at one level never holds up another), closings and e-mails, the most overdue
    first: a backlog climbs over the next runs, never all in one night."""
    limit = batch_size()
    teams = _team_ladders(now)
    closed = _close_settled(now, limit)
    per_level = [_climb_from(Level.STEERING, teams, now, limit), _climb_from(Level.DIRECTOR, teams, now, limit),
                 _climb_past_team(teams, now, ladder_start(), limit)]
    moved = [m for level_moves in per_level for m in level_moves]
    if moved:
        db.session.execute(sa.insert(EscalationStep), [
            {"escalation_id": esc_id, "from_level": level - 1, "to_level": level, "at": now, "by_id": None}
            for esc_id, _action, _team, level in moved])
    for _esc, action_id, team_id, level in moved:
        audit.record("escalation.climb", object_type="action", object_id=action_id, actor=None, team_id=team_id,
                     details={"from": level - 1, "to": level})
    _tell(moved)
    db.session.commit()
    sent = send_director_mails(now, limit)
    summary = f"{len(moved)} escalations moved up, {closed} closed, {sent} directors e-mailed"
    full = limit in (closed, sent, *map(len, per_level))
    return summary + ("; a full batch, the rest next run" if full else "")


# --- retention ----------------------------------------------------------------------------------

def anonymise_escalations(case_ids) -> list[str]:
    """Retention of a batch of cases: clear the ladder's free text (one statement)."""
    from core import privacy

    action_ids = (sa.select(Action.id).join(Advice, Advice.id == Action.advice_id)
                  .where(Advice.case_id.in_(case_ids)))
    cleared = privacy.clear({"escalation": sa.update(Escalation).where(
        Escalation.action_id.in_(action_ids),
        sa.or_(Escalation.director_explanation != "", Escalation.steering_outcome != ""))
        .values(director_explanation="", steering_outcome="")})
    return sorted(f"{part}.{name}" for part in cleared for name in ("director_explanation", "steering_outcome"))


# --- the case page ------------------------------------------------------------------------------

def case_notices(user, case) -> list:
    """On the case page, to its team and owner: each action past the contact (level 1 and up),
    with its level as a coloured badge and in words (one statement)."""
    from flask import url_for

    from casefiles.notices import Notice
    from core.permissions import is_lead, is_owner, is_team_member

    # Only a case in advice or execution has actions not carried out (before it there is no
    # issued advice; a completed case has every action done or dropped, for good): elsewhere
    # nothing is escalated, and no statement asks.
    if case.status not in (CaseStatus.ADVISED, CaseStatus.IN_EXECUTION) or not (
            is_team_member(user, case.team_id) or is_owner(user, case)):
        return []
    rows = db.session.execute(
        sa.select(Action.id, Action.advice_id, Action.escalated_at, Action.status, Organisation.name,
                  Escalation.level, Escalation.closed_at)
        .join(Advice, Advice.id == Action.advice_id)
        .join(Organisation, Organisation.id == Action.organisation_id)
        .outerjoin(Escalation, Escalation.action_id == Action.id)
        .where(Advice.case_id == case.id, Advice.status == AdviceStatus.ISSUED, UNSETTLED_IN,
               sa.or_(Action.escalated_at.is_not(None), sa.and_(Escalation.id.is_not(None), Escalation.closed_at.is_(None))))
        .order_by(Action.id)
    ).all()
    out = []
    for action_id, advice_id, _at, _status, organisation, level, closed_at in rows:
        lv = Level(level) if level is not None and closed_at is None else Level.TEAM
        lead = is_lead(user, case.team_id)
        out.append(Notice(
            _("%(level)s: the action for %(organisation)s is escalated.", level=lv.label, organisation=organisation),
            url_for("escalation.ladder", action_id=action_id) if lead
            else url_for("advice.show", advice_id=advice_id) + f"#action-{action_id}",
            _("Escalation ladder") if lead else _("Advice and actions"), case.reference, due=lv >= Level.DIRECTOR,
            badge=f"ladder ladder-{lv.css}"))
    return out
