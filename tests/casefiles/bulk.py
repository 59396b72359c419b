"""Bulk history for the scale tests: many cases, meetings, reads and events in a few set-based
statements (the services would take minutes for hundreds of rows; the pages only read them)."""
from __future__ import annotations

import itertools
from datetime import timedelta

import sqlalchemy as sa

from casefiles.models import Case, CaseDomain, CaseStatus, Urgency
from core import audit, privacy
from core.clock import utcnow
from core.db import db
from core.models import Domain

_numbers = itertools.count(1)


def bulk_cases(team, owner, n: int, status: CaseStatus, *, start: int = 0) -> list[int]:
    """``n`` cases of ``owner`` in ``status``; updated (and queued) one minute apart, newest first."""
    now = utcnow()
    rows = []
    for i in range(n):
        k = next(_numbers)
        rows.append({
            "team_id": team.id, "owner_id": owner.id, "year": 1990, "number": k,
            "reference": f"{team.code}-B{k:06d}", "status": status, "household_pseudonym": f"Gezin B{k}",
            "urgency": Urgency.NORMAL, "created_at": now, "updated_at": now - timedelta(minutes=start + i),
            "queued_at": now - timedelta(minutes=start + i) if status == CaseStatus.ACCEPTED else None,
            "closed_at": now if status == CaseStatus.CLOSED else None, "version": 1, "queue_priority": 0,
        })
    db.session.execute(sa.insert(Case), rows)
    ids = list(db.session.scalars(sa.select(Case.id).where(Case.reference.in_([r["reference"] for r in rows]))))
    db.session.execute(sa.insert(CaseDomain), [{"case_id": i, "domain": d} for i in ids for d in (Domain.HOUSING, Domain.DEBT)])
    db.session.commit()
    return ids


def bulk_events(case, actor, n: int, *, start: int = 0) -> None:
    """``n`` audited steps of the case, the odd-numbered ones with a kept text ("Note <i>")."""
    from casefiles.services import keep_text

    for i in range(start, start + n):
        details = keep_text(case, "intake_note", f"Note {i}", actor) if i % 2 else {}
        audit.record("case.update", object_type="case", object_id=case.id, actor=actor, team_id=case.team_id,
                     details=details)
    db.session.commit()


def bulk_reads(case, readers, n: int) -> None:
    """``n`` reads of the case: its own read rows and list page views naming it, alternately."""
    for i in range(n):
        reader = readers[i % len(readers)]
        if i % 2:
            privacy.record_reads([case], reader, "meeting_agenda", team_id=case.team_id, object_id=1)
        else:
            privacy.record_read(case, reader, "detail")
    db.session.commit()


def bulk_meetings(team, n: int, *, status="closed", start_days: int = 1) -> list[int]:
    """``n`` past meetings of the team, one day apart, the newest ``start_days`` days ago."""
    from meeting.models import Meeting, MeetingKind, MeetingStatus

    now = utcnow().replace(microsecond=0)
    rows = []
    for i in range(n):
        starts = now - timedelta(days=start_days + i, hours=1)
        rows.append({
            "team_id": team.id, "kind": MeetingKind.REGULAR, "status": MeetingStatus(status), "starts_at": starts,
            "ends_at": starts + timedelta(hours=3), "slot_at": starts, "cutoff_at": starts - timedelta(days=4),
            "location": "", "cancel_reason": "", "sequence": 0, "minutes_text": "", "minutes_version": 0,
            "created_at": now, "updated_at": now,
        })
    db.session.execute(sa.insert(Meeting), rows)
    db.session.commit()
    return list(db.session.scalars(sa.select(Meeting.id).where(Meeting.team_id == team.id,
                                                                Meeting.starts_at.in_([r["starts_at"] for r in rows]))))


def bulk_items(meeting_ids: list[int], case_ids: list[int]) -> None:
    """Put the cases on the meetings' agendas (discussed), one case per meeting in turn."""
    from meeting.models import AgendaItem, Outcome

    now = utcnow()
    rows = [{"meeting_id": meeting_ids[i % len(meeting_ids)], "case_id": c, "position": 1 + i // len(meeting_ids),
             "starts_at": now, "duration_minutes": 30, "presenter_invited": True, "outcome": Outcome.DISCUSSED,
             "notes": "", "notes_version": 0, "created_at": now}
            for i, c in enumerate(case_ids)]
    db.session.execute(sa.insert(AgendaItem), rows)
    db.session.commit()
