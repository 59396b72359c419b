"""Files attached to a case: described here, kept in a folder (``ATTACHMENT_FOLDER``)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casefiles.models import Case
from core.clock import utcnow
from core.db import db
from core.models import User

#: Longest file name kept (the name is shown, never used to store or type the file).
NAME_MAX = 200


class CaseAttachment(db.Model):
    """One file on a case (a debt overview, a letter, the signed consent). The file lies in the
    attachment folder under ``storage_key`` (random, never the uploaded name); its type comes from
    its content (``filetypes.detect``)."""

    __tablename__ = "case_attachments"
    __table_args__ = (sa.Index("ix_case_attachments_case_uploaded", "case_id", "uploaded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    """The file's name in the folder: 32 random hex digits."""
    filename: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    """The name it was uploaded with, cleaned (shown and offered on download; free text, so
    retention removes the row)."""
    mimetype: Mapped[str] = mapped_column(sa.String(100))
    """Detected from the content, one of ``filetypes.ALLOWED``."""
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()
    uploaded_by: Mapped[User] = relationship()
