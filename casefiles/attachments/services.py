"""Attaching files to a case, reading and removing them, and what retention and the export do
with them. Services check who may do it, change rows, flush and audit; the caller commits.

The file is written to the attachment folder (``ATTACHMENT_FOLDER``, default
``<instance>/attachments``) under a random name before its row is flushed; a transaction that
rolls back afterwards leaves an unreferenced file behind (harmless: nothing serves it), never a
row without its file. Removing a file deletes the row first and the file after.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from casefiles.models import Case
from core import audit
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import User

from . import filetypes, permissions
from .models import CaseAttachment
from .names import clean_name

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def folder() -> Path:
    path = Path(current_app.config.get("ATTACHMENT_FOLDER") or Path(current_app.instance_path) / "attachments")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _path(attachment: CaseAttachment) -> Path:
    return folder() / attachment.storage_key


def human_size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} kB"


def attach(case: Case, actor: User, filename: str, stream: IO[bytes]) -> CaseAttachment:
    """Attach a file: its type from its content (one of ``filetypes.ALLOWED``), at most
    ``ATTACHMENT_MAX_BYTES``; refused with a clear message otherwise, nothing kept."""
    if not permissions.can_attach(actor, case):
        raise PermissionDenied(_("Only the case owner, the chair or the secretary can attach files to this case."))
    limit = max_bytes()
    data = stream.read(limit + 1)
    if not data:
        raise ServiceError(_("The file is empty."))
    if len(data) > limit:
        raise ServiceError(_("The file is larger than %(size)s, the most a case can carry per file.", size=human_size(limit)))
    kind = filetypes.detect(data)
    if kind is None:
        raise ServiceError(_("This kind of file cannot be attached. Attach a PDF, an image (PNG, JPEG, GIF or WebP), "
                             "an office document (Word, Excel, PowerPoint or OpenDocument, without macros) or plain text."))
    key = secrets.token_hex(16)
    with open(folder() / key, "xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    attachment = CaseAttachment(case_id=case.id, storage_key=key, filename=clean_name(filename, kind),
                                mimetype=kind.mimetype, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                uploaded_by_id=actor.id)
    db.session.add(attachment)
    db.session.flush()
    audit.record("case_attachment.add", object_type="case_attachment", object_id=attachment.id, actor=actor,
                 team_id=case.team_id, details={"case": case.id, "type": kind.extension, "size": len(data),
                                                "sha256": attachment.sha256})
    return attachment


def read(attachment: CaseAttachment) -> bytes:
    """The file's bytes, checked against the hash recorded at upload."""
    try:
        data = _path(attachment).read_bytes()
    except FileNotFoundError:
        raise ServiceError(_("The file of this attachment is missing.")) from None
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise ServiceError(_("The stored file does not match the one that was attached; it is not served."))
    return data


def remove(attachment: CaseAttachment, actor: User) -> None:
    if not permissions.can_remove(actor, attachment):
        raise PermissionDenied(_("Only who attached the file, the chair or the secretary can remove it."))
    path = _path(attachment)
    audit.record("case_attachment.remove", object_type="case_attachment", object_id=attachment.id, actor=actor,
                 team_id=attachment.case.team_id, details={"case": attachment.case_id, "sha256": attachment.sha256})
    db.session.delete(attachment)
    db.session.flush()
    path.unlink(missing_ok=True)


def case_attachments(case: Case) -> list[CaseAttachment]:
    return list(db.session.scalars(
        sa.select(CaseAttachment).where(CaseAttachment.case_id == case.id)
        .order_by(CaseAttachment.uploaded_at.desc(), CaseAttachment.id.desc())
        .options(sa.orm.joinedload(CaseAttachment.uploaded_by))
    ))


# --- privacy ----------------------------------------------------------------------------------

def export_attachments(case: Case) -> list[dict[str, Any]]:
    """The export lists every file with its hash (the files themselves download from the case)."""
    return [{"id": a.id, "name": a.name, "type": a.mimetype, "size": a.size, "sha256": a.sha256,
             "uploaded_at": a.uploaded_at, "uploaded_by": a.uploaded_by.name} for a in case_attachments(case)]


def export_files(case: Case) -> list[tuple[str, bytes]]:
    """The files themselves, for the export's zip (named ``<id>-<name>``; a file that fails its
    hash check is left out, the list above still names it)."""
    out = []
    for attachment in case_attachments(case):
        try:
            out.append((f"{attachment.id}-{attachment.name}", read(attachment)))
        except ServiceError:
            continue
    return out


def anonymise_attachments(case_ids: Sequence[int]) -> list[str]:
    """Retention: the rows go (one statement) and so do the files."""
    keys = db.session.scalars(sa.select(CaseAttachment.storage_key).where(CaseAttachment.case_id.in_(case_ids))).all()
    if not keys:
        return []
    db.session.execute(sa.delete(CaseAttachment).where(CaseAttachment.case_id.in_(case_ids)),
                       execution_options={"synchronize_session": False})
    base = folder()
    for key in keys:
        (base / key).unlink(missing_ok=True)
    return ["files"]
