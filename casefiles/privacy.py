"""Privacy (GDPR) of a case: who read it, the article 15 export and retention (anonymising
closed cases past the team's retention period). The case's own parts of the export and of
retention are registered here; meeting, advice and the sub-packages register theirs
(``core.privacy``).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, render_template, request
from flask_login import current_user, login_required

from core import audit
from core.audit import AuditEvent
from core.db import db
from core.models import Role, Team, User
from core.privacy import (
    ACCESS,
    ANONYMISED,
    access_log,
    anonymise,
    build_export,
    json_value,
    register_anonymiser,
    register_export,
)

bp = Blueprint("privacy", __name__)


def _case_for(case_id: int):
    from casefiles import permissions
    from casefiles.models import Case

    case = db.session.get(Case, case_id)
    if case is None or not permissions.can_view(current_user, case):
        abort(404)
    return case


def can_see_reads(user: User, case) -> bool:
    return user.has_role(case.team_id, Role.CHAIR)


def can_export(user: User, case) -> bool:
    """The case owner (who speaks for the household) and the team's chair or secretary."""
    from casefiles import permissions

    owner = case.owner_id == user.id and user.has_role(case.team_id, Role.CASE_OWNER)
    return owner or permissions.is_lead(user, case.team_id)


@bp.get("/cases/<int:case_id>/reads")
@login_required
def reads(case_id: int):
    case = _case_for(case_id)
    if not can_see_reads(current_user, case):
        abort(403)
    events = access_log(case)
    audit.record("case.read_log", object_type=ACCESS, object_id=case.id, actor=current_user, team_id=case.team_id,
                 details={"reference": case.reference, "view": "access_log"})
    db.session.commit()
    return render_template("casefiles/reads.html", case=case, events=events)


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
    from casefiles.services import timeline

    return [{**_event(e), "text": text} for e, text in timeline(case)]


def _export_access(case) -> list:
    return [
        {"at": json_value(e.at), "action": e.action, "by": e.actor.name if e.actor else None,
         "view": (e.details or {}).get("view")}
        for e in reversed(access_log(case))
    ]


def _export_notifications(case) -> list:
    from notifications.models import Notification

    link = f"/cases/{case.id}"
    rows = db.session.scalars(
        sa.select(Notification)
        .where(sa.or_(Notification.link == link, Notification.link.like(link + "/%")))
        .order_by(Notification.created_at, Notification.id)
    ).all()
    return [{"at": json_value(n.created_at), "kind": n.kind, "to": n.user.name, "read_at": json_value(n.read_at)} for n in rows]




@bp.get("/cases/<int:case_id>/export")
@login_required
def export(case_id: int):
    """JSON (``?format=json``, a download) or a readable HTML page; re-authentication first
    (``security.REAUTH_ENDPOINTS``); audited."""
    case = _case_for(case_id)
    if not can_export(current_user, case):
        abort(403)
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "json"):
        abort(400)
    data = build_export(case)
    audit.record("case.export", object_type=ACCESS, object_id=case.id, actor=current_user, team_id=case.team_id,
                 details={"reference": case.reference, "view": f"export_{fmt}"})
    db.session.commit()
    if fmt == "json":
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2),
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{case.reference}-export.json"'},
        )
    return render_template("casefiles/export.html", case=case, data=data)


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




def _anonymise_case_messages(case) -> list[str]:
    from casefiles.services import anonymise_messages

    return anonymise_messages(case)




def _anonymise_map_and_holds(case) -> list[str]:
    from casefiles.services import anonymise_map_and_holds

    return anonymise_map_and_holds(case, ANONYMISED)




def _add_years(when: datetime, years: int) -> datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February
        return when.replace(year=when.year + years, day=28)


def retention_due(now: datetime):
    """Final cases (closed, declined, withdrawn) whose team's retention period has passed."""
    from casefiles.models import Case, CaseStatus

    final = [CaseStatus.CLOSED, CaseStatus.DECLINED, CaseStatus.WITHDRAWN]
    oldest_possible = now - timedelta(days=365)  # no team keeps less than a year
    candidates = db.session.scalars(
        sa.select(Case)
        .join(Team, Team.id == Case.team_id)
        .where(Case.status.in_(final), sa.func.coalesce(Case.closed_at, Case.updated_at) <= oldest_possible)
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
    register_anonymiser(app, "case_messages", _anonymise_case_messages)
    register_anonymiser(app, "case_map", _anonymise_map_and_holds)
