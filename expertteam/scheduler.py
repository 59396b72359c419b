"""The scheduler process: wires the app's registered jobs (``core.jobs``) to APScheduler 3
triggers and records every run as a ``JobRun``.

It runs only in its own process (``flask --app expertteam scheduler``), never in web workers.
Jobs take ``now``, are idempotent and claim their work atomically, so a second scheduler (or a
cron ``--once`` overlapping a running one) does no harm.
"""
from __future__ import annotations

import logging
import signal
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from core import jobs as registry
from core.clock import utcnow
from core.db import db
from core.jobs import JobRun, JobRunStatus, make_trigger

log = logging.getLogger(__name__)

#: A run that comes this late (seconds) is still made; coalesce makes any backlog one run.
MISFIRE_GRACE_TIME = 15 * 60


def _short_error(error: BaseException) -> str:
    """Exception class and message for the jobs page. Database errors carry the statement's
    parameters (possibly case text), so for those only the class and code location are kept."""
    name = type(error).__name__
    if isinstance(error, sa.exc.SQLAlchemyError):
        tb = error.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else ""
        return f"{name} (details withheld){where}"[:2000]
    return f"{name}: {error}"[:2000]


def run_job(app: Flask, job: registry.Job, now: datetime | None = None) -> JobRun:
    """Run one job in its own app context (its own database session) and record the run."""
    with app.app_context():
        run = JobRun(job_id=job.id, started_at=utcnow(), status=JobRunStatus.RUNNING)
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        try:
            summary = job.func(now or utcnow())
            db.session.commit()
        except Exception as error:  # noqa: BLE001 - recorded, logged, and the scheduler goes on
            db.session.rollback()
            log.exception("job %s failed", job.id)
            status, summary, message = JobRunStatus.FAILED, "", _short_error(error)
        else:
            status, summary, message = JobRunStatus.OK, (summary or "")[:500], None
            log.info("job %s: %s", job.id, summary or "done")
        db.session.execute(
            sa.update(JobRun).where(JobRun.id == run_id)
            .values(status=status, summary=summary, error=message, finished_at=utcnow())
        )
        db.session.commit()
        run = db.session.get(JobRun, run_id, populate_existing=True)
        db.session.expunge(run)
        return run


def run_once(app: Flask, job_ids: Iterable[str] = ()) -> list[JobRun]:
    """Run every registered job (or the named ones) once, in registration order."""
    jobs = registry.registered(app)
    wanted = list(job_ids) or list(jobs)
    unknown = [j for j in wanted if j not in jobs]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [run_job(app, jobs[j]) for j in wanted]


def build_scheduler(app: Flask, *, catch_up: bool = True) -> BlockingScheduler:
    """A BlockingScheduler with every registered job.

    ``coalesce`` folds missed runs into one, ``misfire_grace_time`` still makes a late run, and
    ``max_instances=1`` never overlaps a job with itself. With ``catch_up`` each job also runs
    once at start, so a scheduler that was down catches up once, not once per missed run.
    """
    tz = registry.timezone(app)
    scheduler = BlockingScheduler(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_TIME},
    )
    start = datetime.now(tz)
    for job in registry.registered(app).values():
        extra = {"next_run_time": start} if catch_up else {}
        scheduler.add_job(run_job, make_trigger(job, tz), args=(app, job), id=job.id,
                          name=job.description or job.id, **extra)
    return scheduler


def run_forever(app: Flask) -> None:
    """Run the scheduler until Ctrl-C or SIGTERM; a running job is allowed to finish."""
    scheduler = build_scheduler(app)

    def stop(signum, _frame):
        log.info("scheduler: signal %s, stopping", signum)
        scheduler.shutdown(wait=False)

    # Both, explicitly: a process started in the background by a shell ignores SIGINT.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for job in scheduler.get_jobs():
        log.info("scheduler: %s (%s)", job.id, job.trigger)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        if scheduler.running:
            scheduler.shutdown(wait=False)
