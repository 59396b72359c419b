"""Privacy (GDPR) of a case: its own sections of the article 15 export and its retention steps
(the sub-packages, meeting and advice register theirs with ``core.privacy``), and the retention
job that anonymises closed cases past the team's retention period. The pages (who read a case,
the export) are in ``casefiles.views``; who may see them in ``casefiles.permissions``.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from core import audit
from core.audit import AuditEvent
from core.db import db
from core.models import Team
from core.privacy import (
    ANONYMISED,
    access_log,
    anonymise,
    json_value,
    register_anonymiser,
    register_export,
)
from notifications.models import Notification

from .models import FINAL_STATUSES, Case
from .services import anonymise_messages, timeline

# --- export (GDPR art. 15) --------------------------------------------------------------------

CASE_FIELDS = (
    "reference", "status", "household_pseudonym", "household_composition", "tried", "blockage",
    "household_goal", "question", "proposed_invitees", "urgency", "consent_date", "consent_method",
    "consent_note", "legal_ground", "created_at", "updated_at", "submitted_at", "intake_at", "queued_at",
    "closed_at",
)


def _export_case(case) -> dict:
    data = {f: json_value(getattr(case, f)) for f in CASE_FIELDS}
    data["team"] = case.team.name
    data["owner"] = case.owner.name
    data["domains"] = [d.value for d in case.domain_values]
    data["organisations"] = [o.organisation.name for o in case.organisations]
    return data


def _event(e: AuditEvent) -> dict:
    return {
        "at": json_value(e.at), "action": e.action, "result": e.result,
        "by": e.actor.name if e.actor else None, "details": e.details or {},
    }


def _export_timeline(case) -> list:
    return [{**_event(e), "text": text} for e, text in timeline(case)]


def _export_access(case) -> list:
    return [
        {"at": json_value(e.at), "action": e.action, "by": e.actor.name if e.actor else None,
         "view": (e.details or {}).get("view")}
        for e in reversed(access_log(case))
    ]


def _export_notifications(case) -> list:
    link = f"/cases/{case.id}"
    rows = db.session.scalars(
        sa.select(Notification)
        .where(sa.or_(Notification.link == link, Notification.link.like(link + "/%")))
        .order_by(Notification.created_at, Notification.id)
    ).all()
    return [{"at": json_value(n.created_at), "kind": n.kind, "to": n.user.name, "read_at": json_value(n.read_at)} for n in rows]


# --- retention --------------------------------------------------------------------------------

FREE_TEXT = ("household_composition", "tried", "blockage", "household_goal", "question",
             "proposed_invitees", "consent_note")


def _anonymise_case(case) -> list[str]:
    cleared = []
    if case.household_pseudonym != ANONYMISED:
        case.household_pseudonym = ANONYMISED
        cleared.append("household_pseudonym")
    for name in FREE_TEXT:
        if getattr(case, name):
            setattr(case, name, "")
            cleared.append(name)
    return cleared


def _add_years(when: datetime, years: int) -> datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February
        return when.replace(year=when.year + years, day=28)


def retention_due(now: datetime):
    """Final cases (closed, declined, withdrawn) whose team's retention period has passed."""
    oldest_possible = now - timedelta(days=365)  # no team keeps less than a year
    candidates = db.session.scalars(
        sa.select(Case)
        .join(Team, Team.id == Case.team_id)
        .where(Case.status.in_(list(FINAL_STATUSES)), sa.func.coalesce(Case.closed_at, Case.updated_at) <= oldest_possible)
        .order_by(Case.id)
    ).all()
    for case in candidates:
        ended = case.closed_at or case.updated_at
        if _add_years(ended, max(1, case.team.retention_years)) <= now:
            yield case


def anonymise_expired(now: datetime, dry_run: bool = False) -> str:
    """The retention job: anonymise what is due; audited per case; safe to run twice."""
    done = 0
    for case in list(retention_due(now)):
        cleared = anonymise(case)
        if not cleared:
            continue  # already anonymised: nothing to do, nothing to audit
        done += 1
        if dry_run:
            db.session.rollback()
            continue
        audit.record("case.anonymise", object_type="case", object_id=case.id, actor=None, team_id=case.team_id,
                     details={"fields": cleared, "reason": "retention"})
        db.session.commit()
    if dry_run:
        return f"{done} case(s) due for anonymisation (dry run: nothing changed)"
    return f"{done} case(s) anonymised"


def retention_job(now: datetime) -> str:
    return anonymise_expired(now)


def register_parts(app: Flask) -> None:
    """The case's own sections of the export and its retention steps."""
    register_export(app, "case", _export_case)
    register_export(app, "timeline", _export_timeline)
    register_export(app, "notifications", _export_notifications)
    register_export(app, "access_log", _export_access)
    register_anonymiser(app, "case", _anonymise_case)
    register_anonymiser(app, "case_messages", anonymise_messages)
