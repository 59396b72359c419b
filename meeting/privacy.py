"""What the meeting package adds to a case's GDPR export, and what retention clears: the notes
of the case's agenda items, and the case's part of the minutes of those meetings.

Registered with ``core.privacy`` by ``meeting.init_app``. The minutes of a whole meeting are
not part of one household's export (they cover every case of the meeting).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from casefiles.models import Case
from core import privacy
from core.db import db

from .models import AgendaItem, Meeting


def _items_of(case) -> list[AgendaItem]:
    return list(db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.case_id == case.id).order_by(AgendaItem.id)
        .options(sa.orm.joinedload(AgendaItem.meeting))
    ))


def export_meetings(case) -> list[dict]:
    return [{
        "meeting": item.meeting.starts_at,
        "slot": item.starts_at,
        "outcome": item.outcome.value if item.outcome else None,
        "notes": item.notes,
    } for item in _items_of(case)]


def strip_case_from_minutes(minutes: str, reference: str, marker: str = privacy.ANONYMISED) -> str:
    """The minutes without what they say about one case: the body of the case's item section
    (its heading ``#### n. REFERENCE — outcome`` stays, the text under it up to the next heading
    becomes ``marker``), and any other line that names the case (the secretary may have written
    about it elsewhere) becomes ``marker``. Safe to run twice."""
    out: list[str] = []
    skipping = False
    for line in minutes.split("\n"):
        if line.startswith("#"):
            skipping = False
            out.append(line)
            if line.startswith("####") and reference in line:
                out += ["", marker, ""]
                skipping = True
            continue
        if skipping:
            continue
        out.append(marker if reference in line else line)
    return "\n".join(out)


def anonymise_notes(case_ids: Sequence[int]) -> list[str]:
    """Retention of a batch of cases: clear the notes of their agenda items (one statement) and
    their part of those meetings' minutes (one read of the minutes that name them, each meeting
    stripped of every batch case it holds, one executemany write that also raises the minutes'
    version, so an edit form opened before is refused)."""
    cleared = privacy.clear({
        "agenda_item.notes": sa.update(AgendaItem)
        .where(AgendaItem.case_id.in_(case_ids), AgendaItem.notes != "").values(notes=""),
    })
    rows = db.session.execute(
        sa.select(Meeting.id, Meeting.minutes_text, Case.reference)
        .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .join(Case, Case.id == AgendaItem.case_id)
        .where(AgendaItem.case_id.in_(case_ids), Meeting.minutes_text != "")
        .order_by(Meeting.id, Case.reference)
        .with_for_update(of=Meeting)  # no edit of those minutes between this read and the write
    ).all()
    minutes: dict[int, str] = {}
    references: dict[int, list[str]] = {}
    for meeting_id, text, reference in rows:
        minutes[meeting_id] = text
        references.setdefault(meeting_id, []).append(reference)
    changed = []
    for meeting_id, text in minutes.items():
        stripped = text
        for reference in references[meeting_id]:
            stripped = strip_case_from_minutes(stripped, reference)
        if stripped != text:
            changed.append({"meeting_id": meeting_id, "text": stripped})
    if changed:
        table = Meeting.__table__
        db.session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("meeting_id"))
            .values(minutes_text=sa.bindparam("text"), minutes_version=table.c.minutes_version + 1),
            changed,
        )
        cleared.append("minutes")
    return cleared


def register_parts(app) -> None:
    privacy.register_export(app, "meetings", export_meetings)
    privacy.register_anonymiser(app, "meetings", anonymise_notes)
