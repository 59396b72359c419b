"""Every action carries its case's team (``Action.team_id``, denormalised from advice -> case),
so the team's follow-through pages read the team's actions by index instead of walking all of
the team's cases and advice; and whether its advice is in force (``Action.in_force``: the
advice is issued), so the lists, figures and jobs need not look up each action's advice.

The same hook keeps ``in_force``: a new action takes its advice's, and an advice whose status
changes (issued, superseded: ``advice.lifecycle.transition_advice``, or a test or the demo
setting it) sets it on all of its actions, before the flush writes either.

One ``before_flush`` hook fills the team of every new action from its advice's case, however the
action was made (the services, a correction's copies, the demo, a test appending to
``advice.actions``). The services need not set it; when they do, the hook checks it agrees. A
case never changes team, and after issuing the team is part of the action's fixed content
(``Action.CONTENT_FIELDS``, enforced by ``advice.guard``).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casefiles.models import Case

from .models import Action, Advice, AdviceStatus


class ActionTeamError(RuntimeError):
    """An action names a team other than its case's."""


def _advice_of(session: Session, action: Action) -> Advice | None:
    if action.advice is not None:
        return action.advice
    return session.get(Advice, action.advice_id) if action.advice_id is not None else None


def _team_of(session: Session, advice: Advice) -> int | None:
    case = advice.case
    if case is None and advice.case_id is not None:
        case = session.get(Case, advice.case_id)
    if case is None:
        return None
    if case.team_id is not None:
        return case.team_id
    return case.team.id if case.team is not None else None


def fill_teams(session: Session) -> None:
    """Set ``team_id`` of every new action from its advice's case (the NOT NULL constraint
    refuses an action without an advice)."""
    new_actions = [obj for obj in session.new if isinstance(obj, Action)]
    if not new_actions:
        return
    with session.no_autoflush:
        for action in new_actions:
            advice = _advice_of(session, action)
            team_id = _team_of(session, advice) if advice is not None else None
            if team_id is None:
                continue
            if action.team_id is None:
                action.team_id = team_id
            elif action.team_id != team_id:
                raise ActionTeamError(f"an action of case {advice.case_id} cannot belong to team {action.team_id}")


def fill_in_force(session: Session) -> None:
    """Set ``in_force`` of every new action, and of every action of an advice whose status
    changed, from its advice's status."""
    changed = [obj for obj in (*session.new, *session.dirty) if isinstance(obj, Advice)
               and (obj in session.new or sa.inspect(obj).attrs.status.history.has_changes())]
    with session.no_autoflush:
        for advice in changed:
            for action in advice.actions:
                action.in_force = advice.status == AdviceStatus.ISSUED
        for action in [obj for obj in session.new if isinstance(obj, Action)]:
            advice = _advice_of(session, action)
            if advice is not None:
                action.in_force = advice.status == AdviceStatus.ISSUED


def _before_flush(session, flush_context, instances):
    fill_teams(session)
    fill_in_force(session)


def install() -> None:
    """Wire the hook into every ORM session (idempotent; called by ``advice.init_app``)."""
    if not sa.event.contains(Session, "before_flush", _before_flush):
        sa.event.listen(Session, "before_flush", _before_flush)
