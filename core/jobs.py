"""Timed jobs: the registry, the record of every run, and the triggers.

Each package registers its jobs in its ``init_app`` (``register(app, ...)``); the scheduler
process (``flask --app expertteam scheduler``, ``expertteam.scheduler``) wires them to
APScheduler triggers and records every run as a ``JobRun``. Web workers never run them. The
registry lives on the app, so every process that creates the app has the same jobs.

A job is ``func(now: datetime) -> str | None``: it takes the current time as an argument (tests
pass a frozen one), works set-based across all teams, is safe to run twice, commits its own work
and returns a short human summary of what it did.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from flask_babel import gettext, ngettext
from sqlalchemy.orm import Mapped, mapped_column

from .clock import utcnow
from .db import db, enum_column
from .registry import add, registry

JobFunc = Callable[[datetime], "str | None"]
_KEY = "core.jobs"


@dataclass(frozen=True)
class Job:
    id: str
    func: JobFunc
    trigger: str
    """APScheduler trigger name: 'interval' or 'cron'."""
    trigger_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def registered(app: Flask | None = None) -> dict[str, Job]:
    """The app's jobs by id, in registration order (the order of ``expertteam.PACKAGES``)."""
    return registry(_KEY, app)


def register(app: Flask, id: str, func: JobFunc, trigger: str, description: str = "", **trigger_args: Any) -> Job:
    """Register a job on ``app``; the same id for another job is a bug (two packages claiming one name)."""
    job = Job(id=id, func=func, trigger=trigger, trigger_args=trigger_args, description=description)
    return add(_KEY, app, id, job, "job")


# --- triggers ---------------------------------------------------------------------------------

def timezone(app: Flask) -> ZoneInfo:
    """The scheduler's clock for cron triggers (default Europe/Amsterdam)."""
    return ZoneInfo(app.config.get("SCHEDULER_TIMEZONE", "Europe/Amsterdam"))


def make_trigger(job: Job, tz: ZoneInfo) -> BaseTrigger:
    if job.trigger == "interval":
        return IntervalTrigger(timezone=tz, **job.trigger_args)
    if job.trigger == "cron":
        return CronTrigger(timezone=tz, **job.trigger_args)
    raise ValueError(f"job {job.id!r}: unsupported trigger {job.trigger!r}")


def describe_trigger(job: Job) -> str:
    args = ", ".join(f"{k}={v}" for k, v in job.trigger_args.items())
    return f"{job.trigger}[{args}]"


def describe(job: Job) -> str:
    """The job's description in the reader's language (registered in English, marked ``N_``)."""
    return gettext(job.description) if job.description else job.id


_UNITS = ("weeks", "days", "hours", "minutes", "seconds")


def describe_schedule(job: Job) -> str:
    """When the job runs, in words in the reader's language; the trigger's code otherwise."""
    args = job.trigger_args
    if job.trigger == "interval" and len(args) == 1 and next(iter(args)) in _UNITS:
        unit, n = next(iter(args.items()))
        return {
            "weeks": lambda: ngettext("Every week", "Every %(num)d weeks", n),
            "days": lambda: ngettext("Every day", "Every %(num)d days", n),
            "hours": lambda: ngettext("Every hour", "Every %(num)d hours", n),
            "minutes": lambda: ngettext("Every minute", "Every %(num)d minutes", n),
            "seconds": lambda: ngettext("Every second", "Every %(num)d seconds", n),
        }[unit]()
    if job.trigger == "cron" and all(isinstance(v, int) for v in args.values()):
        if set(args) == {"hour", "minute"}:
            return gettext("Every day at %(time)s", time=f"{args['hour']:02d}:{args['minute']:02d}")
        if set(args) == {"minute"}:
            return gettext("Every hour at %(minute)d minutes past", minute=args["minute"])
    return describe_trigger(job)


def next_run(job: Job, last_started: datetime | None, now: datetime, tz: ZoneInfo) -> datetime:
    """When the scheduler runs the job next (assuming it is running)."""
    if job.trigger == "interval":
        interval = timedelta(**{k: v for k, v in job.trigger_args.items() if k in
                                ("weeks", "days", "hours", "minutes", "seconds")})
        if last_started is None:
            return now
        return max(last_started + interval, now)
    fire = make_trigger(job, tz).get_next_fire_time(None, now.astimezone(tz))
    return fire.astimezone(now.tzinfo) if fire else now


# --- runs -------------------------------------------------------------------------------------

class JobRunStatus(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


class JobRun(db.Model):
    """One run of one scheduler job, for the administrator's jobs page."""

    __tablename__ = "job_runs"
    __table_args__ = (sa.Index("ix_job_runs_job_started", "job_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(64))
    """The id the job was registered under, e.g. 'notifications.send_pending'."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]]
    status: Mapped[JobRunStatus] = mapped_column(enum_column(JobRunStatus), default=JobRunStatus.RUNNING)
    """'running' until the job returns; a run left 'running' was interrupted."""
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    """The job's own short account of what it did."""
    error: Mapped[Optional[str]] = mapped_column(sa.String(2000))
    """Exception class and message of a failed run (no traceback, no secrets)."""
