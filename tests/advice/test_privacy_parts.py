"""Advice and meeting parts of the GDPR export and of retention."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from advice.guard import ImmutableAdviceError
from advice.models import AdviceStatus
from casefiles import privacy as case_privacy
from casefiles.models import CaseStatus
from core import privacy
from core.db import db
from meeting.models import AgendaItem


def test_export_holds_the_advice_and_the_meeting_notes(aw, issued):
    advice = issued()
    item = db.session.scalars(sa.select(AgendaItem).where(AgendaItem.case_id == advice.case_id)).one()
    item.notes = "Besproken: urgentie nu."
    db.session.commit()
    data = privacy.build_export(advice.case)
    version = data["advice"]["versions"][0]
    assert version["advice"] == "Grant urgency now; settle the debt in parallel."
    assert version["content_hash"] == advice.content_hash
    assert {a["what"] for a in version["actions"]} == {"Offer a home within two weeks.", "Start treatment."}
    assert data["meetings"][0]["notes"] == "Besproken: urgentie nu."


def test_retention_clears_issued_advice_text_and_notes_but_nothing_else_may(aw, issued):
    advice = issued()
    case = advice.case
    item = db.session.scalars(sa.select(AgendaItem).where(AgendaItem.case_id == case.id)).one()
    item.notes = "Besproken: urgentie nu."
    case.status = CaseStatus.CLOSED
    case.closed_at = datetime(2020, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    stored_hash = advice.content_hash

    # Outside retention an issued advice cannot change.
    advice.advice_text = "rewritten"
    with pytest.raises(ImmutableAdviceError):
        db.session.flush()
    db.session.rollback()

    assert case_privacy.anonymise_expired(datetime(2026, 1, 1, tzinfo=timezone.utc)) == "1 case(s) anonymised"
    db.session.expire_all()
    assert advice.status == AdviceStatus.ISSUED and advice.content_hash == stored_hash
    assert advice.advice_text == advice.situation == advice.blockage == ""
    assert all(a.description == "" for a in advice.actions)
    assert item.notes == ""
