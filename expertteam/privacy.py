"""Privacy (GDPR): reads of case content, who read a case, the article 15 export, retention
(anonymising closed cases) and backups.

Packages extend two registries here, so this module needs no change when they add data:

* ``register_export(name, func)``: ``func(case) -> JSON-able`` adds a section to the export of a
  case (meeting: agenda items and minutes; advice: versions, actions). Called at import of the
  package's module (e.g. in ``advice/services.py``: ``privacy.register_export("advice", ...)``).
* ``register_anonymiser(name, func)``: ``func(case) -> list[str]`` clears the package's free text
  about a case whose retention has passed and returns the names of the fields it cleared; it must
  be safe to run twice (clearing an already cleared field changes nothing).
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, render_template, request
from flask_login import current_user, login_required

from . import audit, jobs
from .extensions import db
from .models import AuditEvent, Role, Team, User

bp = Blueprint("privacy", __name__)

ANONYMISED = "[geanonimiseerd]"
#: Audit object type of reads and exports of a case (kept apart from the case's own timeline).
ACCESS = "case_access"

ExportFunc = Callable[[Any], Any]
AnonymiseFunc = Callable[[Any], list[str]]
EXPORTERS: dict[str, ExportFunc] = {}
ANONYMISERS: dict[str, AnonymiseFunc] = {}


def register_export(name: str, func: ExportFunc) -> None:
    EXPORTERS[name] = func


def register_anonymiser(name: str, func: AnonymiseFunc) -> None:
    ANONYMISERS[name] = func


# --- reads ------------------------------------------------------------------------------------

def record_read(case, actor: User, what: str = "detail") -> None:
    """Audit a read of case content (BIO 8.15.01); the caller commits."""
    audit.record("case.read", object_type=ACCESS, object_id=case.id, actor=actor, team_id=case.team_id,
                 details={"reference": case.reference, "view": what})


def commit_read() -> None:
    """Commit the read's audit row without expiring what the page has loaded (a page that
    records its read before rendering would otherwise load every object again)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


#: Audit object type of a page view that listed several cases (an agenda, the minutes): one row
#: per page view with the case ids in ``details["cases"]``, not one row per case.
ACCESS_LIST = "case_access_list"


def record_reads(cases, actor: User, what: str, *, team_id: int, object_id: int | None = None) -> None:
    """Audit one page view that shows several cases' content (set-based: one row, the case
    ids and references in the details); the caller commits. Nothing is written for no cases."""
    cases = sorted({c.id: c for c in cases}.values(), key=lambda c: c.id)
    if not cases:
        return
    audit.record("case.read", object_type=ACCESS_LIST, object_id=object_id, actor=actor, team_id=team_id,
                 details={"view": what, "cases": [c.id for c in cases], "references": [c.reference for c in cases]})


def access_log(case) -> list[AuditEvent]:
    """Reads of the case: its own rows, and list page views (same team) that named it."""
    own = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == ACCESS, AuditEvent.object_id == case.id)
        .options(sa.orm.joinedload(AuditEvent.actor))
    ).all()
    listed = [
        e for e in db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.object_type == ACCESS_LIST, AuditEvent.team_id == case.team_id)
            .options(sa.orm.joinedload(AuditEvent.actor))
        )
        if case.id in (e.details or {}).get("cases", ())
    ]
    return sorted([*own, *listed], key=lambda e: (e.at, e.id), reverse=True)


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
    return render_template("expertteam/privacy_reads.html", case=case, events=events)


# --- export (GDPR art. 15) --------------------------------------------------------------------

def _iso(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


CASE_FIELDS = (
    "reference", "status", "household_pseudonym", "household_composition", "tried", "blockage",
    "household_goal", "question", "proposed_invitees", "urgency", "consent_date", "consent_method",
    "consent_note", "legal_ground", "created_at", "updated_at", "submitted_at", "intake_at", "queued_at",
    "closed_at",
)


def _export_case(case) -> dict:
    data = {f: _iso(getattr(case, f)) for f in CASE_FIELDS}
    data["team"] = case.team.name
    data["owner"] = case.owner.name
    data["domains"] = [d.value for d in case.domain_values]
    data["organisations"] = [o.organisation.name for o in case.organisations]
    return data


def _event(e: AuditEvent) -> dict:
    return {
        "at": _iso(e.at), "action": e.action, "result": e.result,
        "by": e.actor.name if e.actor else None, "details": e.details or {},
    }


def _export_timeline(case) -> list:
    from casefiles.services import timeline

    return [{**_event(e), "text": text} for e, text in timeline(case)]


def _export_access(case) -> list:
    return [
        {"at": _iso(e.at), "action": e.action, "by": e.actor.name if e.actor else None,
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
    return [{"at": _iso(n.created_at), "kind": n.kind, "to": n.user.name, "read_at": _iso(n.read_at)} for n in rows]


register_export("case", _export_case)
register_export("timeline", _export_timeline)
register_export("notifications", _export_notifications)
register_export("access_log", _export_access)


def build_export(case) -> dict:
    data: dict[str, Any] = {
        "export": {
            "generated_at": datetime.now(timezone.utc).isoformat(),
            "about": "GDPR article 15: everything Expertteam holds on this case",
            "case_reference": case.reference,
        }
    }
    for name, func in EXPORTERS.items():
        data[name] = func(case)
    return json.loads(json.dumps(data, default=_iso))  # plain JSON values only


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
    return render_template("expertteam/privacy_export.html", case=case, data=data)


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


register_anonymiser("case", _anonymise_case)


def _anonymise_case_messages(case) -> list[str]:
    from casefiles.services import anonymise_messages

    return anonymise_messages(case)


register_anonymiser("case_messages", _anonymise_case_messages)


def _anonymise_map_and_holds(case) -> list[str]:
    from casefiles.services import anonymise_map_and_holds

    return anonymise_map_and_holds(case, ANONYMISED)


register_anonymiser("case_map", _anonymise_map_and_holds)


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
        cleared: list[str] = []
        for name, func in ANONYMISERS.items():
            cleared += [f"{name}.{f}" for f in func(case)]
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


jobs.register("privacy.retention", retention_job, "cron", "Anonymise closed cases past their retention period", hour=2, minute=45)
jobs.register("audit.verify", audit.verify_job, "cron", "Check the hash chain of the audit trail", hour=3, minute=15)


# --- backup -----------------------------------------------------------------------------------

def backup_sqlite(path: str) -> int:
    """Copy the SQLite database with SQLite's online backup API: a consistent snapshot while
    the app keeps running. Returns the number of tables copied. PostgreSQL: use pg_dump."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise ValueError("backup copies a SQLite database; for PostgreSQL use pg_dump (see README)")
    target = Path(path)
    if target.exists():
        raise ValueError(f"{path} exists; choose a new file")
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        with sqlite3.connect(str(target)) as dest:
            source.backup(dest)
        with sqlite3.connect(str(target)) as dest:
            tables = dest.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        raw.close()
    return int(tables)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["privacy_can_see_reads"] = can_see_reads
    app.jinja_env.globals["privacy_can_export"] = can_export
