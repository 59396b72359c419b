"""The archive copy of an issued advice: a PDF/A-3u made once, at issue, and kept byte for byte.

``store_archive_copy`` is called by ``issuing.issue_advice`` in the issuing transaction, for
every version (a correction gets its own). The document holds the reference, date, the experts
present, the advice, justification, legal grounds, the cost-benefit sum, the actions and the
content hash, and embeds the canonical content as ``advice.json``: the SHA-256 of that file is
the content hash, so anyone can check the document against the advice page. The PDF's own
SHA-256 is stored beside it, written to the audit trail, and shown on the advice page.

Retention removes the copies with the rest of the case's text (``anonymise_documents``).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from advice.models import Advice, CostSide
from advice.plan.services import plan_of
from core import audit
from core.db import db
from core.documents import DOCUMENT_LOCALE, Embedded, render_pdf
from core.models import User
from meeting.models import Attendance, AttendanceStatus

from . import ties
from .models import AdviceDocument

#: The name of the embedded machine-readable content.
JSON_NAME = "advice.json"


def present_at(advice: Advice) -> list[tuple[str, str]]:
    """Who was present at the advice's meeting: (name, deputy name), sorted."""
    if advice.meeting_id is None:
        return []
    rows = db.session.scalars(
        sa.select(Attendance).where(Attendance.meeting_id == advice.meeting_id,
                                    Attendance.status.in_([AttendanceStatus.PRESENT, AttendanceStatus.DEPUTY]))
        .options(sa.orm.joinedload(Attendance.user))
    ).all()
    return sorted((a.user.name, a.deputy_name if a.status == AttendanceStatus.DEPUTY else "") for a in rows)


def canonical_json(content: dict[str, Any]) -> bytes:
    """The canonical content exactly as the content hash reads it (issuing.compute_hash)."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def filename(advice: Advice) -> str:
    return f"{advice.case.reference}-bindend-advies-v{advice.version}.pdf"


def render(advice: Advice, content: dict[str, Any]) -> bytes:
    """The advice as PDF/A-3u (in Dutch), the canonical content embedded."""
    with force_locale(DOCUMENT_LOCALE):
        title = _("Binding advice %(reference)s, version %(version)s", reference=advice.case.reference,
                  version=advice.version)
        described = _("The advice's content as JSON; its SHA-256 is the content hash.")
    return render_pdf(
        "advice/drafting/documents/advice.html", title=title,
        embedded=(Embedded(JSON_NAME, canonical_json(content), described),),
        advice=advice, case=advice.case, present=present_at(advice), sides=list(CostSide), plan=plan_of(advice),
        **ties.needs_on_page(advice),
    )


def store_archive_copy(advice: Advice, content: dict[str, Any], actor: User | None) -> AdviceDocument:
    """Make the issued version's PDF once and keep it with its SHA-256; flushes, audited."""
    pdf = render(advice, content)
    document = AdviceDocument(advice_id=advice.id, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf))
    db.session.add(document)
    db.session.flush()
    audit.record("advice.archive_copy", object_type="advice", object_id=advice.id, actor=actor,
                 team_id=advice.case.team_id, details={"sha256": document.sha256, "size": document.size})
    return document


def archive_pdf(advice: Advice, content_of, actor: User | None) -> bytes:
    """The stored bytes. A version issued before archive copies existed gets its copy now, once
    (``content_of(advice)`` gives its canonical content); the caller commits."""
    stored = db.session.scalar(sa.select(AdviceDocument.pdf).where(AdviceDocument.advice_id == advice.id))
    if stored is None:
        stored = store_archive_copy(advice, content_of(advice), actor).pdf
    return stored


def archive_hashes(advice_ids: Sequence[int]) -> dict[int, str]:
    """The PDF hash of each of these versions that has an archive copy."""
    if not advice_ids:
        return {}
    rows = db.session.execute(sa.select(AdviceDocument.advice_id, AdviceDocument.sha256)
                              .where(AdviceDocument.advice_id.in_(advice_ids)))
    return {advice_id: sha for advice_id, sha in rows}


def export_archive_copies(case) -> list[tuple[str, bytes]]:
    """The archive copies, byte for byte, for the export's zip."""
    rows = db.session.execute(
        sa.select(Advice.version, AdviceDocument.pdf).join(AdviceDocument, AdviceDocument.advice_id == Advice.id)
        .where(Advice.case_id == case.id).order_by(Advice.version)
    )
    return [(f"{case.reference}-bindend-advies-v{version}.pdf", pdf) for version, pdf in rows]


def anonymise_documents(case_ids: Sequence[int]) -> list[str]:
    """Retention: the archive copies hold the advice's text, so they go with it."""
    deleted = db.session.execute(
        sa.delete(AdviceDocument).where(
            AdviceDocument.advice_id.in_(sa.select(Advice.id).where(Advice.case_id.in_(case_ids)))),
        execution_options={"synchronize_session": False},
    ).rowcount
    return ["archive_copies"] if deleted else []
