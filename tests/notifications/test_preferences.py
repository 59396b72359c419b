"""Per-user e-mail preferences, kinds that always e-mail, and the daily digest."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.db import db
from core.models import NotificationPreference as Pref
from notifications import jobs
from notifications.kinds import Kind, register, registered
from notifications.models import EmailStatus, Notification, NotificationDigest
from notifications.services import notify

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def always_kind(app):
    kind = Kind(_l("Action for case %(reference)s refused"), _l("Decide how to proceed."), always_email=True)
    register(app, "test.action_refused", kind)
    yield "test.action_refused"
    registered(app).pop("test.action_refused", None)


def _user(make_user, pref: Pref, **kw):
    user = make_user(**kw)
    user.notification_preference = pref
    db.session.commit()
    return user


def test_preference_decides_how_mail_goes(make_user, always_kind):
    immediate = _user(make_user, Pref.IMMEDIATE)
    digest = _user(make_user, Pref.DIGEST)
    in_app = _user(make_user, Pref.IN_APP)

    rows = notify([immediate, digest, in_app], "case.accepted", {"reference": "R-1"}, "/cases/1")
    assert [r.email_status for r in rows] == [EmailStatus.PENDING, EmailStatus.DIGEST, EmailStatus.NONE]
    assert rows[0].email_next_attempt_at is not None

    always = notify([immediate, digest, in_app], always_kind, {"reference": "R-1"}, "/cases/1")
    assert [r.email_status for r in always] == [EmailStatus.PENDING] * 3


def test_notify_skips_inactive_duplicates_and_unknown_kinds(make_user):
    user = make_user()
    gone = make_user()
    gone.active = False
    assert len(notify([user, user, gone, None], "case.accepted", {"reference": "R"}, "/cases/1")) == 1
    with pytest.raises(KeyError):
        notify([user], "no.such.kind", {}, "")
    with pytest.raises(ValueError):
        notify([user], "case.accepted", {"reference": "R"}, "https://evil.example/")


def test_registering_a_kind_twice(app, always_kind):
    register(app, always_kind, registered(app)[always_kind])  # same kind again: harmless
    with pytest.raises(ValueError):
        register(app, always_kind, Kind(_l("Other"), _l("Other")))


def test_in_app_only_sends_no_mail(make_user, smtp_server):
    user = _user(make_user, Pref.IN_APP)
    notify([user], "case.accepted", {"reference": "R"}, "/cases/1")
    db.session.commit()
    jobs.send_pending(datetime.now(AMS))
    jobs.send_digest(datetime(2026, 3, 3, 9, 0, tzinfo=AMS))
    assert smtp_server.messages == []


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=AMS)


def _digest_rows(user_id: int, **values):
    db.session.execute(sa.update(Notification).where(Notification.user_id == user_id).values(**values))
    db.session.commit()


def test_daily_digest_once_per_user_per_day(make_user, smtp_server):
    anna = _user(make_user, Pref.DIGEST, email="anna@example.test", locale="en")
    bob = _user(make_user, Pref.DIGEST, email="bob@example.test")
    for i in range(3):
        notify([anna], "case.accepted", {"reference": f"GOO-2026-000{i}"}, f"/cases/{i}")
    notify([bob], "case.declined", {"reference": "GOO-2026-0100"}, "/cases/100")
    db.session.commit()
    _digest_rows(anna.id, created_at=_at(2, 15))
    _digest_rows(bob.id, created_at=_at(2, 15))

    assert jobs.send_digest(_at(3, 6)).startswith("before the digest hour")
    assert smtp_server.messages == []

    assert jobs.send_digest(_at(3, 7)) == "digests sent 2, failed 0"
    by_rcpt = {m.rcpt_tos[0]: m for m in smtp_server.messages}
    assert set(by_rcpt) == {"anna@example.test", "bob@example.test"}
    anna_mail = by_rcpt["anna@example.test"]
    assert anna_mail.message["Subject"] == "Expertteam: 3 new messages"
    for i in range(3):
        assert f"Case GOO-2026-000{i} accepted" in anna_mail.text
        assert f"http://expertteam.test/cases/{i}" in anna_mail.text
    db.session.expire_all()
    assert {n.email_status for n in db.session.scalars(sa.select(Notification))} == {EmailStatus.SENT}

    # A new message the same day waits for tomorrow; a second run sends nothing more.
    [late] = notify([anna], "case.accepted", {"reference": "GOO-2026-0200"}, "/cases/200")
    late.created_at = _at(3, 11)
    db.session.commit()
    assert jobs.send_digest(_at(3, 12)) == "digests sent 0, failed 0"
    assert len(smtp_server.messages) == 2
    assert jobs.send_digest(_at(4, 7)) == "digests sent 1, failed 0"
    assert smtp_server.messages[-1].message["Subject"] == "Expertteam: 1 new message"
    assert db.session.scalar(sa.select(sa.func.count(NotificationDigest.id))) == 3


def test_failed_digest_is_retried_later_the_same_day(app, make_user, smtp_server):
    user = _user(make_user, Pref.DIGEST, email="carol@example.test")
    notify([user], "case.accepted", {"reference": "GOO-2026-0001"}, "/cases/1")
    db.session.commit()
    _digest_rows(user.id, created_at=_at(2, 15))
    smtp_server.handler.reject_with = "451 4.3.0 Try again later"

    assert jobs.send_digest(_at(3, 7)) == "digests sent 0, failed 1"
    db.session.expire_all()
    [row] = db.session.scalars(sa.select(Notification)).all()
    assert row.email_status == EmailStatus.DIGEST and row.email_attempts == 1
    assert row.email_next_attempt_at == _at(3, 7) + timedelta(seconds=60)
    assert db.session.scalar(sa.select(sa.func.count(NotificationDigest.id))) == 0

    smtp_server.handler.reject_with = None
    assert jobs.send_digest(_at(3, 8)) == "digests sent 1, failed 0"
    assert jobs.send_digest(_at(3, 9)) == "digests sent 0, failed 0"
    assert len(smtp_server.messages) == 1
