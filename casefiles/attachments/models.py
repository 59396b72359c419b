"""Files attached to a case: described here, kept in a folder (``ATTACHMENT_FOLDER``)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casefiles.models import Case
from core.clock import utcnow
from core.db import db
from core.models import User

from .filetypes import BY_MIMETYPE
from .names import NAME_MAX, clean_name


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
    """The name it was uploaded with, cleaned (free text, so retention removes the row); shown
    and offered as ``name``."""
    mimetype: Mapped[str] = mapped_column(sa.String(100))
    """Detected from the content, one of ``filetypes.ALLOWED``."""
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()
    uploaded_by: Mapped[User] = relationship()

    @property
    def name(self) -> str:
        """The name shown and offered on download: the stored name through the naming rule
        again (``names.clean_name``), so a name stored before the rule was this strict is
        served clean as well."""
        return clean_name(self.filename, BY_MIMETYPE.get(self.mimetype))
