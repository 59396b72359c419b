"""E-mail delivery against a real SMTP server on loopback."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.db import db
from notifications import jobs
from notifications.models import EmailStatus, Notification
from notifications.services import notify


def rows() -> list[Notification]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()


def test_returned_case_mails_the_owner_in_english_with_a_link(world, make_user, create_case, smtp_server):
    owner = make_user("case_owner", team=world.team, name="Ann English", email="ann@example.test", locale="en")
    case = create_case("returned", owner=owner)

    # The owner, and the chair and secretary who got the submission.
    assert jobs.send_pending(utcnow()).startswith("sent 3,")

    [mail] = [m for m in smtp_server.messages if m.rcpt_tos == ["ann@example.test"]]
    msg = mail.message
    assert msg["To"] == "Ann English <ann@example.test>"
    assert msg["Subject"] == f"Case {case.reference} returned for more information"
    assert msg["Content-Language"] == "en"
    assert msg["Message-ID"].startswith("<notification-")
    assert f"http://expertteam.test/cases/{case.id}" in mail.text
    assert f'href="http://expertteam.test/cases/{case.id}"' in mail.html
    assert '<html lang="en">' in mail.html
    assert "Please complete it and submit it again." in mail.text
    # The least case detail: the reference and what to do, never the household.
    for household_detail in ("Gezin Test", "Mother (34)", "debt counsellor"):
        assert household_detail not in msg.as_string()
    [row] = [n for n in rows() if n.user_id == owner.id]
    assert row.email_status == EmailStatus.SENT and row.email_sent_at is not None
    assert row.email_attempts == 1 and row.email_claimed_by is None


def test_dutch_user_gets_the_mail_rendered_in_dutch(world, make_user, smtp_server):
    user = make_user(name="Bram", email="bram@example.test", locale="nl")
    notify([user], "case.accepted", {"reference": "GOO-2026-0003"}, "/cases/3")
    db.session.commit()

    jobs.send_pending(utcnow())

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["bram@example.test"]
    assert mail.message["Content-Language"] == "nl"
    assert '<html lang="nl">' in mail.html  # rendered under force_locale("nl")
    assert mail.message["Subject"] == "Casus GOO-2026-0003 geaccepteerd"
    assert "Beste Bram," in mail.text
    assert "http://expertteam.test/cases/3" in mail.text


def test_failing_server_is_retried_with_backoff_then_marked_failed(app, world, smtp_server):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    app.config["MAIL_RETRY_DELAYS"] = (60, 300)
    smtp_server.handler.reject_with = "451 4.3.0 Try again later"
    notify([world.owner], "case.accepted", {"reference": "GOO-2026-0001"}, "/cases/1")
    db.session.commit()
    now = utcnow()

    jobs.send_pending(now)
    [row] = rows()
    assert row.email_status == EmailStatus.PENDING
    assert row.email_attempts == 1
    assert row.email_next_attempt_at == now + timedelta(seconds=60)
    assert "451" in row.email_last_error and "SMTPDataError" in row.email_last_error

    assert jobs.send_pending(now + timedelta(seconds=59)).startswith("sent 0, to retry 0")  # not due yet
    jobs.send_pending(now + timedelta(seconds=60))
    [row] = rows()
    assert row.email_attempts == 2
    assert row.email_next_attempt_at == now + timedelta(seconds=60 + 300)

    assert "failed 1" in jobs.send_pending(now + timedelta(seconds=360))
    [row] = rows()
    assert row.email_status == EmailStatus.FAILED
    assert row.email_attempts == 3 and row.email_next_attempt_at is None
    assert row.email_last_error.startswith("SMTPDataError")
    assert smtp_server.messages == []

    # Nothing lost: an administrator's retry delivers it once the server is back.
    from notifications.services import retry_failed

    smtp_server.handler.reject_with = None
    assert retry_failed() == 1
    db.session.commit()
    jobs.send_pending(utcnow())
    assert len(smtp_server.messages) == 1
    assert rows()[0].email_status == EmailStatus.SENT


def test_no_listener_counts_as_a_failed_attempt(app, world):
    # conftest points MAIL_PORT at port 1, where nothing listens.
    notify([world.owner], "case.accepted", {"reference": "GOO-2026-0001"}, "/cases/1")
    db.session.commit()
    jobs.send_pending(utcnow())
    [row] = rows()
    assert row.email_status == EmailStatus.PENDING and row.email_attempts == 1
    assert "ConnectionRefusedError" in row.email_last_error
    assert app.config.get("MAIL_PASSWORD") is None or app.config["MAIL_PASSWORD"] not in row.email_last_error


def test_last_error_never_contains_the_smtp_password(app, world):
    from notifications.mail import describe_error

    app.config["MAIL_PASSWORD"] = "s3cret-pw"
    assert "s3cret-pw" not in describe_error(RuntimeError("auth failed for s3cret-pw"))
    assert len(describe_error(RuntimeError("x" * 2000))) == 500


def test_a_rolled_back_change_queues_nothing(world, create_case, smtp_server):
    from casefiles import services

    case = create_case("submitted")
    db.session.execute(sa.delete(Notification))
    db.session.commit()

    services.return_case(case, world.chair, message="Please add the debt overview.")
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1  # flushed in the transaction
    db.session.rollback()

    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    jobs.send_pending(utcnow())
    assert smtp_server.messages == []


@pytest.mark.parametrize("rounds", [8])
def test_two_concurrent_senders_send_each_message_once(app, world, make_user, smtp_server, rounds):
    app.config["MAIL_BATCH_SIZE"] = 4
    smtp_server.handler.delay = 0.002
    users = [make_user(email=f"c{i}@example.test") for i in range(6)]
    for i in range(4):
        notify(users, "case.accepted", {"reference": f"GOO-2026-{i:04d}"}, f"/cases/{i}")
    db.session.commit()
    expected = 24
    now = utcnow()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sender():
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(rounds):
                    jobs.send_pending(now)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors

    ids = [m.message["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == expected
    assert len(set(ids)) == expected  # each message exactly once
    assert {n.email_status for n in rows()} == {EmailStatus.SENT}


def test_claims_are_exclusive(world, make_user):
    notify([world.owner, world.chair, world.expert], "case.accepted", {"reference": "R"}, "/cases/1")
    db.session.commit()
    now = utcnow()
    assert jobs.claim_pending(now, "first", 2) == 2
    assert jobs.claim_pending(now, "second", 10) == 1
    assert jobs.claim_pending(now, "third", 10) == 0
    claimed = {n.email_claimed_by for n in rows()}
    assert claimed == {"first", "second"}


def test_a_dead_senders_claims_are_recovered_without_double_sending(app, world, smtp_server):
    notify([world.owner, world.chair], "case.accepted", {"reference": "GOO-2026-0009"}, "/cases/9")
    db.session.commit()
    now = utcnow()
    crashed = now - timedelta(minutes=20)
    never_started, in_flight = rows()
    db.session.execute(sa.update(Notification).values(
        email_status=EmailStatus.SENDING, email_claimed_by="dead-run", email_claimed_at=crashed))
    # The dead run had handed the second message to SMTP when it stopped.
    db.session.execute(sa.update(Notification).where(Notification.id == in_flight.id)
                       .values(email_attempt_started_at=crashed))
    db.session.commit()

    # A fresh claim is not touched ...
    assert jobs.release_stale(crashed + timedelta(minutes=5)) == (0, 0)
    # ... a stale one is.
    summary = jobs.send_pending(now)
    assert "recovered 1, delivery unknown 1" in summary

    assert [m.rcpt_tos for m in smtp_server.messages] == [[world.owner.email]]
    by_id = {n.id: n for n in rows()}
    assert by_id[never_started.id].email_status == EmailStatus.SENT
    assert by_id[in_flight.id].email_status == EmailStatus.FAILED  # at most once: for an admin
    assert by_id[in_flight.id].email_last_error == jobs.UNKNOWN_DELIVERY
    jobs.send_pending(now + timedelta(hours=1))
    assert len(smtp_server.messages) == 1


def test_a_sender_that_lost_its_claim_does_not_send(world):
    notify([world.owner], "case.accepted", {"reference": "R"}, "/cases/1")
    db.session.commit()
    now = utcnow()
    jobs.claim_pending(now, "slow-run", 10)
    [row] = rows()
    jobs.release_stale(now + timedelta(hours=1))  # someone decided the slow run was dead
    assert jobs._start_attempt([row.id], "slow-run", now) is False
