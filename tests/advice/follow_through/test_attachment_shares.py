"""Organisation contacts see only the case files the chair shared with one of their actions."""
from __future__ import annotations

import io

import sqlalchemy as sa

from advice.follow_through.models import ActionAttachment
from casefiles.attachments.services import attach
from core import privacy
from core.audit import AuditEvent
from core.db import db
from tests.casefiles.attachments import files
from tests.conftest import csrf_token, login


def test_chair_shares_a_file_with_one_action(client, aw, issued):
    advice = issued()
    case = advice.case
    letter = attach(case, aw.owner, "brief corporatie.pdf", io.BytesIO(files.PDF))
    consent = attach(case, aw.owner, "toestemming.pdf", io.BytesIO(files.PDF + b"%2"))
    db.session.commit()
    housing = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    url = f"/advice/{advice.id}/attachments"
    login(client, aw.secretary)
    assert client.get(url).status_code == 403  # the chair shares
    login(client, aw.chair)
    assert url in client.get(f"/advice/{advice.id}").get_data(as_text=True)  # the chair's way there
    r = client.post(url, data={"csrf_token": csrf_token(client, url), "share": [f"{letter.id}-{housing.id}", "999-1", "x"]})
    assert r.status_code == 302
    assert db.session.execute(sa.select(ActionAttachment.attachment_id, ActionAttachment.action_id)).all() == [(letter.id, housing.id)]
    shared = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "advice.attachments_shared"))
    assert shared.details == {"added": [[letter.id, housing.id]], "removed": []}

    # The housing organisation's contact sees the shared file on the action page and may read it.
    login(client, aw.contact)
    page = client.get(f"/advice/actions/{housing.id}").get_data(as_text=True)
    assert "brief corporatie.pdf" in page and "toestemming.pdf" not in page
    assert client.get(f"/attachments/{letter.id}/download").data == files.PDF
    assert client.get(f"/attachments/{consent.id}/download").status_code == 404
    assert client.get(f"/cases/{case.id}/attachments").status_code == 404  # not the case's list
    login(client, aw.contact2)  # the other organisation's contact: nothing shared with them
    assert client.get(f"/attachments/{letter.id}/download").status_code == 404
    login(client, aw.other_team_contact)  # same organisation, other team
    assert client.get(f"/attachments/{letter.id}/download").status_code == 404

    # Retention removes the file and, with it, the share.
    privacy.anonymise([case.id])
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionAttachment)) == 0
