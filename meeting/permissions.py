"""Who may see and do what with a meeting: one place per rule (views and templates ask here).

Need-to-know: the experts, chair and secretary of the team see the meeting and the whole
agenda; a case owner sees a meeting only when invited to present, and then only their own
item; everyone else sees nothing (404).
"""
from __future__ import annotations

import sqlalchemy as sa

from casefiles.models import Case
from core.models import TEAM_ROLES, Role, User
from core.permissions import is_lead, is_owner, is_team_member, signed_in

from .models import AgendaItem, Meeting, MeetingStatus

__all__ = [
    "is_lead",
    "is_team_member",
    "can_view",
    "can_manage",
    "can_edit_agenda",
    "can_run",
    "can_edit_minutes",
    "presenting_items",
    "visible_items",
    "visible_meetings_clause",
]


def presenting_items(user: User | None, meeting: Meeting) -> list[AgendaItem]:
    """The items this user is invited to present (their own cases on a published agenda)."""
    if not signed_in(user) or meeting.agenda_published_at is None:
        return []
    return [i for i in meeting.items if i.presenter_invited and is_owner(user, i.case)]


def can_view(user: User | None, meeting: Meeting) -> bool:
    return is_team_member(user, meeting.team_id) or bool(presenting_items(user, meeting))


def visible_items(user: User | None, meeting: Meeting) -> list[AgendaItem]:
    if is_team_member(user, meeting.team_id):
        return list(meeting.items)
    return presenting_items(user, meeting)


def can_manage(user: User | None, meeting: Meeting) -> bool:
    """Chair or secretary of the team (cancel, move, attendance, the live session)."""
    return is_lead(user, meeting.team_id)


def can_edit_agenda(user: User | None, meeting: Meeting) -> bool:
    return can_manage(user, meeting) and meeting.status in (MeetingStatus.PLANNED, MeetingStatus.PUBLISHED)


def can_run(user: User | None, meeting: Meeting) -> bool:
    """May run the live session: take notes and decide items."""
    return can_manage(user, meeting) and meeting.status in (MeetingStatus.PUBLISHED, MeetingStatus.HELD)


def can_edit_minutes(user: User | None, meeting: Meeting) -> bool:
    """The secretary edits and closes the minutes until they are closed."""
    return (
        signed_in(user)
        and user.has_role(meeting.team_id, Role.SECRETARY)
        and meeting.status == MeetingStatus.HELD
    )


def visible_meetings_clause(user: User) -> sa.ColumnElement[bool]:
    """SQL filter matching ``can_view`` for lists of meetings."""
    clauses = [sa.false()]
    member_teams = user.team_ids(*TEAM_ROLES)
    if member_teams:
        clauses.append(Meeting.team_id.in_(member_teams))
    owner_teams = user.team_ids(Role.CASE_OWNER)
    if owner_teams:
        clauses.append(
            sa.and_(
                Meeting.team_id.in_(owner_teams),
                Meeting.agenda_published_at.is_not(None),
                sa.exists(
                    sa.select(AgendaItem.id)
                    .join(Case, Case.id == AgendaItem.case_id)
                    .where(
                        AgendaItem.meeting_id == Meeting.id,
                        AgendaItem.presenter_invited.is_(True),
                        Case.owner_id == user.id,
                    )
                ),
            )
        )
    return sa.or_(*clauses)
