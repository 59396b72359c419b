"""The registry of timed jobs. Packages register plain functions here; the scheduler process
(``flask --app expertteam scheduler``) wires them to triggers. Web workers never run them.

A job is ``func(now: datetime) -> str | None``: it takes the current time as an argument (tests
pass a frozen one), works set-based, is safe to run twice, commits its own work and returns a
short human summary of what it did.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JobFunc = Callable[[datetime], "str | None"]


@dataclass(frozen=True)
class Job:
    id: str
    func: JobFunc
    trigger: str
    """APScheduler trigger name: 'interval' or 'cron'."""
    trigger_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""


JOBS: dict[str, Job] = {}


def register(id: str, func: JobFunc, trigger: str, description: str = "", **trigger_args: Any) -> Job:
    """Register a job (idempotent for the same function, so re-imports are harmless)."""
    existing = JOBS.get(id)
    if existing is not None and existing.func is not func:
        raise ValueError(f"job {id!r} registered twice with different functions")
    job = Job(id=id, func=func, trigger=trigger, trigger_args=trigger_args, description=description)
    JOBS[id] = job
    return job
