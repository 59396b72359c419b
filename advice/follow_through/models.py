"""The follow-through's own records: the case files the chair shares with an action."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casefiles.attachments.models import CaseAttachment  # noqa: F401  (resolves the shared file's key)
from core.clock import utcnow
from core.db import db


class ActionAttachment(db.Model):
    """A case file the chair shares with one action: its organisation's contacts may read it
    (on the action page). Goes with the file (retention, removal) by the database's cascade."""

    __tablename__ = "advice_action_attachments"

    action_id: Mapped[int] = mapped_column(sa.ForeignKey("advice_actions.id", ondelete="CASCADE"), primary_key=True)
    attachment_id: Mapped[int] = mapped_column(sa.ForeignKey("case_attachments.id", ondelete="CASCADE"),
                                               primary_key=True, index=True)
    shared_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
