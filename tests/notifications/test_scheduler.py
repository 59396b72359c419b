"""The scheduler process: --once, job runs, triggers, and the development mail sink."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from core import jobs as registry
from core.db import db
from core.jobs import JobRun, JobRunStatus
from expertteam import scheduler
from notifications.models import EmailStatus, Notification
from notifications.services import notify

from .conftest import free_port


def test_scheduler_once_runs_every_job_and_records_the_runs(app, world, smtp_server):
    notify([world.owner], "case.accepted", {"reference": "GOO-2026-0001"}, "/cases/1")
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])

    assert result.exit_code == 0, result.output
    assert "notifications.send_pending: ok — sent 1" in result.output
    assert len(smtp_server.messages) == 1
    runs = db.session.scalars(sa.select(JobRun).order_by(JobRun.id)).all()
    assert {r.job_id for r in runs} >= {"notifications.send_pending", "notifications.send_digest", "notifications.cleanup"}
    assert all(r.status == JobRunStatus.OK and r.finished_at for r in runs)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Notification.email_status)) == EmailStatus.SENT


@pytest.fixture
def broken_job(app):
    def explode(now):
        raise RuntimeError("database on fire")

    job = registry.register(app, "test.broken", explode, "interval", minutes=5)
    yield job
    registry.registered(app).pop("test.broken", None)


def test_a_failing_job_is_recorded_and_exits_non_zero(app, broken_job):
    result = app.test_cli_runner().invoke(args=["scheduler", "--once", "--job", "test.broken"])
    assert result.exit_code == 1
    [run] = db.session.scalars(sa.select(JobRun)).all()
    assert run.job_id == "test.broken" and run.status == JobRunStatus.FAILED
    assert run.error == "RuntimeError: database on fire"


def test_unknown_job_is_a_usage_error(app):
    result = app.test_cli_runner().invoke(args=["scheduler", "--once", "--job", "no.such.job"])
    assert result.exit_code == 2 and "no.such.job" in result.output


def test_scheduler_catches_up_once_and_never_overlaps(app):
    sched = scheduler.build_scheduler(app)
    defaults = sched._job_defaults  # APScheduler 3 keeps them here until the jobs are added
    assert defaults["coalesce"] is True
    assert defaults["max_instances"] == 1
    assert defaults["misfire_grace_time"] == scheduler.MISFIRE_GRACE_TIME
    ids = {job.id for job in sched.get_jobs()}
    assert {"notifications.send_pending", "notifications.send_digest"} <= ids
    assert all(job.next_run_time is not None for job in sched.get_jobs() if hasattr(job, "next_run_time"))


def test_web_app_does_not_start_a_scheduler(app, client):
    import threading

    client.get("/healthz")
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name or "apscheduler" in repr(t)]


def test_next_run_follows_the_trigger(app):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Amsterdam")
    jobs = registry.registered(app)
    now = datetime(2026, 3, 3, 10, 20, tzinfo=tz)
    assert registry.next_run(jobs["notifications.send_digest"], None, now, tz) == datetime(2026, 3, 3, 11, 10, tzinfo=tz)
    assert registry.next_run(jobs["notifications.send_pending"], now - timedelta(seconds=30), now, tz) == now + timedelta(seconds=30)


def test_mail_sink_prints_and_keeps_messages(tmp_path):
    from notifications import mailsink

    port = free_port()
    printed: list[str] = []
    log = tmp_path / "mail.log"
    controller = mailsink.start("127.0.0.1", port, log, echo=printed.append)
    try:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@example.test", "b@example.test", "Hello sink"
        msg.set_content("Open http://expertteam.test/cases/1")
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            smtp.send_message(msg)
    finally:
        controller.stop()
    assert "Subject: Hello sink" in printed[0] and "cases/1" in printed[0]
    assert "Subject: Hello sink" in log.read_text()


def test_database_errors_of_a_job_keep_their_parameters_out_of_the_record(app):
    def leaky(now):
        db.session.execute(sa.text("SELECT no_such_column FROM users WHERE name = :n"), {"n": "Gezin Jansen"})

    job = registry.register(app, "test.leaky", leaky, "interval", minutes=5)
    try:
        run = scheduler.run_job(app, job)
    finally:
        registry.registered(app).pop("test.leaky", None)
    assert run.status == JobRunStatus.FAILED
    assert run.error.startswith(("OperationalError (details withheld)", "ProgrammingError (details withheld)"))
    assert "Gezin Jansen" not in run.error


def test_once_exits_non_zero_when_every_delivery_failed_and_keeps_the_messages(app, world):
    """Nothing listens on the test configuration's mail port: the run fails for cron to see,
    and the message is kept for the next run."""
    notify([world.owner], "case.accepted", {"reference": "GOO-2026-0001"}, "/cases/1")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["scheduler", "--once", "--job", "notifications.send_pending"])
    assert result.exit_code == 1
    assert "DeliveryFailed: sent 0, to retry 1, failed 0" in result.output
    db.session.expire_all()
    kept = db.session.scalars(sa.select(Notification)).one()
    assert kept.email_status == EmailStatus.PENDING and kept.email_attempts == 1 and kept.email_next_attempt_at


def test_once_exits_zero_when_nothing_is_due(app, world):
    result = app.test_cli_runner().invoke(args=["scheduler", "--once", "--job", "notifications.send_pending"])
    assert result.exit_code == 0 and "sent 0, to retry 0, failed 0" in result.output
