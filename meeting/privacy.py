"""What the meeting package adds to a case's GDPR export, and what retention clears.

Registered with ``core.privacy`` by ``meeting.init_app``.
The minutes of a whole meeting are not per case: they mention a case by reference and pseudonym
only and are not part of one household's export; they are not rewritten by retention.
"""
from __future__ import annotations

import sqlalchemy as sa

from core import privacy
from core.db import db

from .models import AgendaItem


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


def anonymise_notes(case) -> list[str]:
    cleared = db.session.execute(
        sa.update(AgendaItem).where(AgendaItem.case_id == case.id, AgendaItem.notes != "").values(notes="")
    ).rowcount
    return ["agenda_item.notes"] if cleared else []


def register_parts(app) -> None:
    privacy.register_export(app, "meetings", export_meetings)
    privacy.register_anonymiser(app, "meetings", anonymise_notes)
