"""Timed meeting jobs. Each takes ``now``, works set-based across all teams, is safe to run twice
(or twice at once: rows are claimed by one conditional UPDATE … RETURNING or inserted with
ON CONFLICT DO NOTHING) and commits its own work."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa

from casefiles.models import Case
from core import audit
from core.db import db, insert_or_skip
from core.models import TEAM_ROLES, Membership, Team, User
from notifications.services import notify_many

from .agenda import propose_agenda
from .lifecycle import audit_step, local_strings, meeting_link
from .models import AgendaItem, Meeting, MeetingStatus
from .schedule import regular_slots

WEEKS_AHEAD = 8
REMIND_BEFORE = timedelta(hours=24)


def ensure_meetings(now: datetime) -> str:
    """Keep the next eight weeks of regular meetings in place for every active team: one INSERT
    for all teams that skips the slots that exist (``schedule.ensure_meetings`` for one team)."""
    teams = db.session.scalars(sa.select(Team).where(Team.active.is_(True)).order_by(Team.id)).all()
    rows = [row for team in teams for row in regular_slots(team, now, WEEKS_AHEAD)]
    created: dict[int, int] = defaultdict(int)
    if rows:
        table = Meeting.__table__
        stmt = insert_or_skip(table).returning(table.c.id, table.c.team_id)
        for _meeting_id, team_id in db.session.execute(stmt, rows).all():
            created[team_id] += 1
    for team_id, count in sorted(created.items()):
        audit.record("meeting.ensure", object_type="team", object_id=team_id, actor=None, team_id=team_id,
                     details={"created": count})
    db.session.commit()
    return f"{sum(created.values())} meetings created for {len(teams)} teams"


def _claim(column, *where, now: datetime) -> list[int]:
    """Set a NULL timestamp column on every matching meeting in one statement; the ids this run
    claimed (a concurrent run finds the column set and claims none of them)."""
    return list(db.session.scalars(
        sa.update(Meeting)
        .where(column.is_(None), *where)
        .values({column.key: now})
        .returning(Meeting.id)
        .execution_options(synchronize_session=False)
    ))


def _meetings(ids: list[int]) -> list[Meeting]:
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(Meeting).where(Meeting.id.in_(ids)).order_by(Meeting.starts_at, Meeting.id)
        .options(sa.orm.joinedload(Meeting.team)).execution_options(populate_existing=True)
    ))


def propose_agendas(now: datetime) -> str:
    """For planned meetings past their cut-off without a proposed agenda: propose it (once).

    The meetings are claimed in one statement; each agenda is then filled from its own team's
    queue (a handful of meetings pass their cut-off between two runs)."""
    ids = _claim(Meeting.agenda_proposed_at, Meeting.status == MeetingStatus.PLANNED, Meeting.cutoff_at <= now,
                 Meeting.starts_at > now, now=now)
    items = sum(len(propose_agenda(meeting, now)) for meeting in _meetings(ids))
    db.session.commit()
    return f"{len(ids)} agendas proposed with {items} cases"


def remind(now: datetime) -> str:
    """The day before a published meeting: remind the team and the invited case owners (once).

    The same messages as ``schedule.send_reminder``, for all due meetings at once: one claim, one
    query for the team members of all their teams, one for the invited owners."""
    ids = _claim(Meeting.reminded_at, Meeting.status == MeetingStatus.PUBLISHED, Meeting.starts_at > now,
                 Meeting.starts_at <= now + REMIND_BEFORE, now=now)
    meetings = _meetings(ids)
    if not meetings:
        db.session.commit()
        return "0 meeting reminders sent"
    members: dict[int, list[User]] = defaultdict(list)
    for team_id, user in db.session.execute(
        sa.select(Membership.team_id, User).join(User, User.id == Membership.user_id)
        .where(Membership.team_id.in_({m.team_id for m in meetings}), Membership.role.in_(list(TEAM_ROLES)),
               Membership.active.is_(True), User.active.is_(True))
        .order_by(User.id)
    ):
        if user not in members[team_id]:
            members[team_id].append(user)
    invited: dict[int, list[tuple[AgendaItem, str, User]]] = defaultdict(list)
    for item, reference, owner in db.session.execute(
        sa.select(AgendaItem, Case.reference, User).join(Case, Case.id == AgendaItem.case_id)
        .join(User, User.id == Case.owner_id)
        .where(AgendaItem.meeting_id.in_(ids), AgendaItem.presenter_invited.is_(True), AgendaItem.outcome.is_(None))
        .order_by(AgendaItem.meeting_id, AgendaItem.position, AgendaItem.id)
    ):
        invited[item.meeting_id].append((item, reference, owner))
    messages = []
    for meeting in meetings:
        link = meeting_link(meeting)
        messages.append((members[meeting.team_id], "meeting.reminder", local_strings(meeting), link))
        for item, reference, owner in invited[meeting.id]:
            messages.append(([owner], "meeting.reminder_presenter",
                             {**local_strings(meeting, item.starts_at), "team": meeting.team.name,
                              "reference": reference}, link))
        audit_step("meeting.remind", meeting, None)
    notify_many(messages)
    db.session.commit()
    return f"{len(meetings)} meeting reminders sent"
