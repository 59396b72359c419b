"""Stuck cases, their domains and organisations, and the team's intake checklist."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import db, enum_column
from core.models import Domain, Organisation, Team, User


class CaseStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    DISCUSSED = "discussed"
    ADVISED = "advised"
    IN_EXECUTION = "in_execution"
    COMPLETED = "completed"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    CaseStatus.DRAFT: _l("Draft"),
    CaseStatus.SUBMITTED: _l("Submitted"),
    CaseStatus.RETURNED: _l("Returned for more information"),
    CaseStatus.DECLINED: _l("Declined"),
    CaseStatus.ACCEPTED: _l("In the queue"),
    CaseStatus.SCHEDULED: _l("On the agenda"),
    CaseStatus.DISCUSSED: _l("Discussed"),
    CaseStatus.ADVISED: _l("Advised"),
    CaseStatus.IN_EXECUTION: _l("In execution"),
    CaseStatus.COMPLETED: _l("Completed"),
    CaseStatus.CLOSED: _l("Closed"),
    CaseStatus.WITHDRAWN: _l("Withdrawn"),
}

#: States a case never leaves: nothing about it changes any more (retention clears it later).
FINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.DECLINED, CaseStatus.WITHDRAWN})


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    CRISIS = "crisis"

    @property
    def label(self) -> str:
        return str(URGENCY_LABELS[self])

    @property
    def rank(self) -> int:
        """Queue order: lower comes first."""
        return URGENCY_RANK[self]


URGENCY_LABELS = {
    Urgency.NORMAL: _l("Normal"),
    Urgency.HIGH: _l("High"),
    Urgency.CRISIS: _l("Crisis"),
}
URGENCY_RANK = {Urgency.CRISIS: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}


class ConsentMethod(enum.StrEnum):
    WRITTEN = "written"
    VERBAL = "verbal"
    DIGITAL = "digital"

    @property
    def label(self) -> str:
        return str(CONSENT_LABELS[self])


CONSENT_LABELS = {
    ConsentMethod.WRITTEN: _l("In writing (signed form)"),
    ConsentMethod.VERBAL: _l("Verbally, recorded in the file"),
    ConsentMethod.DIGITAL: _l("Digitally (e-mail or portal)"),
}


class LegalGround(enum.StrEnum):
    """The ground on which the case owner's organisation shares the household's data (GDPR)."""

    CONSENT = "consent"
    PUBLIC_TASK = "public_task"
    VITAL_INTEREST = "vital_interest"

    @property
    def label(self) -> str:
        return str(LEGAL_GROUND_LABELS[self])


LEGAL_GROUND_LABELS = {
    LegalGround.CONSENT: _l("Explicit consent of the client (GDPR art. 6(1)(a), 9(2)(a))"),
    LegalGround.PUBLIC_TASK: _l("Statutory task of the municipality (GDPR art. 6(1)(e); Wmo 2015, Jeugdwet, Participatiewet)"),
    LegalGround.VITAL_INTEREST: _l("Vital interest of the client or a child (GDPR art. 6(1)(d))"),
}


class Case(db.Model):
    """A stuck case submitted to the expert team. Household data is pseudonymised."""

    __tablename__ = "cases"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "year", "number", name="uq_cases_team_year_number"),
        sa.Index("ix_cases_team_status", "team_id", "status"),
        # The pilot figures of a period (reports.figures): the team's cases submitted, taken in.
        sa.Index("ix_cases_team_submitted", "team_id", "submitted_at"),
        sa.Index("ix_cases_team_intake", "team_id", "intake_at"),
        # The owner's home: open cases in full, final ones keyset-paged by (updated_at, id).
        sa.Index("ix_cases_owner_updated", "owner_id", "updated_at", "id"),
        # Retention: the cases not yet anonymised, by when they ended (``casefiles.privacy``);
        # "nothing due" is an empty range of this index.
        sa.Index("ix_cases_retention_due", sa.text("coalesce(closed_at, updated_at)"),
                 postgresql_where=sa.text("anonymised_at IS NULL"), sqlite_where=sa.text("anonymised_at IS NULL")),
        # Cases never submitted (drafts, few): the dashboard leaves their withdrawals out.
        sa.Index("ix_cases_unsubmitted", "id",
                 postgresql_where=sa.text("submitted_at IS NULL"), sqlite_where=sa.text("submitted_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    year: Mapped[int]
    """Year of the reference (creation year, Europe/Amsterdam)."""
    number: Mapped[int]
    """Sequence number within team and year."""
    reference: Mapped[str] = mapped_column(sa.String(24), unique=True)
    """Human reference, e.g. GOO-2026-0007; the only case detail e-mails carry."""
    status: Mapped["CaseStatus"] = mapped_column(enum_column(CaseStatus), default=CaseStatus.DRAFT)

    household_pseudonym: Mapped[str] = mapped_column(sa.String(80))
    """A pseudonym for the household (e.g. 'Gezin Amber'); never a real name or BSN."""
    household_composition: Mapped[str] = mapped_column(sa.Text, default="")
    tried: Mapped[str] = mapped_column(sa.Text, default="")
    """What regular help has tried so far (markdown)."""
    blockage: Mapped[str] = mapped_column(sa.Text, default="")
    """Where it is stuck: the blockage as the owner sees it (markdown)."""
    household_goal: Mapped[str] = mapped_column(sa.Text, default="")
    """What the household itself wants to reach, in its own words (markdown)."""
    question: Mapped[str] = mapped_column(sa.Text, default="")
    """The question to the expert team (markdown)."""
    proposed_invitees: Mapped[str] = mapped_column(sa.Text, default="")
    """People of the involved organisations the owner proposes to invite, one per line."""
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency), default=Urgency.NORMAL)
    consent_date: Mapped[Optional[date]]
    """When the client consented to submitting the case."""
    consent_method: Mapped[Optional[ConsentMethod]] = mapped_column(enum_column(ConsentMethod))
    consent_note: Mapped[str] = mapped_column(sa.String(500), default="")
    legal_ground: Mapped[Optional[LegalGround]] = mapped_column(enum_column(LegalGround))
    """The old single choice of a ground, no longer asked: migration 0008 turned it into a ground
    per receiving organisation (``casefiles.lawful_basis``); kept as the owner gave it."""
    referring_organisation_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisations.id"))
    """The referring partner: the case owner's organisation, the controller of the case's data
    (the team processes it on that partner's behalf)."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[Optional[datetime]]
    """First submission."""
    intake_at: Mapped[Optional[datetime]]
    """When intake accepted or declined the case."""
    queued_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    """Start of waiting in the queue; kept when a case is postponed, so it keeps its place."""
    queue_priority: Mapped[int] = mapped_column(default=0, server_default="0")
    """Queue order before urgency and waiting time, higher first: a case postponed at a meeting
    or taken off a cancelled meeting gets 1, so it returns at the head of the queue (reset to 0
    when it is scheduled again)."""
    closed_at: Mapped[Optional[datetime]]
    repeat_of_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"))
    """An earlier case of the same team this one repeats (``casefiles.repeats``), set by the owner."""
    repeat_within_year: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    """The earlier case ended less than 12 months before this one was made: flagged at intake,
    counted in the figures."""
    anonymised_at: Mapped[Optional[datetime]]
    """When retention cleared the case's free text (every package's part); NULL until then.
    Retention skips cases that have it, so running it twice changes nothing."""
    version: Mapped[int] = mapped_column(default=1)
    """Optimistic-locking counter: a stale form is refused instead of overwriting."""

    team: Mapped[Team] = relationship()
    owner: Mapped[User] = relationship()
    domains: Mapped[list["CaseDomain"]] = relationship(
        cascade="all, delete-orphan", order_by="CaseDomain.domain"
    )
    organisations: Mapped[list["CaseOrganisation"]] = relationship(cascade="all, delete-orphan")
    referring_organisation: Mapped[Optional[Organisation]] = relationship(foreign_keys=[referring_organisation_id])
    recipient_grounds: Mapped[list["CaseRecipientGround"]] = relationship(cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def domain_values(self) -> list[Domain]:
        return [d.domain for d in self.domains]

    @property
    def organisation_ids(self) -> list[int]:
        return [o.organisation_id for o in self.organisations]

    def __repr__(self) -> str:
        return f"<Case {self.reference} {self.status}>"


class CaseDomain(db.Model):
    __tablename__ = "case_domains"
    __table_args__ = (sa.Index("ix_case_domains_domain", "domain"),)

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    domain: Mapped[Domain] = mapped_column(enum_column(Domain), primary_key=True)


class CaseOrganisation(db.Model):
    """An organisation already involved with the household."""

    __tablename__ = "case_organisations"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), primary_key=True)

    organisation: Mapped[Organisation] = relationship()


class CaseCounter(db.Model):
    """Last reference number per team and year; bumped atomically."""

    __tablename__ = "case_counters"

    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class InclusionCriterion(db.Model):
    """One item of the team's intake checklist, e.g. 'regular help has been tried'."""

    __tablename__ = "inclusion_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    text: Mapped[str] = mapped_column(sa.String(300))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class CaseMessage(db.Model):
    """Free text written at a step of the case, by any package (a return question, a reason to
    decline or withdraw, an intake note, a refusal reason, a team decision, a correction reason,
    the team's review of an evaluation). Kept here, not in the append-only audit trail, so
    retention can clear it; the audit row refers to it by id (``casefiles.services.keep_text``)."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    """The step it belongs to: 'return', 'decline', 'withdraw', 'intake_note' (intake);
    'team_decision', 'advice_correction', 'followup_review' (advice); 'action_refused' only in
    older rows (a refusal reason now lives on the action alone, ``Action.refused_reason``)."""
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)



from .lawful_models import CaseRecipientGround, LegalBasis  # noqa: E402,F401 - one metadata for the package
