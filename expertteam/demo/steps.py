"""The steps every chapter of the demo story takes, through the same services as real use: a
case found by its pseudonym or made, submitted and accepted, the owner's blockage map at intake,
the team's meeting in a past week, and cases discussed at it as the chair does live. The caller
commits.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from casefiles import services as case_services
from casefiles.blockage import services as blockage
from casefiles.models import Case
from core.clock import running_at
from core.db import db
from core.models import Organisation, Team, User
from meeting.agenda import add_item, publish_agenda
from meeting.attendance import record_attendance
from meeting.models import Meeting
from meeting.schedule import ensure_meetings
from meeting.session import mark_discussed


def find_or_create_case(team: Team, owner: User, pseudonym: str, **fields) -> tuple[Case, bool]:
    """The team's case of the household ``pseudonym``, made as a draft when missing; and
    whether it was made now (a second run of the demo finds every case)."""
    case = db.session.scalar(sa.select(Case).where(Case.team_id == team.id, Case.household_pseudonym == pseudonym))
    if case is not None:
        return case, False
    return case_services.create_case(team, owner, household_pseudonym=pseudonym, **fields), True


def submit_and_accept(case: Case, owner: User, submitted: datetime, accepter: User, accepted: datetime,
                      criteria: list[int]) -> None:
    """The owner submits the case at ``submitted``; the chair or the secretary accepts it at
    ``accepted``, the team's ``criteria`` met."""
    with running_at(submitted):
        case_services.submit_case(case, owner)
    with running_at(accepted):
        case_services.accept_case(case, accepter, criteria_met=criteria)


def map_needs(case: Case, owner: User, needs: list[tuple[str, str, Organisation | None]],
              links: list[tuple[int, int, str]]) -> None:
    """The owner's blockage map at intake: ``needs`` (title, rule, who decides), ``links``
    (need, waits for, reason) by position in ``needs``."""
    made = [blockage.add_need(case, owner, title=title, rule=rule, decided_by_id=org.id if org else None)
            for title, rule, org in needs]
    for a, b, reason in links:
        blockage.link_needs(made[a], made[b], owner, reason=reason)


def past_meeting(team: Team, after: datetime) -> Meeting:
    """The team's regular meeting in the week after ``after`` (created if missing)."""
    ensure_meetings(team, after, weeks=2)
    return db.session.scalars(
        sa.select(Meeting).where(Meeting.team_id == team.id, Meeting.starts_at > after).order_by(Meeting.starts_at).limit(1)
    ).one()


def discuss(meeting: Meeting, cases: list[Case], chair: User, attendance) -> None:
    """Put cases on a past meeting's agenda and take them as discussed, as the chair does live.
    ``attendance``: (user, status) of the experts, recorded once per meeting."""
    for case in cases:
        add_item(meeting, case, chair)
    publish_agenda(meeting, chair)
    if not meeting.attendances:
        with running_at(meeting.starts_at + timedelta(minutes=5)):
            for user, status in attendance:
                record_attendance(meeting, chair, user.id, status,
                                  deputy_name="J. de Wit (vervanger)" if status == "deputy" else "")
    for item in meeting.items:
        if item.case in cases:
            with running_at(meeting.starts_at + timedelta(minutes=30)):
                mark_discussed(item, chair)
