"""The shared models: people (``User``), teams with their domains, roles (``Membership``),
organisations and their commitment to a team; the enumerations of domains, roles and
notification preferences. (The audit trail's model is in ``core.audit``.)"""
from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .clock import DEFAULT_ZONE, team_today, utcnow
from .db import db, enum_column


class Domain(enum.StrEnum):
    """An expertise area; each expert covers one, each team chooses which it covers."""

    GGZ = "ggz"
    PARENTING = "parenting"
    ADDICTION = "addiction"
    WORK_INCOME = "work_income"
    HOUSING = "housing"
    DEBT = "debt"
    POLICE = "police"
    SOCIAL_WORK = "social_work"

    @property
    def label(self) -> str:
        return str(DOMAIN_LABELS[self])


DOMAIN_LABELS = {
    Domain.GGZ: _l("Mental health care (GGZ)"),
    Domain.PARENTING: _l("Parenting and youth"),
    Domain.ADDICTION: _l("Addiction care"),
    Domain.WORK_INCOME: _l("Work and income"),
    Domain.HOUSING: _l("Housing"),
    Domain.DEBT: _l("Debt assistance"),
    Domain.POLICE: _l("Police"),
    Domain.SOCIAL_WORK: _l("Social work"),
}


class Role(enum.StrEnum):
    """A person's role in one team."""

    CASE_OWNER = "case_owner"
    EXPERT = "expert"
    CHAIR = "chair"
    SECRETARY = "secretary"
    ORG_CONTACT = "org_contact"
    MUNICIPALITY = "municipality"
    """Reads the team's pilot figures and period report only (never case content)."""

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.CASE_OWNER: _l("Case owner"),
    Role.EXPERT: _l("Expert"),
    Role.CHAIR: _l("Chair"),
    Role.SECRETARY: _l("Secretary"),
    Role.ORG_CONTACT: _l("Organisation contact"),
    Role.MUNICIPALITY: _l("Municipality (figures only)"),
}

#: Roles that make up the expert team proper and see the team's queue and agendas.
TEAM_ROLES = frozenset({Role.EXPERT, Role.CHAIR, Role.SECRETARY})
#: Roles that run intake, build agendas and issue advice.
LEAD_ROLES = frozenset({Role.CHAIR, Role.SECRETARY})


class NotificationPreference(enum.StrEnum):
    """How a user wants to hear about notifications (some kinds always e-mail)."""

    IMMEDIATE = "immediate"  # an e-mail per notification, as soon as the sender runs
    DIGEST = "digest"        # one e-mail a day with everything since the last one
    IN_APP = "in_app"        # only the inbox in the app

    @property
    def label(self) -> str:
        return str(NOTIFICATION_PREFERENCE_LABELS[self])


NOTIFICATION_PREFERENCE_LABELS = {
    NotificationPreference.IMMEDIATE: _l("An e-mail for every message"),
    NotificationPreference.DIGEST: _l("One e-mail a day with all new messages"),
    NotificationPreference.IN_APP: _l("No e-mail, only messages in the app"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # The people list of the administration, by name a page at a time (keyset on name, id).
    __table_args__ = (sa.Index("ix_users_name", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    """Stored lower-cased; the login name."""
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    """Installation administrator: manages teams, people, organisations; sees no case content."""
    active: Mapped[bool] = mapped_column(default=True)
    """Deactivated users cannot sign in; their history stays."""
    locale: Mapped[str] = mapped_column(sa.String(5), default="nl")
    """Interface language chosen by the user: 'nl' or 'en'."""
    notification_preference: Mapped[NotificationPreference] = mapped_column(
        enum_column(NotificationPreference),
        default=NotificationPreference.IMMEDIATE,
        server_default=NotificationPreference.IMMEDIATE.value,
    )
    """E-mail per notification, a daily digest, or in-app only (kinds marked always_email
    are e-mailed regardless)."""
    session_version: Mapped[int] = mapped_column(default=1)
    """Raised on sign-out everywhere, password change or deactivation; sessions carrying an older
    value are refused, so a copied cookie stops working."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    totp_secret: Mapped[Optional[str]] = mapped_column(sa.String(64))
    """Base32 secret of the second factor (TOTP); NULL until the user has enrolled."""
    totp_last_step: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    """The last TOTP time step accepted: a code of this step or an earlier one is refused, so
    each code is used once only."""
    totp_enrolled_at: Mapped[Optional[datetime]]

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: the id plus the session version
        return f"{self.id}:{self.session_version}"

    # --- roles -------------------------------------------------------------------------------
    def roles_in(self, team_id: int) -> set[Role]:
        return {m.role for m in self.memberships if m.team_id == team_id and m.active}

    def has_role(self, team_id: int, *roles: Role) -> bool:
        return any(
            m.team_id == team_id and m.active and m.role in roles for m in self.memberships
        )

    def team_ids(self, *roles: Role) -> set[int]:
        return {m.team_id for m in self.memberships if m.active and (not roles or m.role in roles)}

    def organisation_ids(self, team_id: int | None = None) -> set[int]:
        """Organisations this user is a contact for (optionally within one team)."""
        return {
            m.organisation_id
            for m in self.memberships
            if m.active
            and m.role == Role.ORG_CONTACT
            and m.organisation_id is not None
            and (team_id is None or m.team_id == team_id)
        }

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Team(db.Model):
    """An expert team of one municipality, with its meeting defaults."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    municipality: Mapped[str] = mapped_column(sa.String(120))
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    """Short upper-case prefix of case references, e.g. 'GOO' in GOO-2026-0007."""
    active: Mapped[bool] = mapped_column(default=True)

    # Meeting defaults (DESIGN.md, meeting rules).
    meeting_weekday: Mapped[int] = mapped_column(default=1)
    """0 = Monday … 6 = Sunday; default Tuesday."""
    meeting_start: Mapped[time] = mapped_column(default=time(9, 0))
    meeting_end: Mapped[time] = mapped_column(default=time(12, 0))
    timezone: Mapped[str] = mapped_column(sa.String(64), default=DEFAULT_ZONE)
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    """Room or video link."""
    capacity: Mapped[int] = mapped_column(default=4)
    """Cases per session."""
    cutoff_weekday: Mapped[int] = mapped_column(default=4)
    """Weekday of the agenda cut-off before the meeting (default Friday)."""
    cutoff_time: Mapped[time] = mapped_column(default=time(12, 0))
    quorum: Mapped[int] = mapped_column(default=5)
    """Minimum number of experts present for a binding advice."""
    retention_years: Mapped[int] = mapped_column(default=2, server_default="2")
    """Years after closing before a closed case is anonymised (GDPR storage limitation)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    domains: Mapped[list["TeamDomain"]] = relationship(
        cascade="all, delete-orphan", order_by="TeamDomain.domain"
    )
    memberships: Mapped[list["Membership"]] = relationship(back_populates="team")
    commitments: Mapped[list["Commitment"]] = relationship(back_populates="team")

    @property
    def domain_values(self) -> list[Domain]:
        return [d.domain for d in self.domains]

    def __repr__(self) -> str:
        return f"<Team {self.code}>"


class TeamDomain(db.Model):
    """A domain the team covers (configurable per team)."""

    __tablename__ = "team_domains"

    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    domain: Mapped[Domain] = mapped_column(enum_column(Domain), primary_key=True)


class Membership(db.Model):
    """A role of one user in one team. Experts carry their domain, contacts their organisation."""

    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "team_id", "role", name="uq_memberships_user_team_role"),
        sa.CheckConstraint(
            "(role <> 'expert') OR (domain IS NOT NULL)", name="expert_has_domain"
        ),
        sa.CheckConstraint(
            "(role <> 'org_contact') OR (organisation_id IS NOT NULL)",
            name="contact_has_organisation",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    domain: Mapped[Optional[Domain]] = mapped_column(enum_column(Domain))
    """The expert's domain (experts only)."""
    organisation_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisations.id"))
    """The organisation a contact speaks for (required for contacts, optional for case owners)."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship(back_populates="memberships")
    organisation: Mapped[Optional["Organisation"]] = relationship()


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    domains: Mapped[list["OrganisationDomain"]] = relationship(
        cascade="all, delete-orphan", order_by="OrganisationDomain.domain"
    )
    commitments: Mapped[list["Commitment"]] = relationship(back_populates="organisation")

    @property
    def domain_values(self) -> list[Domain]:
        return [d.domain for d in self.domains]

    def commitment_for(self, team_id: int) -> Optional["Commitment"]:
        for c in self.commitments:
            if c.team_id == team_id:
                return c
        return None

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"


class OrganisationDomain(db.Model):
    __tablename__ = "organisation_domains"

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    domain: Mapped[Domain] = mapped_column(enum_column(Domain), primary_key=True)


class Commitment(db.Model):
    """An organisation's signed commitment to carry out the team's binding advice."""

    __tablename__ = "commitments"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "organisation_id", name="uq_commitments_team_organisation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    committed_on: Mapped[date]
    """The date the organisation signed."""
    ended_on: Mapped[Optional[date]]
    """The date the commitment ended; NULL while it holds."""
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    escalation_name: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")
    """The director-level contact the escalation ladder turns to (advice.escalation, level 2)."""
    escalation_email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")

    team: Mapped[Team] = relationship(back_populates="commitments")
    organisation: Mapped[Organisation] = relationship(back_populates="commitments")

    def is_active(self, on: date | None = None) -> bool:
        on = on or team_today(self.team)
        return self.committed_on <= on and (self.ended_on is None or self.ended_on > on)
