"""The escalation ladder (the AVE model's phases, green to dark red) for an action an organisation
does not carry out:

- level 0, the contact: reminders and the overdue notice (``advice.follow_through.jobs``);
- level 1, the chair and the team: a refused action, or one overdue past the grace period, is on
  the list back on the table until the team decides (``advice.follow_through``);
- level 2, the organisation's director: the escalation contact named on the commitment gets a
  short e-mail with a signed link to answer once (we carry it out, or an explanation in writing;
  ``advice.escalation.director``);
- level 3, the municipality's steering group: the chair records the referral, its date and the
  outcome;
- level 4, the national Maatwerkloket Multiproblematiek: a minimal, pseudonymised summary the
  chair downloads and sends.

Each level has a deadline from the team's settings (``AdviceSettings.ladder_*_days``); the night
job climbs what passed it (``advice.escalation.jobs``), the chair may also climb by hand (here).
Every move is audited and kept as an ``EscalationStep`` (the entry into level 1 too), and the
team's chairs are told (``tell_chairs``). A ladder only climbs; it closes when the action is done
or dropped, or the advice corrected. Here: the level of an action (``Action.ladder_level``, for
pages and lists), the chair's steps (checked here, written by ``advice.escalation.ladder``), the
ladder's history, the national summary and the case page's notices.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from advice import permissions
from advice.escalation.director import ladder_link
from advice.lifecycle import NOTE_MAX, TransitionError
from advice.models import Action, Advice, AdviceStatus
from advice.settings import DEFAULT_LADDER_DAYS, AdviceSettings
from casefiles import services as case_services
from casefiles.models import Case, CaseStatus
from core import audit
from core.clock import team_today, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Organisation, Role, Team, User
from core.people import members_by_team
from notifications.services import notify_many

from . import ladder
from .ladder import UNSETTLED, UNSETTLED_IN, Moved, check_move
from .models import Escalation, EscalationStep, Level

KIND_OF_LEVEL = {
    Level.DIRECTOR: "advice.escalation_director",
    Level.STEERING: "advice.escalation_steering",
    Level.NATIONAL: "advice.escalation_national",
}


# --- the level of actions, for pages and lists --------------------------------------------------

def level_of(action: Action) -> Level:
    """The action's ladder level (``Action.ladder_level``, kept by ``advice.escalation.ladder``)."""
    return Level(action.ladder_level)


def levels_of(actions) -> dict[int, Level]:
    """The ladder level of each action, read from the loaded actions (no statement)."""
    return {a.id: Level(a.ladder_level) for a in actions}


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
    current = level_of(action)
    if escalation is not None and escalation.closed_at is not None:
        raise TransitionError(_("This escalation is over."))
    target = Level(current + 1) if current < Level.NATIONAL else current
    check_move(current, target)
    if current == Level.CONTACT:
        raise TransitionError(_("The action is not escalated to the team yet; the team decides first."))
    team = db.session.get(Team, action.team_id)
    days = ladder_days(team.id)
    due_on = (team_today(team, now) + timedelta(days=days[target])) if target in days else None
    escalation = ladder.climb(action, escalation, target, now=now, due_on=due_on, by_id=actor.id)
    audit.record("escalation.climb", object_type="action", object_id=action.id, actor=actor, team_id=action.team_id,
                 details={"from": int(current), "to": int(target), "by_hand": True})
    tell_chairs([Moved(escalation.id, action.id, action.team_id, int(target))])
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
    ladder.record_steering(escalation, referred_on=referred_on, outcome=outcome, now=now)
    if outcome:
        details.update(case_services.keep_text(action.advice.case, "steering_outcome", outcome, actor))
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
    ladder.record_national_sent(escalation, sent_on)
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
        "steps": [(step.at, Level(step.from_level), Level(step.to_level)) for step in history(action)],
        "director_answer": escalation.director_answer,
        "steering_referred_on": escalation.steering_referred_on,
    }


# --- the days per level, telling the chairs ---------------------------------------------------

def ladder_days(team_id: int | None = None) -> dict[Level, int]:
    row = db.session.get(AdviceSettings, team_id) if team_id is not None else None
    if row is None:
        return {Level(k): v for k, v in DEFAULT_LADDER_DAYS.items()}
    return {Level.TEAM: row.ladder_team_days, Level.DIRECTOR: row.ladder_director_days,
            Level.STEERING: row.ladder_steering_days}


def tell_chairs(moved: list[Moved]) -> None:
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


def history(action: Action) -> list[EscalationStep]:
    """The action's moves up the ladder, the entry into level 1 included, oldest first."""
    return list(db.session.scalars(sa.select(EscalationStep).where(EscalationStep.action_id == action.id)
                                   .order_by(EscalationStep.at, EscalationStep.id)))


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
        sa.select(Action.id, Action.advice_id, Organisation.name, Action.ladder_level)
        .join(Advice, Advice.id == Action.advice_id)
        .join(Organisation, Organisation.id == Action.organisation_id)
        .where(Advice.case_id == case.id, Advice.status == AdviceStatus.ISSUED, UNSETTLED_IN,
               Action.ladder_level >= int(Level.TEAM))
        .order_by(Action.id)
    ).all()
    out = []
    for action_id, advice_id, organisation, level in rows:
        lv = Level(level)
        lead = is_lead(user, case.team_id)
        out.append(Notice(
            _("%(level)s: the action for %(organisation)s is escalated.", level=lv.label, organisation=organisation),
            url_for("escalation.ladder", action_id=action_id) if lead
            else url_for("advice.show", advice_id=advice_id) + f"#action-{action_id}",
            _("Escalation ladder") if lead else _("Advice and actions"), case.reference, due=lv >= Level.DIRECTOR,
            badge=f"ladder ladder-{lv.css}"))
    return out
