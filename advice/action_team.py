"""Every action carries its case's team (``Action.team_id``, denormalised from advice -> case),
so the team's follow-through pages read the team's actions by index instead of walking all of
the team's cases and advice.

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

from .models import Action, Advice


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


def _before_flush(session, flush_context, instances):
    fill_teams(session)


def install() -> None:
    """Wire the hook into every ORM session (idempotent; called by ``advice.init_app``)."""
    if not sa.event.contains(Session, "before_flush", _before_flush):
        sa.event.listen(Session, "before_flush", _before_flush)
