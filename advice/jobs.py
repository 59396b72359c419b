"""Timed follow-through jobs. Each takes ``now``, works set-based per team, is safe to run twice
(or twice at once: every row is claimed by one conditional UPDATE … RETURNING, so only one run
notifies) and commits its own work.

The claims set follow-through markers only (reminded_at, overdue_notified_at, escalated_at,
followup_asked_at); they do not raise an action's lock version, so a contact with the action open
is not refused because a reminder went out.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from casefiles.models import Case
from core import audit
from core.clock import team_today
from core.db import db
from core.models import Role, Team
from core.people import organisation_contacts, team_members
from notifications.services import notify

from .lifecycle import action_context, action_link, settings_for
from .models import PENDING_ACTION, Action, Advice, AdviceStatus, CaseClosure, EscalationKind

EFFECTIVE_DEADLINE = sa.func.coalesce(Action.deadline_extended_to, Action.deadline)


def _teams() -> list[Team]:
    return list(db.session.scalars(sa.select(Team).where(Team.active.is_(True)).order_by(Team.id)))


def _team_actions(team_id: int):
    """Ids of pending actions of the team's advice in force."""
    return (
        sa.select(Action.id)
        .join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .where(Case.team_id == team_id, Advice.status == AdviceStatus.ISSUED, Action.status.in_(list(PENDING_ACTION)))
    )


def _claim(candidates, marker, now: datetime, **extra) -> list[int]:
    """Set ``marker`` (NULL so far) on the candidate actions; return the ids this run claimed."""
    return list(
        db.session.scalars(
            sa.update(Action)
            .where(Action.id.in_(candidates.scalar_subquery()), marker.is_(None))
            .values({marker.key: now, **extra})
            .returning(Action.id)
            .execution_options(synchronize_session=False)
        )
    )


def _load(ids: list[int]) -> list[Action]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Action).where(Action.id.in_(ids)).order_by(Action.id)
            .options(sa.orm.joinedload(Action.advice).joinedload(Advice.case), sa.orm.joinedload(Action.organisation))
        ).unique()
    )


def _notify_contacts(team: Team, actions: list[Action], kind: str) -> None:
    contacts = organisation_contacts(team.id, {a.organisation_id for a in actions})
    for action in actions:
        notify(contacts[action.organisation_id], kind, action_context(action), action_link(action))


def _audit_each(action_name: str, team: Team, actions: list[Action], details: dict | None = None) -> None:
    for action in actions:
        audit.record(action_name, object_type="action", object_id=action.id, actor=None, team_id=team.id,
                     details=details or {})


def remind_due_soon(now: datetime) -> str:
    """Remind the contacts of actions due within the team's reminder days (once per deadline)."""
    total = 0
    for team in _teams():
        settings = settings_for(team.id)
        today = team_today(team, now)
        candidates = _team_actions(team.id).where(
            EFFECTIVE_DEADLINE >= today, EFFECTIVE_DEADLINE <= today + timedelta(days=settings.reminder_days)
        )
        actions = _load(_claim(candidates, Action.reminded_at, now))
        _notify_contacts(team, actions, "advice.action_due_soon")
        _audit_each("action.remind", team, actions)
        db.session.commit()
        total += len(actions)
    return f"{total} actions reminded"


def mark_overdue(now: datetime) -> str:
    """Mark actions past their deadline and tell the organisation's contacts (once per deadline)."""
    total = 0
    for team in _teams():
        today = team_today(team, now)
        candidates = _team_actions(team.id).where(EFFECTIVE_DEADLINE < today)
        actions = _load(_claim(candidates, Action.overdue_notified_at, now))
        _notify_contacts(team, actions, "advice.action_overdue")
        _audit_each("action.overdue", team, actions)
        db.session.commit()
        total += len(actions)
    return f"{total} actions marked overdue"


def escalate_overdue(now: datetime) -> str:
    """Escalate actions overdue past the team's grace period to the chair (once): they go on the
    next meeting's follow-up list until the team decides."""
    total = 0
    for team in _teams():
        settings = settings_for(team.id)
        today = team_today(team, now)
        candidates = _team_actions(team.id).where(
            EFFECTIVE_DEADLINE < today - timedelta(days=settings.grace_days)
        )
        actions = _load(_claim(candidates, Action.escalated_at, now, escalation_kind=EscalationKind.OVERDUE))
        chairs = team_members(team.id, Role.CHAIR) if actions else []
        for action in actions:
            notify(chairs, "advice.action_escalated", action_context(action), action_link(action))
        _audit_each("action.escalate", team, actions, {"kind": "overdue"})
        db.session.commit()
        total += len(actions)
    return f"{total} overdue actions escalated"


def ask_followup(now: datetime) -> str:
    """Three months after closing, ask the case owner whether the breakthrough holds (once)."""
    total = 0
    for team in _teams():
        today = team_today(team, now)
        ids = list(
            db.session.scalars(
                sa.update(CaseClosure)
                .where(CaseClosure.team_id == team.id, CaseClosure.followup_due_on <= today,
                       CaseClosure.followup_asked_at.is_(None), CaseClosure.followup_at.is_(None))
                .values(followup_asked_at=now)
                .returning(CaseClosure.id)
                .execution_options(synchronize_session=False)
            )
        )
        if ids:
            closures = db.session.scalars(
                sa.select(CaseClosure).where(CaseClosure.id.in_(ids)).options(sa.orm.joinedload(CaseClosure.case))
            ).all()
            for closure in closures:
                notify([closure.case.owner], "advice.followup_due", {"reference": closure.case.reference},
                       f"/advice/cases/{closure.case_id}/followup")
                audit.record("case.followup_asked", object_type="case", object_id=closure.case_id, actor=None,
                             team_id=team.id)
        db.session.commit()
        total += len(ids)
    return f"{total} follow-up evaluations asked"
