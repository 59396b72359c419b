"""The blockage map of a case: the household's needs and what each waits for.

A need is something that must happen for the household to move on ("rental urgency", "debt
arrangement"). Who decides on it (an organisation and the rule or law it applies) and its status
are recorded with it. A ``NeedLink`` says that one need waits for another, with the reason
("no urgency while a debt is open"). The analysis of the graph lives in ``casefiles.blockage``.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import db, enum_column
from core.models import Organisation, User

TITLE_MAX = 160
TEXT_MAX = 2_000


class NeedStatus(enum.StrEnum):
    BLOCKED = "blocked"
    """It cannot happen now: it waits for something (usually another need)."""
    OPEN = "open"
    """It can happen now; nobody has done it yet."""
    SOLVED = "solved"

    @property
    def label(self) -> str:
        return str(NEED_STATUS_LABELS[self])


NEED_STATUS_LABELS = {
    NeedStatus.BLOCKED: _l("Blocked"),
    NeedStatus.OPEN: _l("Open"),
    NeedStatus.SOLVED: _l("Solved"),
}


class Need(db.Model):
    """Something that must happen for the household to move on."""

    __tablename__ = "case_needs"
    __table_args__ = (sa.Index("ix_case_needs_case_position", "case_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    """What must happen, in a few words ("rental urgency")."""
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisations.id"))
    """The organisation that decides on it (NULL: the household itself, or not known yet)."""
    rule: Mapped[str] = mapped_column(sa.String(TEXT_MAX), default="")
    """The rule or law the deciding organisation applies (e.g. 'Huisvestingsverordening art. 2.5')."""
    status: Mapped[NeedStatus] = mapped_column(enum_column(NeedStatus), default=NeedStatus.BLOCKED)
    position: Mapped[int] = mapped_column(default=0)
    """Order on the list (and the drawing's tie-breaker)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    solved_at: Mapped[Optional[datetime]]
    solved_by_action_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("advice_actions.id", use_alter=True, ondelete="SET NULL",
                      name="fk_case_needs_solved_by_action_id_advice_actions")
    )
    """The advice action whose completion solved it (NULL when solved by hand)."""

    decided_by: Mapped[Optional[Organisation]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()
    waits_for_links: Mapped[list["NeedLink"]] = relationship(
        foreign_keys="NeedLink.need_id", back_populates="need", cascade="all, delete-orphan",
        order_by="NeedLink.id",
    )
    waited_on_links: Mapped[list["NeedLink"]] = relationship(
        foreign_keys="NeedLink.waits_for_id", back_populates="waits_for", cascade="all, delete-orphan",
        order_by="NeedLink.id",
    )

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.title!r} {self.status}>"


class NeedLink(db.Model):
    """``need`` waits for ``waits_for``: it cannot be solved while the other is not."""

    __tablename__ = "case_need_links"
    __table_args__ = (
        sa.UniqueConstraint("need_id", "waits_for_id", name="uq_case_need_links_pair"),
        sa.CheckConstraint("need_id <> waits_for_id", name="no_self_loop"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("case_needs.id", ondelete="CASCADE"), index=True)
    waits_for_id: Mapped[int] = mapped_column(sa.ForeignKey("case_needs.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(TEXT_MAX))
    """Why it waits ("no urgency while a debt is open")."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    need: Mapped[Need] = relationship(foreign_keys=[need_id], back_populates="waits_for_links")
    waits_for: Mapped[Need] = relationship(foreign_keys=[waits_for_id], back_populates="waited_on_links")
