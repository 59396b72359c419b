"""Binding advice (versions, justification, cost-benefit estimate), the actions per organisation
and their follow-through: the records every part of the advice shares. Each sub-package keeps
its own (the team's catalogues and the archive copies in ``advice.drafting.models``, the plan's,
the ladder's, the closure's, the shared files'); the team's settings are ``advice.settings``.

Issued advice is immutable: services refuse to change it, and a ``before_flush`` guard
(``advice.guard``) raises if any code path tries. Follow-through fields of an action (status,
dates, escalation, the team's decision) may change after issuing; its content (organisation,
description, deadline) may not.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casefiles.models import Case
from core.clock import local_today, utcnow
from core.db import db, enum_column
from core.models import Organisation, User
from meeting.models import Meeting  # noqa: F401  (resolves Advice.meeting)

# --- states -----------------------------------------------------------------------------------

class AdviceStatus(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    SUPERSEDED = "superseded"
    """Replaced by a later issued version (a correction); stays readable."""

    @property
    def label(self) -> str:
        return str(ADVICE_STATUS_LABELS[self])


ADVICE_STATUS_LABELS = {
    AdviceStatus.DRAFT: _l("Draft"),
    AdviceStatus.ISSUED: _l("Issued"),
    AdviceStatus.SUPERSEDED: _l("Superseded"),
}

LOCKED_STATUSES = frozenset({AdviceStatus.ISSUED, AdviceStatus.SUPERSEDED})


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    """The organisation said it will do it."""
    DONE = "done"
    REFUSED = "refused"
    """The organisation refused (with a reason); escalated to the chair until the team decides."""
    DROPPED = "dropped"
    """The team decided the action is no longer needed (counts as settled)."""

    @property
    def label(self) -> str:
        return str(ACTION_STATUS_LABELS[self])


ACTION_STATUS_LABELS = {
    ActionStatus.OPEN: _l("Open"),
    ActionStatus.CONFIRMED: _l("Confirmed"),
    ActionStatus.DONE: _l("Done"),
    ActionStatus.REFUSED: _l("Refused"),
    ActionStatus.DROPPED: _l("Dropped by the team"),
}

A = ActionStatus
#: Actions still to be carried out.
PENDING_ACTION = frozenset({A.OPEN, A.CONFIRMED})
#: Actions that no longer hold up completion of the case.
SETTLED_ACTION = frozenset({A.DONE, A.DROPPED})


class TeamDecision(enum.StrEnum):
    """What the team decides on an escalated action at its meeting."""

    EXTEND = "extend"
    """Uphold the action with a new deadline (a refused action is reopened)."""
    DROP = "drop"
    """The action is no longer needed; it no longer holds up completion."""

    @property
    def label(self) -> str:
        return str(TEAM_DECISION_LABELS[self])


TEAM_DECISION_LABELS = {
    TeamDecision.EXTEND: _l("Uphold the action with a new deadline"),
    TeamDecision.DROP: _l("Drop the action"),
}


class CostSide(enum.StrEnum):
    CURRENT = "current"
    """Carrying on: the yearly cost of the current path and the likely escalations."""
    BREAKTHROUGH = "breakthrough"
    """Breaking through: the cost of the proposed step."""

    @property
    def label(self) -> str:
        return str(COST_SIDE_LABELS[self])


COST_SIDE_LABELS = {
    CostSide.CURRENT: _l("Carrying on (current path, per year)"),
    CostSide.BREAKTHROUGH: _l("Breaking through (proposed step)"),
}


class EscalationKind(enum.StrEnum):
    REFUSED = "refused"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return str(_l("Refused") if self is EscalationKind.REFUSED else _l("Overdue past the grace period"))


# --- the advice -------------------------------------------------------------------------------

class Advice(db.Model):
    """One version of the binding advice on a case."""

    __tablename__ = "advice"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "version", name="uq_advice_case_version"),
        sa.Index("ix_advice_case_status", "case_id", "status"),
        # The API's "actions updated since" (api.resources): advice issued or corrected since a moment.
        sa.Index("ix_advice_issued_at", "issued_at"),
        sa.Index("ix_advice_superseded_at", "superseded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    """1 for the first advice, +1 for each correction."""
    status: Mapped[AdviceStatus] = mapped_column(enum_column(AdviceStatus), default=AdviceStatus.DRAFT)
    situation: Mapped[str] = mapped_column(sa.Text, default="")
    """The situation in brief (markdown)."""
    blockage: Mapped[str] = mapped_column(sa.Text, default="")
    """The biggest blockage (markdown)."""
    advice_text: Mapped[str] = mapped_column(sa.Text, default="")
    """The advice itself (markdown)."""
    legal_free_text: Mapped[str] = mapped_column(sa.Text, default="")
    """Legal justification beyond the chosen references (markdown)."""
    meeting_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("meetings.id"))
    """The meeting where the case was discussed."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[Optional[datetime]]
    issued_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    content_hash: Mapped[Optional[str]] = mapped_column(sa.String(64))
    """SHA-256 (hex) of the canonical content, stored at issuing."""
    supersedes_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("advice.id"))
    """The version this correction replaces."""
    correction_reason: Mapped[str] = mapped_column(sa.Text, default="")
    superseded_at: Mapped[Optional[datetime]]
    lock_version: Mapped[int] = mapped_column(default=1)
    """Optimistic lock of the draft's texts: a save based on an older version is refused."""

    case: Mapped[Case] = relationship()
    issued_by: Mapped[Optional[User]] = relationship(foreign_keys=[issued_by_id])
    supersedes: Mapped[Optional["Advice"]] = relationship(remote_side=[id])
    meeting: Mapped[Optional["Meeting"]] = relationship()  # noqa: F821 - meeting.models
    legal_grounds: Mapped[list["AdviceLegalGround"]] = relationship(
        back_populates="advice", cascade="all, delete-orphan", order_by="AdviceLegalGround.id"
    )
    cost_lines: Mapped[list["CostLine"]] = relationship(
        back_populates="advice", cascade="all, delete-orphan", order_by="CostLine.id"
    )
    actions: Mapped[list["Action"]] = relationship(
        back_populates="advice", cascade="all, delete-orphan", order_by="Action.id"
    )

    @property
    def is_locked(self) -> bool:
        return self.status in LOCKED_STATUSES

    def cost_total(self, side: CostSide) -> int:
        return sum(line.amount_cents for line in self.cost_lines if line.side == side)

    @property
    def total_current_cents(self) -> int:
        return self.cost_total(CostSide.CURRENT)

    @property
    def total_breakthrough_cents(self) -> int:
        return self.cost_total(CostSide.BREAKTHROUGH)

    @property
    def net_effect_cents(self) -> int:
        """Carrying on minus breaking through: positive means the breakthrough saves money."""
        return self.total_current_cents - self.total_breakthrough_cents

    def __repr__(self) -> str:
        return f"<Advice case={self.case_id} v{self.version} {self.status}>"


class AdviceLegalGround(db.Model):
    """A legal reference cited by an advice, copied from the catalogue when chosen (so later
    catalogue edits do not change an issued advice)."""

    __tablename__ = "advice_legal_grounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    advice_id: Mapped[int] = mapped_column(sa.ForeignKey("advice.id", ondelete="CASCADE"), index=True)
    legal_reference_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("advice_legal_references.id"))
    law: Mapped[str] = mapped_column(sa.String(160))
    article: Mapped[str] = mapped_column(sa.String(80), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    url: Mapped[str] = mapped_column(sa.String(300), default="")

    advice: Mapped[Advice] = relationship(back_populates="legal_grounds")

    @property
    def title(self) -> str:
        return f"{self.law} {self.article}".strip()


class CostLine(db.Model):
    """One line of the cost-benefit estimate: from the catalogue (copied) or entered by hand."""

    __tablename__ = "advice_cost_lines"
    __table_args__ = (
        sa.CheckConstraint("unit_cost_cents >= 0", name="unit_cost_not_negative"),
        sa.CheckConstraint("quantity_hundredths > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    advice_id: Mapped[int] = mapped_column(sa.ForeignKey("advice.id", ondelete="CASCADE"), index=True)
    side: Mapped[CostSide] = mapped_column(enum_column(CostSide))
    intervention_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("advice_interventions.id"))
    """The catalogue entry it came from; NULL when entered by hand."""
    name: Mapped[str] = mapped_column(sa.String(160))
    unit: Mapped[str] = mapped_column(sa.String(60), default="")
    unit_cost_cents: Mapped[int]
    source: Mapped[str] = mapped_column(sa.String(300), default="")
    is_example: Mapped[bool] = mapped_column(default=False)
    price_year: Mapped[Optional[int]]
    """The catalogue item's price year, copied with it."""
    catalogue_cost_cents: Mapped[Optional[int]]
    """The catalogue item's unit cost when the line deviates from it (NULL: the catalogue price)."""
    deviation_reason: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    """Why the unit cost differs from the catalogue item's (required then), shown with the line."""
    quantity_hundredths: Mapped[int]
    """Quantity × 100 (so 0.5 eviction — a 50 % chance — is 50); integers keep sums exact."""

    advice: Mapped[Advice] = relationship(back_populates="cost_lines")

    @property
    def quantity(self) -> Decimal:
        return (Decimal(self.quantity_hundredths) / 100).quantize(Decimal("0.01"))

    @property
    def amount_cents(self) -> int:
        """Unit cost × quantity, rounded half up to whole cents (computed, never typed)."""
        return int((Decimal(self.unit_cost_cents) * self.quantity_hundredths / 100).quantize(Decimal(1), ROUND_HALF_UP))


class Action(db.Model):
    """What one organisation must do, by when, and how it follows through."""

    __tablename__ = "advice_actions"
    __table_args__ = (
        sa.CheckConstraint("ladder_level BETWEEN 0 AND 4", name="ladder_level_range"),
        sa.Index("ix_advice_actions_org_status", "organisation_id", "status"),
        # The timed jobs (advice.follow_through.jobs): per job the pending actions it has not claimed yet, by effective deadline.
        *(sa.Index(f"ix_advice_actions_{name}", sa.text("coalesce(deadline_extended_to, deadline)"), **{
            f"{dialect}_where": sa.text(f"status IN ('confirmed', 'open') AND {marker} IS NULL") for dialect in ("postgresql", "sqlite")})
          for name, marker in (("to_remind", "reminded_at"), ("to_mark_overdue", "overdue_notified_at"), ("to_escalate", "escalated_at"))),
        # The list back on the table (advice.follow_through.services.back_on_table): escalated actions waiting
        # for the team, oldest first; few, whatever the history.
        sa.Index("ix_advice_actions_escalated", "escalated_at", "id",
                 postgresql_where=sa.text("escalated_at IS NOT NULL"), sqlite_where=sa.text("escalated_at IS NOT NULL")),
        # The same of one team, still waiting for its decision, in the page's order (oldest first):
        # the page stops after one page instead of sorting every waiting action of the team.
        sa.Index("ix_advice_actions_team_escalated", "team_id", "escalated_at", "id",
                 postgresql_where=sa.text("escalated_at IS NOT NULL AND status IN ('confirmed', 'open', 'refused')"),
                 sqlite_where=sa.text("escalated_at IS NOT NULL AND status IN ('confirmed', 'open', 'refused')")),
        # The team's pages (advice.follow_through.org_figures, .action_lists) by the denormalised team:
        # the figures of a period by assignment, the open and refused work by status.
        sa.Index("ix_advice_actions_team_assigned", "team_id", "assigned_at"),
        sa.Index("ix_advice_actions_team_status", "team_id", "status"),
        # The pilot dashboard's monthly trend (advice.follow_through.org_figures.monthly_trend): confirmed in a period.
        sa.Index("ix_advice_actions_team_confirmed", "team_id", "confirmed_at"),
        # The history of settled actions, newest first by when they were settled
        # (advice.follow_through.action_lists.SETTLED_AT): of the team and of an organisation (the contact's home).
        sa.Index("ix_advice_actions_team_settled", "team_id", sa.text("coalesce(done_at, decided_at)"), "id",
                 postgresql_where=sa.text("status IN ('done', 'dropped')"),
                 sqlite_where=sa.text("status IN ('done', 'dropped')")),
        sa.Index("ix_advice_actions_org_settled", "organisation_id", sa.text("coalesce(done_at, decided_at)"), "id",
                 postgresql_where=sa.text("status IN ('done', 'dropped')"),
                 sqlite_where=sa.text("status IN ('done', 'dropped')")),
        # An organisation's actions in a team by id (advice.follow_through.action_lists.contact_clause): the API's
        # keyset-paged list (api.resources.action_page) reads one page, whatever the history.
        sa.Index("ix_advice_actions_contact", "team_id", "organisation_id", "id"),
        # The open work of a team and of an organisation in a team (advice.follow_through.action_lists.open_work):
        # only pending actions of advice in force, by status and effective deadline, so each group
        # is a short range in page order and its count an index-only scan.
        *(sa.Index(f"ix_advice_actions_{name}_pending", *columns, "status", sa.text("coalesce(deadline_extended_to, deadline)"), "id",
                   # Each dialect's predicate as SQLAlchemy writes ``where(Action.in_force)`` there.
                   postgresql_where=sa.text("in_force AND status IN ('confirmed', 'open')"),
                   sqlite_where=sa.text("in_force = 1 AND status IN ('confirmed', 'open')"))
          for name, columns in (("team", ("team_id",)), ("org", ("team_id", "organisation_id")))),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    advice_id: Mapped[int] = mapped_column(sa.ForeignKey("advice.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"))
    """The case's team, denormalised so the team's pages read its actions by index; filled from
    advice -> case when the action is created (``advice.action_team``)."""
    in_force: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    """Whether its advice is in force (issued, not superseded), denormalised so the lists, figures
    and jobs read the actions that count without looking up each action's advice; kept by
    ``advice.action_team`` at every flush that creates an action or changes an advice's status."""
    description: Mapped[str] = mapped_column(sa.Text)
    """What the organisation must do (markdown)."""
    deadline: Mapped[date]
    previous_action_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("advice_actions.id"))
    """In a correction: the action of the previous version this one was copied from."""
    need_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("case_needs.id", ondelete="SET NULL"), index=True)
    """The need of the blockage map this action solves (casefiles.blockage); done -> need solved."""

    # --- follow-through (may change after issuing) ---
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus), default=ActionStatus.OPEN)
    assigned_at: Mapped[Optional[datetime]]
    """When the organisation got this action (the issuing of the version that introduced it;
    kept through corrections that leave it unchanged): the start of 'days to confirm'."""
    deadline_extended_to: Mapped[Optional[date]]
    """A new deadline the team set when it upheld an escalated action (the advice keeps the
    original); the jobs use this one when set."""
    confirmed_at: Mapped[Optional[datetime]]
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    done_at: Mapped[Optional[datetime]]
    """When 'done' was reported."""
    done_on: Mapped[Optional[date]]
    """When it was done, as reported by the contact."""
    done_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    done_note: Mapped[str] = mapped_column(sa.Text, default="")
    refused_at: Mapped[Optional[datetime]]
    refused_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    refused_reason: Mapped[str] = mapped_column(sa.Text, default="")
    reminded_at: Mapped[Optional[datetime]]
    """When the due-soon reminder went out (once per deadline)."""
    overdue_notified_at: Mapped[Optional[datetime]]
    """When the action was marked overdue and the contacts told (once per deadline)."""
    escalated_at: Mapped[Optional[datetime]]
    """Escalated to the chair and waiting for the team's decision; cleared by the decision (and
    when the action is reported done). Written only by ``advice.escalation.ladder``."""
    escalation_kind: Mapped[Optional[EscalationKind]] = mapped_column(enum_column(EscalationKind))
    ladder_level: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default=sa.text("0"))
    """The action's level on the escalation ladder (``advice.escalation.models.Level``): 0 the
    contact, 1 the chair and the team, 2 to 4 past the team (the ``Escalation`` row keeps who was
    asked and the answer). Kept by ``advice.escalation.ladder`` alone, in the flush or the
    transaction that writes the rest of the escalation; every page reads it from here."""
    team_decision: Mapped[Optional[TeamDecision]] = mapped_column(enum_column(TeamDecision))
    team_decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    decided_at: Mapped[Optional[datetime]]
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    decided_meeting_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("meetings.id"))
    version: Mapped[int] = mapped_column(default=1)
    """Optimistic lock: two contacts acting at once cannot overwrite each other."""

    advice: Mapped[Advice] = relationship(back_populates="actions")
    organisation: Mapped[Organisation] = relationship()
    confirmed_by: Mapped[Optional[User]] = relationship(foreign_keys=[confirmed_by_id])
    done_by: Mapped[Optional[User]] = relationship(foreign_keys=[done_by_id])
    refused_by: Mapped[Optional[User]] = relationship(foreign_keys=[refused_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}

    #: Content fields, fixed once the advice is issued.
    CONTENT_FIELDS = ("advice_id", "organisation_id", "team_id", "description", "deadline", "previous_action_id", "need_id")

    @property
    def effective_deadline(self) -> date:
        return self.deadline_extended_to or self.deadline

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status in PENDING_ACTION and self.effective_deadline < (today or local_today())

    def content_key(self) -> tuple:
        return (self.organisation_id, self.description, self.deadline.isoformat())

    def __repr__(self) -> str:
        return f"<Action {self.id} org={self.organisation_id} {self.status}>"


class AdviceNeed(db.Model):
    """A need of the case's blockage map that this advice version names as the one it breaks."""

    __tablename__ = "advice_needs"

    advice_id: Mapped[int] = mapped_column(sa.ForeignKey("advice.id", ondelete="CASCADE"), primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("case_needs.id", ondelete="CASCADE"), primary_key=True, index=True)
