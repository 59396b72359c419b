"""Privacy (GDPR) for every package: the audit of reads of case content, who read a case, and
the two registries that let each package add its part to a case's article 15 export and to
retention, so that no package below needs to know the ones above it.

Each package calls these in its ``init_app``:

* ``register_export(app, name, func)``: ``func(case) -> JSON-able`` adds a section to the export
  of a case (meeting: agenda items and minutes; advice: versions, actions).
* ``register_export_files(app, name, func)``: ``func(case) -> [(file name, bytes)]`` adds files
  to the export as a zip (casefiles.attachments: the case's attachments).
* ``register_anonymiser(app, name, func)``: ``func(case_ids) -> list[str]`` clears the package's
  free text about a batch of cases whose retention has passed, set-based: a few
  ``UPDATE ... WHERE case_id IN (...)`` statements (rows tied to a case indirectly through a
  subquery or join), never one statement per case, so the number of statements does not grow
  with the batch. It returns the names of what it cleared (a name per statement that changed a
  row; ``clear`` does this) and must be safe to run twice (its statements skip rows that are
  already cleared). One case (an erasure) is a batch of one.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from . import audit
from .audit import AuditEvent
from .clock import utcnow
from .db import db
from .models import User
from .registry import add, registry

ANONYMISED = "[geanonimiseerd]"
#: Audit object type of reads and exports of a case (kept apart from the case's own timeline).
ACCESS = "case_access"

ExportFunc = Callable[[Any], Any]
AnonymiseFunc = Callable[[Sequence[int]], list[str]]


_EXPORTERS = "core.privacy.exporters"
_EXPORT_FILES = "core.privacy.export_files"
_ANONYMISERS = "core.privacy.anonymisers"


def exporters(app: Flask | None = None) -> dict[str, ExportFunc]:
    """Each package's section of a case's export, by name, in registration order (the order of
    ``expertteam.PACKAGES``)."""
    return registry(_EXPORTERS, app)


def anonymisers(app: Flask | None = None) -> dict[str, AnonymiseFunc]:
    """Each package's retention step for a batch of cases, by name, in registration order."""
    return registry(_ANONYMISERS, app)


def register_export(app: Flask, name: str, func: ExportFunc) -> None:
    add(_EXPORTERS, app, name, func, "export section")


def register_export_files(app: Flask, name: str, func: Callable[[Any], list[tuple[str, bytes]]]) -> None:
    add(_EXPORT_FILES, app, name, func, "export files")


def export_files(case) -> list[tuple[str, bytes]]:
    """Every package's files of the case for the export's zip, as ``<name>/<file name>``."""
    return [(f"{name}/{filename}", data) for name, func in registry(_EXPORT_FILES).items() for filename, data in func(case)]


def register_anonymiser(app: Flask, name: str, func: AnonymiseFunc) -> None:
    add(_ANONYMISERS, app, name, func, "retention step")


def anonymise(case_ids: Sequence[int]) -> list[str]:
    """Run every package's retention step on a batch of cases (their ids), set-based: a fixed
    number of statements however many cases. The names of what was cleared (``part.field``),
    empty when everything was already cleared. Flushes; the caller commits (and marks the cases:
    ``casefiles.privacy.anonymise_cases``)."""
    ids = sorted(set(case_ids))
    if not ids:
        return []
    cleared: list[str] = []
    for name, func in anonymisers().items():
        cleared += [f"{name}.{f}" for f in func(ids)]
    return cleared


def clear(updates: dict[str, Any]) -> list[str]:
    """Run the named bulk UPDATE statements of a retention step; the names of those that changed
    a row. Each statement should skip rows already cleared (``WHERE text != ''``), so a second
    run names nothing. The session's loaded objects are not synchronised (the job commits, which
    expires them)."""
    return [
        name for name, stmt in updates.items()
        if db.session.execute(stmt, execution_options={"synchronize_session": False}).rowcount
    ]


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


# --- export (GDPR art. 15) --------------------------------------------------------------------

def json_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def build_export(case) -> dict:
    data: dict[str, Any] = {
        "export": {
            "generated_at": utcnow().isoformat(),
            "about": "GDPR article 15: everything Expertteam holds on this case",
            "case_reference": case.reference,
        }
    }
    for name, func in exporters().items():
        data[name] = func(case)
    return json.loads(json.dumps(data, default=json_value))  # plain JSON values only
