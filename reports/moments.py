"""The first moments per case behind the pilot figures' lead times and costs (``reports.figures``),
read by the period: when a case was first discussed at a meeting, first advised and first
completed.

"First X in the period" is read as: the X of the period (a range of an index), kept when the case
has no X before the period (an index look-up per case). That is the same as "the first X of all
falls in the period", without reading the team's history. The moments of the other end of a
lead time are read for the cases found only (``discussed_of``, ``issued_of``).
"""
from __future__ import annotations

import sqlalchemy as sa

from advice.models import Advice
from casefiles.models import Case
from core.audit import AuditEvent
from core.period import Period
from meeting.models import AgendaItem, Meeting, Outcome


def _alias(model):
    """A second copy of a model's table for the "earlier" look-ups (a table alias: cheap to
    build, unlike an ORM alias of the mapped class)."""
    return model.__table__.alias().c


def _discussed_at(item, meeting):
    """When an agenda item was marked discussed: its ``outcome_at``, else the meeting's start."""
    return sa.func.coalesce(item.outcome_at, meeting.starts_at)


def _discussed_before(team_id: int, case_id, moment):
    """Whether the case was discussed at one of the team's meetings before ``moment``."""
    item, meeting = _alias(AgendaItem), _alias(Meeting)
    return sa.exists().where(item.case_id == case_id, item.outcome == Outcome.DISCUSSED,
                             meeting.id == item.meeting_id, meeting.team_id == team_id,
                             _discussed_at(item, meeting) < moment)


def first_discussed_in(team_id: int, period: Period):
    """case_id → the moment it was first marked discussed, for the cases whose first discussion
    falls in the period: the discussed items of the period (by ``outcome_at``,
    ``ix_agenda_items_discussed``; without it by the meeting's start, the team's meetings of
    the period), of cases not discussed before."""
    recorded = (
        sa.select(AgendaItem.case_id.label("case_id"), AgendaItem.outcome_at.label("at"))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.outcome == Outcome.DISCUSSED, period.contains(AgendaItem.outcome_at),
               Meeting.team_id == team_id)
    )
    unrecorded = (
        sa.select(AgendaItem.case_id, Meeting.starts_at)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(Meeting.team_id == team_id, period.contains(Meeting.starts_at),
               AgendaItem.outcome == Outcome.DISCUSSED, AgendaItem.outcome_at.is_(None))
    )
    items = sa.union_all(recorded, unrecorded).subquery("discussed_in_period")
    return (
        sa.select(items.c.case_id, sa.func.min(items.c.at).label("at"))
        .where(~_discussed_before(team_id, items.c.case_id, period.start_utc))
        .group_by(items.c.case_id)
        .cte("first_discussed")
    )


def discussed_of(team_id: int, case_ids):
    """case_id → the moment it was first marked discussed, for the cases of ``case_ids`` (a
    select of case ids; read per case)."""
    return (
        sa.select(AgendaItem.case_id.label("case_id"),
                  sa.func.min(_discussed_at(AgendaItem, Meeting)).label("at"))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.case_id.in_(case_ids), AgendaItem.outcome == Outcome.DISCUSSED,
               Meeting.team_id == team_id)
        .group_by(AgendaItem.case_id)
        .subquery("discussed")
    )


def first_issued_in(team_id: int, period: Period):
    """case_id → the first issuing of any advice version, for the team's cases first advised in
    the period: the advice issued in the period (``ix_advice_issued_at``) of cases without an
    advice issued before."""
    earlier = _alias(Advice)
    return (
        sa.select(Advice.case_id.label("case_id"), sa.func.min(Advice.issued_at).label("at"))
        .join(Case, Case.id == Advice.case_id)
        .where(Case.team_id == team_id, period.contains(Advice.issued_at),
               # By the team's case (not the advice): checked after the team's cases are picked.
               ~sa.exists().where(earlier.case_id == Case.id, earlier.issued_at < period.start_utc))
        .group_by(Advice.case_id)
        .cte("first_issued")
    )


def issued_of(team_id: int, case_ids):
    """case_id → the first issuing of any advice version, for the team's cases of ``case_ids``."""
    return (
        sa.select(Advice.case_id.label("case_id"), sa.func.min(Advice.issued_at).label("at"))
        .join(Case, Case.id == Advice.case_id)
        .where(Advice.case_id.in_(case_ids), Case.team_id == team_id, Advice.issued_at.is_not(None))
        .group_by(Advice.case_id)
        .subquery("issued")
    )


def first_completed_in(team_id: int, period: Period):
    """case_id → the first 'case.complete' audit event, for the cases first completed in the
    period: the team's events of the period (one range of the ``(team_id, action, at)`` index; a
    case's events carry its team) of cases without one before (``ix_audit_events_object``)."""
    earlier = _alias(AuditEvent)
    return (
        sa.select(AuditEvent.object_id.label("case_id"), sa.func.min(AuditEvent.at).label("at"))
        .where(AuditEvent.team_id == team_id, AuditEvent.action == "case.complete",
               # An expression, as in ``flow``: checked on the rows of the range above.
               sa.func.coalesce(AuditEvent.object_type, "") == "case",
               period.contains(AuditEvent.at),
               ~sa.exists().where(earlier.object_type == "case", earlier.object_id == AuditEvent.object_id,
                                  earlier.team_id == team_id, earlier.action == "case.complete",
                                  earlier.at < period.start_utc))
        .group_by(AuditEvent.object_id)
        .cte("first_completed")
    )
