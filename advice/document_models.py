"""The advice's documents (re-exported by ``advice.models``): the archive copy of each issued
version, and the case files the chair shares with an action."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casefiles.attachments.models import CaseAttachment  # noqa: F401  (resolves the shared file's key)
from core.clock import utcnow
from core.db import db


class AdviceDocument(db.Model):
    """The PDF/A of one issued advice version, made once at issue and kept byte for byte: what
    an organisation downloads is the document that was issued. Kept in the database, in the
    issuing transaction (an issue that rolls back leaves no copy; a backup holds both)."""

    __tablename__ = "advice_documents"

    advice_id: Mapped[int] = mapped_column(sa.ForeignKey("advice.id", ondelete="CASCADE"), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    """The PDF/A-3u bytes (loaded only when downloaded)."""
    sha256: Mapped[str] = mapped_column(sa.String(64))
    """SHA-256 (hex) of the PDF bytes, shown on the advice page beside the content hash."""
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionAttachment(db.Model):
    """A case file the chair shares with one action: its organisation's contacts may read it
    (on the action page). Goes with the file (retention, removal) by the database's cascade."""

    __tablename__ = "advice_action_attachments"

    action_id: Mapped[int] = mapped_column(sa.ForeignKey("advice_actions.id", ondelete="CASCADE"), primary_key=True)
    attachment_id: Mapped[int] = mapped_column(sa.ForeignKey("case_attachments.id", ondelete="CASCADE"),
                                               primary_key=True, index=True)
    shared_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
