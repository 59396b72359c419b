"""Privacy (GDPR) of a case: its own sections of the article 15 export and its retention steps
(the sub-packages, meeting and advice register theirs with ``core.privacy``), and the retention
job that anonymises closed cases past the team's retention period (set-based, in batches). The
pages (who read a case, the export) are in ``casefiles.views``; who may see them in
``casefiles.permissions``.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from flask import Flask

from core import audit
from core.audit import AuditEvent
from core.db import UTCDateTime, db
from core.models import Team
from core.privacy import (
    ANONYMISED,
    access_log,
    anonymise,
    clear,
    json_value,
    register_anonymiser,
    register_export,
)
from notifications.models import Notification

from .models import FINAL_STATUSES, Case, CaseMessage
from .services import timeline

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
#: Cases per transaction: the job commits after each batch, so a stop loses nothing.
BATCH_SIZE = 500
#: Audit object type of a retention step over several cases: ``details["cases"]`` lists them.
CASE_LIST = "case_list"


def _anonymise_case(case_ids: Sequence[int]) -> list[str]:
    """The case's own free text (its pseudonym becomes the marker), one statement per batch.
    The version goes up (a form still open on the case is refused); ``updated_at`` stays: for a
    declined or withdrawn case it is when it ended."""
    text = [getattr(Case, name) != "" for name in FREE_TEXT]
    stmt = (
        sa.update(Case)
        .where(Case.id.in_(case_ids), sa.or_(Case.household_pseudonym != ANONYMISED, *text))
        .values(household_pseudonym=ANONYMISED, **{name: "" for name in FREE_TEXT},
                version=Case.version + 1, updated_at=Case.updated_at)
    )
    return ["household_pseudonym", *FREE_TEXT] if clear({"case": stmt}) else []


def anonymise_messages(case_ids: Sequence[int]) -> list[str]:
    """The free text of the cases' steps (``keep_text``; the audit rows keep only their ids)."""
    return clear({"messages": sa.update(CaseMessage)
                  .where(CaseMessage.case_id.in_(case_ids), CaseMessage.text != "").values(text="")})


def _sub_years(when: datetime, years: int) -> datetime:
    try:
        return when.replace(year=when.year - years)
    except ValueError:  # 29 February
        return when.replace(year=when.year - years, day=28)


def due_query(now: datetime) -> sa.Select:
    """The ids of final cases (closed, declined, withdrawn) not yet anonymised whose retention
    period (at least a year) has passed since they ended: the team's term for the case's result
    (``casefiles.retention_terms``), else the team's general term. One statement on the partial
    index ``ix_cases_retention_due`` (the latest cut-off bounds its range; each case's own
    cut-off, by its number of years, filters within it)."""
    from .retention_terms import RetentionTerm

    years = db.session.scalars(sa.union(sa.select(Team.retention_years), sa.select(RetentionTerm.years))).all()
    if not years:
        return sa.select(Case.id).where(sa.false())
    cutoffs = {y: _sub_years(now, max(1, y)) for y in years}
    ended = sa.func.coalesce(Case.closed_at, Case.updated_at)
    effective = sa.func.coalesce(RetentionTerm.years, Team.retention_years)
    cutoff = sa.case({y: sa.literal(c, UTCDateTime()) for y, c in cutoffs.items()}, value=effective)
    return (
        sa.select(Case.id)
        .join(Team, Team.id == Case.team_id)
        .outerjoin(RetentionTerm, sa.and_(RetentionTerm.team_id == Case.team_id,
                                          sa.cast(RetentionTerm.result, sa.String(32)) == sa.cast(Case.status, sa.String(32))))
        .where(Case.anonymised_at.is_(None), ended <= sa.literal(max(cutoffs.values()), UTCDateTime()),
               ended <= cutoff, Case.status.in_(sorted(FINAL_STATUSES)))
    )


def anonymise_cases(case_ids: Sequence[int], now: datetime, reason: str = "retention") -> int:
    """Anonymise a batch of cases set-based (also one case: an erasure is a batch of one): every
    package's retention step, then the mark ``anonymised_at`` and the audit: one row per team of
    the batch listing the ids of its newly marked cases (``object_type`` ``CASE_LIST``, like the
    read audit of a list page; ids and field names only). The number of statements does not grow
    with the cases (only the audit rows do, with the teams in the batch: one each). Flushes; the
    caller commits. Returns how many cases it marked (0 for cases already anonymised: they are
    not marked or audited again)."""
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    cleared = anonymise(ids)
    table = Case.__table__
    marked = db.session.execute(
        sa.update(table)
        .where(table.c.id.in_(ids), table.c.anonymised_at.is_(None))
        .values(anonymised_at=now, updated_at=table.c.updated_at)  # updated_at: when it ended
        .returning(table.c.id, table.c.team_id)
    ).all()
    per_team: dict[int, list[int]] = {}
    for case_id, team_id in sorted(marked):
        per_team.setdefault(team_id, []).append(case_id)
    for team_id, team_cases in sorted(per_team.items()):
        # "fields": what the batch's statements cleared
        audit.record("case.anonymise", object_type=CASE_LIST, object_id=None, actor=None, team_id=team_id,
                     details={"cases": team_cases, "fields": cleared, "reason": reason})
    db.session.flush()
    return len(marked)


def anonymise_expired(now: datetime, dry_run: bool = False, batch_size: int = BATCH_SIZE) -> str:
    """The retention job: select what is due with one indexed query, anonymise it in batches of
    ``batch_size`` cases, committing each batch (a stop loses nothing; the next run goes on with
    the rest). Cases already anonymised are not selected, so a second run changes nothing."""
    due = sorted(db.session.scalars(due_query(now)))  # sorted here: no ORDER BY to steer the plan
    if dry_run:
        db.session.rollback()
        return f"{len(due)} case(s) due for anonymisation (dry run: nothing changed)"
    done = 0
    for start in range(0, len(due), batch_size):
        done += anonymise_cases(due[start:start + batch_size], now)
        db.session.commit()
    db.session.commit()  # ends the read transaction of an empty run
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
