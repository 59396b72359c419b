"""The agenda: proposed from the queue at the cut-off (head of the queue, urgency, waiting
time), edited and published by the chair or secretary; slots follow the order."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from casefiles import services as case_services
from casefiles.models import Case, CaseStatus
from core.clock import utcnow
from core.db import db
from core.errors import ServiceError
from core.models import TEAM_ROLES, Team, User
from core.people import team_members
from notifications.services import notify

from .lifecycle import (
    ACTIVE_STATUSES,
    S,
    TransitionError,
    audit_step,
    invited_owners,
    local_strings,
    meeting_link,
    require_lead,
    transition,
)
from .models import AgendaItem, Meeting

#: Limits of an item's duration (minutes).
DURATION_MIN, DURATION_MAX = 5, 240


def require_editable(meeting: Meeting) -> None:
    if meeting.status not in (S.PLANNED, S.PUBLISHED):
        raise TransitionError(_("The agenda of this meeting can no longer be changed."))


def default_duration(meeting: Meeting, team: Team) -> int:
    """The meeting's length divided by the capacity, rounded down to 5 minutes."""
    per_item = meeting.duration_minutes // max(team.capacity, 1)
    return max(DURATION_MIN, min(DURATION_MAX, per_item - per_item % 5))


def on_active_agenda():
    """Correlated EXISTS: the case is an open item of a planned, published or running meeting."""
    return sa.exists(
        sa.select(AgendaItem.id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.case_id == Case.id,
            AgendaItem.outcome.is_(None),
            Meeting.status.in_(list(ACTIVE_STATUSES)),
        )
    )


def candidates_query(team_id: int):
    """The team's queue (head of the queue, urgency, waiting time) without cases already on an agenda."""
    return case_services.queue_query(team_id, eager=False).where(sa.not_(on_active_agenda()))


def candidate_cases(team_id: int, limit: int) -> tuple[list[Case], int]:
    """The first ``limit`` cases of ``candidates_query`` (the ones the agenda would take next)
    and how many there are in all: one statement however long the queue (the count is a
    scalar subquery of the same SELECT)."""
    query = candidates_query(team_id)
    total = sa.select(sa.func.count()).select_from(
        query.with_only_columns(Case.id).order_by(None).subquery()).scalar_subquery()
    rows = db.session.execute(query.add_columns(total.label("total")).limit(limit)).all()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


def reslot(meeting: Meeting) -> None:
    """Number the items 1..n and give each a slot: the meeting start plus the items before it."""
    cursor = meeting.starts_at
    for position, item in enumerate(sorted(meeting.items, key=lambda i: (i.position, i.id or 0)), start=1):
        item.position = position
        item.starts_at = cursor
        cursor += timedelta(minutes=item.duration_minutes)


def mark_changed(meeting: Meeting) -> None:
    if meeting.status == S.PUBLISHED:
        meeting.agenda_changed_at = utcnow()


def back_to_queue(case: Case, actor: User | None, meeting: Meeting, reason: str) -> None:
    """A case leaves a meeting unhandled: back to the queue at its head, keeping its waiting time."""
    case_services.return_to_queue(case, actor, meeting_id=meeting.id, reason=reason)


def propose_agenda(meeting: Meeting, now: datetime, actor: User | None = None) -> list[AgendaItem]:
    """Fill the agenda from the queue up to the team's capacity: head of the queue, urgency
    (crisis, high, normal), then waiting time. Items already on it stay. ``actor`` is None for
    the cut-off job."""
    if actor is not None:
        require_lead(actor, meeting.team_id)
    if meeting.status != S.PLANNED:
        raise TransitionError(_("An agenda is proposed only for a planned meeting."))
    team = meeting.team
    free = team.capacity - len(meeting.items)
    added: list[AgendaItem] = []
    if free > 0:
        cases = db.session.scalars(candidates_query(team.id).limit(free)).all()
        duration = default_duration(meeting, team)
        next_position = max((i.position for i in meeting.items), default=0) + 1
        for offset, case in enumerate(cases):
            item = AgendaItem(case=case, position=next_position + offset, duration_minutes=duration,
                              starts_at=meeting.starts_at)
            meeting.items.append(item)
            added.append(item)
        reslot(meeting)
    meeting.agenda_proposed_at = now
    db.session.flush()
    audit_step("meeting.propose_agenda", meeting, actor, {"cases": [i.case_id for i in added]})
    return added


def add_item(meeting: Meeting, case: Case, actor: User, *, duration: int | None = None) -> AgendaItem:
    require_lead(actor, meeting.team_id)
    require_editable(meeting)
    if case.team_id != meeting.team_id or case.status != CaseStatus.ACCEPTED:
        raise ServiceError(_("Only cases waiting in this team's queue can be put on the agenda."))
    if db.session.scalar(sa.select(on_active_agenda()).select_from(Case).where(Case.id == case.id)):
        raise ServiceError(_("Case %(reference)s is already on an agenda.", reference=case.reference))
    duration = duration or default_duration(meeting, meeting.team)
    _check_duration(duration)
    item = AgendaItem(case=case, duration_minutes=duration, starts_at=meeting.starts_at,
                      position=max((i.position for i in meeting.items), default=0) + 1)
    meeting.items.append(item)
    reslot(meeting)
    mark_changed(meeting)
    db.session.flush()
    audit_step("meeting.add_item", meeting, actor, {"case": case.id, "item": item.id})
    return item


def remove_item(item: AgendaItem, actor: User) -> None:
    """Take a case off the agenda; once published it goes back to the head of the queue."""
    meeting = item.meeting
    require_lead(actor, meeting.team_id)
    require_editable(meeting)
    case = item.case
    was_scheduled = case.status == CaseStatus.SCHEDULED
    if meeting.agenda_published_at is not None:
        back_to_queue(case, actor, meeting, "removed from the agenda")
    meeting.items.remove(item)
    db.session.delete(item)
    reslot(meeting)
    mark_changed(meeting)
    db.session.flush()
    audit_step("meeting.remove_item", meeting, actor, {"case": case.id})
    if was_scheduled and item.presenter_invited:
        notify([case.owner], "meeting.item_removed", {**local_strings(meeting), "reference": case.reference},
               f"/cases/{case.id}")


def move_item(item: AgendaItem, actor: User, *, by: int) -> None:
    """Move an item up (by=-1) or down (by=+1); the slots follow."""
    meeting = item.meeting
    require_lead(actor, meeting.team_id)
    require_editable(meeting)
    items = sorted(meeting.items, key=lambda i: i.position)
    index = items.index(item)
    target = index + by
    if by not in (-1, 1) or not 0 <= target < len(items):
        raise ServiceError(_("This item cannot move further."))
    items[index], items[target] = items[target], items[index]
    for position, it in enumerate(items, start=1):
        it.position = position
    reslot(meeting)
    mark_changed(meeting)
    db.session.flush()
    audit_step("meeting.move_item", meeting, actor, {"item": item.id, "position": item.position})


def _check_duration(minutes: int) -> None:
    if not DURATION_MIN <= minutes <= DURATION_MAX:
        raise ServiceError(_("A duration is between %(min)d and %(max)d minutes.", min=DURATION_MIN, max=DURATION_MAX))


def set_item(item: AgendaItem, actor: User, *, duration: int | None = None, presenter_invited: bool | None = None) -> None:
    """Change an item's duration (the slots after it follow) or whether its owner is invited."""
    meeting = item.meeting
    require_lead(actor, meeting.team_id)
    require_editable(meeting)
    changes: dict[str, Any] = {}
    if duration is not None and duration != item.duration_minutes:
        _check_duration(duration)
        item.duration_minutes = duration
        changes["duration"] = duration
    if presenter_invited is not None and presenter_invited != item.presenter_invited:
        item.presenter_invited = presenter_invited
        changes["presenter_invited"] = presenter_invited
    if not changes:
        return
    reslot(meeting)
    mark_changed(meeting)
    db.session.flush()
    audit_step("meeting.update_item", meeting, actor, {"item": item.id, **changes})


def agenda_overrun(meeting: Meeting) -> int:
    """Minutes the agenda runs past the meeting's end (0 if it fits)."""
    if not meeting.items:
        return 0
    end = max(i.ends_at for i in meeting.items)
    return max(0, int((end - meeting.ends_at).total_seconds() // 60))


def publish_agenda(meeting: Meeting, actor: User) -> None:
    """Publish (or re-publish after a change): cases go to `scheduled`, the team and each
    invited case owner (with their slot) are notified, and calendars get a new SEQUENCE."""
    require_lead(actor, meeting.team_id)
    if meeting.status not in (S.PLANNED, S.PUBLISHED):
        raise TransitionError(_("The agenda of this meeting can no longer be published."))
    republish = meeting.status == S.PUBLISHED
    if republish and meeting.agenda_changed_at is None:
        raise ServiceError(_("The agenda has not changed since it was published."))
    if not meeting.items:
        raise ServiceError(_("Put at least one case on the agenda before publishing it."))
    stale = [i.case.reference for i in meeting.items if i.case.status not in (CaseStatus.ACCEPTED, CaseStatus.SCHEDULED)]
    if stale:
        raise ServiceError(
            _("These cases are no longer waiting; take them off the agenda first: %(references)s.",
              references=", ".join(stale))
        )
    for item in meeting.items:
        case_services.schedule_case(item.case, actor, meeting_id=meeting.id)
    now = utcnow()
    if republish:
        audit_step("meeting.republish", meeting, actor, {"cases": [i.case_id for i in meeting.items]})
    else:
        transition(meeting, S.PUBLISHED, actor, details={"cases": [i.case_id for i in meeting.items]})
        meeting.agenda_published_at = now
    meeting.agenda_changed_at = None
    meeting.sequence += 1
    base = local_strings(meeting)
    notify(
        [u for u in team_members(meeting.team_id, *TEAM_ROLES) if u.id != actor.id],
        "meeting.agenda_changed" if republish else "meeting.agenda_published",
        {**base, "count": len(meeting.items)},
        meeting_link(meeting),
    )
    for item, owner in invited_owners(meeting):
        notify(
            [owner],
            "meeting.presenting",
            {**local_strings(meeting, item.starts_at), "reference": item.case.reference,
             "minutes": item.duration_minutes},
            meeting_link(meeting),
        )
    db.session.flush()
