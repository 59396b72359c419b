"""The in-app inbox, the preference page and the administrator's jobs page."""
from __future__ import annotations

import re

import sqlalchemy as sa

from core.db import db
from core.jobs import JobRun, JobRunStatus
from core.models import NotificationPreference
from notifications.models import EmailStatus, Notification
from notifications.services import notify
from tests.conftest import csrf_token, post_form


def _notify(user, reference="GOO-2026-0001", link="/cases/1"):
    [row] = notify([user], "case.accepted", {"reference": reference}, link)
    db.session.commit()
    return row


def test_bell_counts_unread_and_inbox_shows_only_own_messages(world, login_as):
    _notify(world.owner, "GOO-2026-0001")
    _notify(world.owner, "GOO-2026-0002")
    _notify(world.owner2, "GOO-2026-0099")
    client = login_as(world.owner)

    html = client.get("/notifications/").get_data(as_text=True)
    assert re.search(r'class="badge badge-count">2<', html)
    assert "GOO-2026-0001" in html and "GOO-2026-0002" in html
    assert "GOO-2026-0099" not in html


def test_opening_marks_read_and_follows_the_link(world, login_as):
    row = _notify(world.owner, link="/cases/42")
    client = login_as(world.owner)
    r = post_form(client, f"/notifications/{row.id}/open", token_from="/notifications/")
    assert r.status_code == 302 and r.headers["Location"] == "/cases/42"
    db.session.expire_all()
    assert db.session.get(Notification, row.id).read_at is not None


def test_a_user_cannot_open_another_users_notification(world, login_as):
    row = _notify(world.owner2)
    client = login_as(world.owner)
    r = post_form(client, f"/notifications/{row.id}/open", token_from="/notifications/")
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, row.id).read_at is None


def test_mark_all_read_touches_only_own_messages(world, login_as):
    mine = [_notify(world.owner, f"GOO-2026-000{i}") for i in range(3)]
    theirs = _notify(world.owner2)
    client = login_as(world.owner)
    r = post_form(client, "/notifications/read-all", token_from="/notifications/")
    assert r.status_code == 302
    db.session.expire_all()
    assert all(db.session.get(Notification, n.id).read_at for n in mine)
    assert db.session.get(Notification, theirs.id).read_at is None
    assert 'badge-count' not in client.get("/notifications/").get_data(as_text=True)


def test_open_needs_a_csrf_token(world, login_as):
    row = _notify(world.owner)
    client = login_as(world.owner)
    assert client.post(f"/notifications/{row.id}/open").status_code == 400


def test_inbox_needs_sign_in(client):
    r = client.get("/notifications/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_preference_page_saves_the_choice_and_moves_waiting_mail(world, login_as):
    waiting = _notify(world.owner)
    assert waiting.email_status == EmailStatus.PENDING
    client = login_as(world.owner)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    [checked] = re.findall(r'<input[^>]*checked[^>]*>', page)
    assert 'value="immediate"' in checked

    r = post_form(client, "/notifications/preferences", {"preference": "digest"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(world.owner), world.owner.id).notification_preference == NotificationPreference.DIGEST
    assert db.session.get(Notification, waiting.id).email_status == EmailStatus.DIGEST

    r = post_form(client, "/notifications/preferences", {"preference": "nonsense"})
    assert r.status_code == 200  # re-shown with an error
    db.session.expire_all()
    assert db.session.get(type(world.owner), world.owner.id).notification_preference == NotificationPreference.DIGEST


def test_jobs_page_is_for_administrators_only(world, login_as):
    client = login_as(world.chair)
    assert client.get("/notifications/admin/jobs").status_code == 403
    row = _notify(world.owner)
    row.email_status = EmailStatus.FAILED
    db.session.commit()
    r = client.post(f"/notifications/admin/failed/{row.id}/retry",
                    data={"csrf_token": csrf_token(client, "/notifications/")})
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(Notification, row.id).email_status == EmailStatus.FAILED


def test_jobs_page_shows_jobs_runs_and_failed_mail_with_retry(world, login_as):
    from core.clock import utcnow

    row = _notify(world.owner, reference="GOO-2026-0777")
    row.email_status = EmailStatus.FAILED
    row.email_attempts = 5
    row.email_last_error = "SMTPDataError: (451, b'Try again later')"
    db.session.add(JobRun(job_id="notifications.send_pending", started_at=utcnow(), finished_at=utcnow(),
                          status=JobRunStatus.OK, summary="sent 3, to retry 0, failed 0"))
    db.session.commit()
    client = login_as(world.admin)

    html = client.get("/notifications/admin/jobs").get_data(as_text=True)
    for text in ("notifications.send_pending", "notifications.send_digest", "sent 3, to retry 0, failed 0",
                 world.owner.email, "case.accepted", "Try again later"):
        assert text in html, text
    assert "GOO-2026-0777" not in html  # the administrator sees no case content

    r = post_form(client, f"/notifications/admin/failed/{row.id}/retry", token_from="/notifications/admin/jobs")
    assert r.status_code == 302
    db.session.expire_all()
    again = db.session.get(Notification, row.id)
    assert again.email_status == EmailStatus.PENDING and again.email_attempts == 0
