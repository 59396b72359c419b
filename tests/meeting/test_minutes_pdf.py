"""The closed minutes as PDF/A-2u, for the team's members only."""
from __future__ import annotations

from meeting.attendance import record_attendance
from meeting.minutes import close_minutes
from meeting.session import end_session, mark_discussed, save_notes
from core.db import db
from tests.conftest import login
from tests.pdfcheck import assert_archive_pdf


def test_minutes_pdf(client, world, published):
    meeting = published(2)
    record_attendance(meeting, world.secretary, world.expert.id, "present")
    first = meeting.items[0]
    save_notes(first, world.chair, "Advice: urgency **granted**; café-owner's letter _read_.", 0)
    mark_discussed(first, world.chair)
    end_session(meeting, world.chair)
    db.session.commit()
    url = f"/meetings/{meeting.id}/minutes.pdf"
    login(client, world.secretary)
    assert client.get(url).status_code == 404  # not before the minutes are closed
    close_minutes(meeting, world.secretary)
    db.session.commit()
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    seen = assert_archive_pdf(r.data)
    assert "Advice: urgency granted; café-owner's letter read." in seen["text"]
    assert first.case.reference in seen["text"] and world.expert.name in seen["text"]
    assert "minutes.pdf" in client.get(f"/meetings/{meeting.id}/minutes").get_data(as_text=True)
    login(client, world.owner)  # presents a case, but is not a member of the team
    assert client.get(url).status_code == 404
