"""Timed meeting jobs. Each takes ``now``, works set-based, is safe to run twice (or twice at
once) and commits its own work."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from core.db import db
from core.models import Team

from . import schedule as schedule_module
from .agenda import propose_agenda
from .models import Meeting, MeetingStatus
from .schedule import send_reminder

WEEKS_AHEAD = 8
REMIND_BEFORE = timedelta(hours=24)


def ensure_meetings(now: datetime) -> str:
    """Keep the next eight weeks of regular meetings in place for every active team."""
    team_ids = db.session.scalars(sa.select(Team.id).where(Team.active.is_(True)).order_by(Team.id)).all()
    created = 0
    for team_id in team_ids:
        team = db.session.get(Team, team_id)
        created += schedule_module.ensure_meetings(team, now, WEEKS_AHEAD)
        db.session.commit()
    return f"{created} meetings created for {len(team_ids)} teams"


def _claim(column, meeting_id: int, now: datetime) -> bool:
    """Set a NULL timestamp column atomically; only one concurrent run wins."""
    result = db.session.execute(
        sa.update(Meeting)
        .where(Meeting.id == meeting_id, column.is_(None))
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def propose_agendas(now: datetime) -> str:
    """For planned meetings past their cut-off without a proposed agenda: propose it (once)."""
    ids = db.session.scalars(
        sa.select(Meeting.id)
        .where(
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.agenda_proposed_at.is_(None),
            Meeting.cutoff_at <= now,
            Meeting.starts_at > now,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    items = 0
    proposed = 0
    for meeting_id in ids:
        if not _claim(Meeting.agenda_proposed_at, meeting_id, now):
            db.session.rollback()
            continue
        meeting = db.session.get(Meeting, meeting_id)
        db.session.refresh(meeting)
        items += len(propose_agenda(meeting, now))
        proposed += 1
        db.session.commit()
    return f"{proposed} agendas proposed with {items} cases"


def remind(now: datetime) -> str:
    """The day before a published meeting: remind the team and the invited case owners (once)."""
    ids = db.session.scalars(
        sa.select(Meeting.id).where(
            Meeting.status == MeetingStatus.PUBLISHED,
            Meeting.reminded_at.is_(None),
            Meeting.starts_at > now,
            Meeting.starts_at <= now + REMIND_BEFORE,
        )
    ).all()
    sent = 0
    for meeting_id in ids:
        if not _claim(Meeting.reminded_at, meeting_id, now):
            db.session.rollback()
            continue
        send_reminder(db.session.get(Meeting, meeting_id))
        sent += 1
        db.session.commit()
    return f"{sent} meeting reminders sent"
