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


# --- national scale: a fixed number of statements, history a page at a time --------------------

def _bulk(user, n: int, *, read: bool, start: int = 0, same_time: bool = False) -> list[int]:
    """``n`` notifications for ``user`` by one INSERT (a year of messages in a blink); some share
    a creation time so the keyset's tie-break on id is exercised. Returns their ids."""
    from datetime import timedelta

    from core.clock import utcnow

    base = utcnow() - timedelta(days=400)
    rows = [dict(user_id=user.id, kind="case.accepted", context={"reference": f"GOO-2026-{start + i:05d}"},
                 link="/cases/1", created_at=base + timedelta(minutes=0 if same_time else (start + i) // 3),
                 read_at=base + timedelta(days=1) if read else None, email_status=EmailStatus.SENT,
                 email_attempts=1)
            for i in range(n)]
    db.session.execute(sa.insert(Notification), rows)
    db.session.commit()
    return list(db.session.scalars(
        sa.select(Notification.id).where(Notification.user_id == user.id).order_by(Notification.id)
    ))


_REFS = re.compile(r"GOO-2026-\d{5}")


def test_inbox_statements_do_not_grow_with_the_messages(world, login_as, count_queries):
    client = login_as(world.owner)
    _bulk(world.owner, 3, read=False)
    _bulk(world.owner, 2, read=True, start=3)
    with count_queries() as small:
        html = client.get("/notifications/").get_data(as_text=True)
    assert len(set(_REFS.findall(html))) == 5
    _bulk(world.owner, 245, read=False, start=5)
    _bulk(world.owner, 250, read=True, start=250)
    with count_queries() as large:
        html = client.get("/notifications/").get_data(as_text=True)
    assert small.count == large.count, (small.count, large.count)
    assert large.count <= 12
    # The bell and the headings count in SQL: 248 unread, 252 read.
    assert re.search(r'class="badge badge-count">248<', html)
    assert "(248)" in html and "(252)" in html
    # Unread up to one page, then read history a page at a time: never all 500.
    from notifications.views import READ_PAGE, UNREAD_PAGE
    assert len(set(_REFS.findall(html))) == UNREAD_PAGE + READ_PAGE


def _follow(client, url: str, param: str) -> list[str]:
    """Every reference shown in one list of the inbox, following its 'Older' link to the end."""
    seen = []
    pages = 0
    while url:
        html = client.get(url).get_data(as_text=True)
        section = html.split('class="inbox unread-list"' if param == "new" else 'class="inbox read-list"')[1]
        section = section.split("</ul>")[0]
        seen += [_REFS.search(item).group(0) for item in section.split("<li")[1:]]
        nxt = re.search(r'<nav class="pager"[^>]*>.*?href="([^"]*(?:[?&]|&amp;)' + param + r'=[^"#]+)[^"]*" rel="next"',
                        html.split('id="read"')[0].split('id="new"')[1] if param == "new"
                        else html.split('id="read"')[1], re.S)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        pages += 1
        assert pages < 50
    return seen


def test_keyset_paging_shows_every_message_once(world, login_as):
    client = login_as(world.owner)
    _bulk(world.owner, 30, read=True, same_time=True)           # one tie of 30 at the same moment
    _bulk(world.owner, 47, read=True, start=30)
    _bulk(world.owner, 130, read=False, start=77)
    _bulk(world.owner2, 10, read=True, start=500)                # someone else's: never shown
    read = _follow(client, "/notifications/", "read")
    assert sorted(read) == [f"GOO-2026-{i:05d}" for i in range(77)]
    assert len(read) == len(set(read)) == 77
    unread = _follow(client, "/notifications/", "new")
    assert sorted(unread) == [f"GOO-2026-{i:05d}" for i in range(77, 207)]
    # Newest first: the first read message shown is the newest one.
    assert read[0] == "GOO-2026-00076"


def test_jobs_page_pages_runs_and_failed_mail(world, login_as, count_queries):
    from datetime import timedelta

    from core.clock import utcnow

    client = login_as(world.admin)
    now = utcnow()

    def fill(n_runs, n_failed, start=0):
        db.session.execute(sa.insert(JobRun), [
            dict(job_id="notifications.send_pending", started_at=now - timedelta(minutes=start + i),
                 finished_at=now, status=JobRunStatus.OK, summary=f"run {start + i:04d}")
            for i in range(n_runs)])
        db.session.execute(sa.insert(Notification), [
            dict(user_id=world.owner.id, kind="case.accepted", context={}, link="", created_at=now,
                 email_status=EmailStatus.FAILED, email_attempts=5, email_last_error=f"err {start + i:04d}")
            for i in range(n_failed)])
        db.session.commit()

    fill(3, 2)
    with count_queries() as small:
        assert client.get("/notifications/admin/jobs").status_code == 200
    fill(300, 200, start=3)
    with count_queries() as large:
        html = client.get("/notifications/admin/jobs").get_data(as_text=True)
    assert small.count == large.count, (small.count, large.count)
    from notifications.views import FAILED_PAGE, RUNS_PAGE
    assert len(re.findall(r"err \d{4}", html)) == FAILED_PAGE
    assert len(re.findall(r"run \d{4}", html)) == RUNS_PAGE + 1  # and the last run of the job above
    assert ": 202</li>" in html  # the failed e-mails counted in SQL, not the page
    # Every failed e-mail once across the pages.
    seen, url = [], "/notifications/admin/jobs"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += re.findall(r"err \d{4}", page)
        failed_part = page.split('id="failed"')[1].split('id="runs"')[0]
        nxt = re.search(r'href="([^"]*failed=[^"#]+)[^"]*" rel="next"', failed_part)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert sorted(seen) == sorted(f"err {i:04d}" for i in [0, 1, *range(3, 203)])
