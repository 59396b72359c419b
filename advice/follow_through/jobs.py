"""Timed follow-through jobs. Each takes ``now``, works set-based across all teams, is safe to run
twice (or twice at once: the rows are claimed by one conditional UPDATE … RETURNING, so only one
run notifies) and commits its own work.

Teams differ in their local date and their settings: the teams are grouped by their window of
effective deadlines (``advice.windows``), and one UPDATE claims the actions of all windows at
once. So a job is a fixed handful of statements whatever the number of teams and actions: read
the teams, claim, load the claimed actions with their context, load the people to tell
(``core.people``), and one flush of the notifications and the audit rows.

The claims set follow-through markers only (reminded_at, overdue_notified_at; escalated_at with
the action's ladder level, through ``advice.escalation.ladder``, the escalation's one owner);
they do not raise an action's lock version, so a contact with the action open is not refused
because a reminder went out. The partial indexes on ``advice_actions`` (see
``Action``) hold only the pending actions a job has not claimed yet, by effective deadline, so
each claim reads just its candidates.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from advice.events import overdue_events
from advice.escalation import ladder
from advice.models import PENDING_ACTION, Action, Advice
from advice.windows import Windows, chunks, grouped, team_days, within
from casefiles.models import Case
from core import audit
from core.db import db
from core.models import Organisation, Role
from core.people import contacts_by_team, members_by_team
from notifications.services import notify_many

EFFECTIVE_DEADLINE = sa.func.coalesce(Action.deadline_extended_to, Action.deadline)
#: The pending statuses as literals in the SQL text, so the planner can match the partial indexes
#: (their predicate names the same values).
PENDING = Action.status.in_(sa.bindparam("pending", sorted(PENDING_ACTION), expanding=True, literal_execute=True))


# --- claiming and loading actions -------------------------------------------------------------

def _unclaimed(marker, windows: Windows) -> tuple:
    """The WHERE terms of the pending actions of advice in force whose ``marker`` is NULL so far
    and whose effective deadline lies in their team's window."""
    # The action's own team and in-force flag: no look-up of its advice or case per candidate.
    per_team, overall = within(EFFECTIVE_DEADLINE, Action.team_id, windows)
    return PENDING, marker.is_(None), overall, Action.in_force, per_team


def _claim(marker, windows: Windows, now: datetime) -> list[int]:
    """Set ``marker`` on the actions of ``_unclaimed``; return the ids this run claimed (one statement)."""
    if not windows:
        return []
    return list(
        db.session.scalars(
            sa.update(Action)
            .where(*_unclaimed(marker, windows))
            .values({marker.key: now})
            .returning(Action.id)
            .execution_options(synchronize_session=False)
        )
    )


def _load(ids: list[int]) -> list[Any]:
    """The claimed actions with what the messages need (one query per ``windows.CHUNK`` ids)."""
    rows: list[Any] = []
    for chunk in chunks(sorted(ids)):
        rows += db.session.execute(
            sa.select(Action.id, Action.organisation_id, EFFECTIVE_DEADLINE.label("deadline"), Case.team_id,
                      Case.reference, Organisation.name.label("organisation"))
            .join(Advice, Advice.id == Action.advice_id)
            .join(Case, Case.id == Advice.case_id)
            .join(Organisation, Organisation.id == Action.organisation_id)
            .where(Action.id.in_(chunk))
            .order_by(Action.id)
        ).all()
    return rows


def _context(row) -> dict[str, Any]:
    """The texts of ``lifecycle.action_context``, from a loaded row."""
    return {"reference": row.reference, "organisation": row.organisation,
            "deadline": row.deadline.strftime("%d-%m-%Y")}


def _link(row) -> str:
    return f"/advice/actions/{row.id}"


def _tell_contacts(rows: list[Any], kind: str) -> None:
    contacts = contacts_by_team({r.team_id for r in rows}, {r.organisation_id for r in rows})
    notify_many((contacts.get((r.team_id, r.organisation_id), []), kind, _context(r), _link(r)) for r in rows)


def _audit_each(action_name: str, rows: list[Any], details: dict | None = None) -> None:
    for row in rows:
        audit.record(action_name, object_type="action", object_id=row.id, actor=None, team_id=row.team_id,
                     details=dict(details or {}))


# --- the jobs ---------------------------------------------------------------------------------

def remind_due_soon(now: datetime) -> str:
    """Remind the contacts of actions due within the team's reminder days (once per deadline)."""
    windows = grouped((team_id, (today, today + timedelta(days=reminder + 1)))
                       for team_id, today, reminder, _grace in team_days(now))
    rows = _load(_claim(Action.reminded_at, windows, now))
    _tell_contacts(rows, "advice.action_due_soon")
    _audit_each("action.remind", rows)
    db.session.commit()
    return f"{len(rows)} actions reminded"


def mark_overdue(now: datetime) -> str:
    """Mark actions past their deadline and tell the organisation's contacts (once per deadline)."""
    windows = grouped((team_id, (None, today)) for team_id, today, _reminder, _grace in team_days(now))
    rows = _load(_claim(Action.overdue_notified_at, windows, now))
    _tell_contacts(rows, "advice.action_overdue")
    overdue_events(rows)
    _audit_each("action.overdue", rows)
    db.session.commit()
    return f"{len(rows)} actions marked overdue"


def escalate_overdue(now: datetime) -> str:
    """Escalate actions overdue past the team's grace period to the chair (once): they go on the
    list back on the table at the next meeting until the team decides."""
    windows = grouped((team_id, (None, today - timedelta(days=grace)))
                       for team_id, today, _reminder, grace in team_days(now))
    # The escalation's owner claims them, with their level and the entry into level 1.
    rows = _load(ladder.enter_team_overdue(_unclaimed(Action.escalated_at, windows), now) if windows else [])
    chairs = members_by_team({r.team_id for r in rows}, Role.CHAIR)
    notify_many((chairs.get(r.team_id, []), "advice.action_escalated", _context(r), _link(r)) for r in rows)
    _audit_each("action.escalate", rows, {"kind": "overdue"})
    db.session.commit()
    return f"{len(rows)} overdue actions escalated"
