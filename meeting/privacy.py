"""What the meeting package adds to a case's GDPR export, and what retention clears: the notes
of the case's agenda items, and the case's part of the minutes of those meetings.

Registered with ``core.privacy`` by ``meeting.init_app``. The minutes of a whole meeting are
not part of one household's export (they cover every case of the meeting).
"""
from __future__ import annotations

import sqlalchemy as sa

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


def anonymise_notes(case) -> list[str]:
    """Retention: clear the notes of the case's items and its part of those meetings' minutes."""
    cleared = []
    if db.session.execute(
        sa.update(AgendaItem).where(AgendaItem.case_id == case.id, AgendaItem.notes != "").values(notes="")
    ).rowcount:
        cleared.append("agenda_item.notes")
    meeting_ids = sa.select(AgendaItem.meeting_id).where(AgendaItem.case_id == case.id)
    for meeting in db.session.scalars(sa.select(Meeting).where(Meeting.id.in_(meeting_ids), Meeting.minutes_text != "")):
        stripped = strip_case_from_minutes(meeting.minutes_text, case.reference)
        if stripped != meeting.minutes_text:
            meeting.minutes_text = stripped
            if "minutes" not in cleared:
                cleared.append("minutes")
    db.session.flush()
    return cleared


def register_parts(app) -> None:
    privacy.register_export(app, "meetings", export_meetings)
    privacy.register_anonymiser(app, "meetings", anonymise_notes)
