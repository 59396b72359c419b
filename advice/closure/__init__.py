"""Closing the case and the three-month evaluation: the owner closes a completed case with its
outcome, three months later says whether the breakthrough holds, and the team notes what it
concluded (``services``, ``models``); the owner's to-do on the home and case page (``notices``)
and the night job that asks for the evaluation (``jobs``). Its pages are on the follow-through
blueprint (``advice.follow_through``), whose endpoints they keep."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casefiles.notices import register_case_notices, register_home_notices
    from core.i18n import N_
    from core.jobs import register as register_job

    from . import jobs, notices

    register_home_notices(app, notices.home_notices)
    register_case_notices(app, notices.case_notices)
    register_job(app, "advice.ask_followup", jobs.ask_evaluation, "cron",
                 N_("Ask for the three-month evaluation"), hour=7, minute=30)
