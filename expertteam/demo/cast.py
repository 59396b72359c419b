"""Who plays in the demo story: Expertteam Gooistad, its chair, secretary, experts and the
municipality's adviser, the partner organisations with their contacts, three case owners, and
the team's inclusion criteria; and the story's clock (``Cast.on``: a local time some days ago).

Everything is fictional. Idempotent: every person, team and organisation is looked up by its
natural key first. The caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from accounts import mfa
from casefiles import services as case_services
from casefiles.models import InclusionCriterion
from core.clock import DEFAULT_ZONE, local_today, running_at, utcnow
from core.db import db
from core.models import (
    Commitment,
    Domain,
    Membership,
    Organisation,
    OrganisationDomain,
    Role,
    Team,
    TeamDomain,
    User,
)

from .advice import seed_advice_demo

DEMO_PASSWORD = "expertteam-demo"
TEAM_CODE = "GOO"

EXPERTS = [
    (Domain.GGZ, "Dr. Sanne Verhoef", "ggz"),
    (Domain.PARENTING, "Mirjam de Ridder", "opvoeding"),
    (Domain.ADDICTION, "Karim El Amrani", "verslaving"),
    (Domain.WORK_INCOME, "Peter Hoogland", "werk"),
    (Domain.HOUSING, "Ingrid Bakker", "wonen"),
    (Domain.DEBT, "Ruud Vermeulen", "schulden"),
    (Domain.POLICE, "Inspecteur Lotte Janssen", "politie"),
    (Domain.SOCIAL_WORK, "Fatma Yilmaz", "welzijn"),
]

ORGANISATIONS = [
    ("Woonstichting De Vaart", [Domain.HOUSING], "Joost van Dam", "devaart"),
    ("GGZ Midden-Gooi", [Domain.GGZ], "Els Kramer", "ggzmg"),
    ("Verslavingszorg Eemland", [Domain.ADDICTION], "Youssef Bouali", "vze"),
    ("Sociale Dienst Gooistad", [Domain.WORK_INCOME], "Anouk Smit", "sdg"),
    ("Schuldhulp Gooistad", [Domain.DEBT], "Marco Visser", "shg"),
    ("Politie basisteam Gooistad", [Domain.POLICE], "Brigadier Wim de Boer", "politiebt"),
    ("Jeugd & Gezin Gooistad", [Domain.PARENTING], "Lisa Mulder", "jgg"),
    ("Stichting Welzijn Gooistad", [Domain.SOCIAL_WORK], "Henk Dijkstra", "swg"),
]

CRITERIA = [
    "Reguliere hulp is geprobeerd en loopt vast",
    "Er spelen problemen op meerdere leefgebieden",
    "De cliënt heeft toestemming gegeven voor bespreking",
    "Er is een concrete vraag aan het expertteam",
]


DEMO_DOMAIN = "@gooistad.example"


def moment(today: date, days_ago: int, hour: int = 10, minute: int = 0) -> datetime:
    """That day's local time, ``days_ago`` days before ``today``, in UTC."""
    local = datetime.combine(today - timedelta(days=days_ago), time(hour, minute), ZoneInfo(DEFAULT_ZONE))
    return local.astimezone(UTC)


@dataclass
class Cast:
    """The people and partners of the story, and its clock: ``now`` is when the demo is loaded,
    ``today`` that day in the teams' time zone."""

    now: datetime
    today: date
    team: Team
    chair: User
    secretary: User
    experts: list[User]
    orgs: dict[Domain, Organisation]
    contacts: dict[Domain, User]
    sophie: User
    daan: User
    noor: User
    criteria: list[int]

    def on(self, days_ago: int, hour: int = 10, minute: int = 0) -> datetime:
        """That day's local time, ``days_ago`` days before today, in UTC."""
        return moment(self.today, days_ago, hour, minute)

    def consent(self, days_ago: int) -> dict:
        """A case's written consent, given ``days_ago`` days before today."""
        return {"consent_date": self.today - timedelta(days=days_ago), "consent_method": "written",
                "legal_ground": "consent"}


def _email(slug: str) -> str:
    return f"{slug}{DEMO_DOMAIN}"


def _user(slug: str, name: str, *, is_admin: bool = False) -> User:
    email = _email(slug)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, is_admin=is_admin, locale="nl")
        user.set_password(DEMO_PASSWORD)
        # Demo accounts come with an authenticator already enrolled (a secret made for this
        # installation), so the demo can be tried without a phone: `flask --app expertteam
        # demo-code EMAIL` prints the current code. Real accounts enrol at first sign-in.
        user.totp_secret = mfa.new_secret()
        user.totp_enrolled_at = utcnow()
        db.session.add(user)
        db.session.flush()
    return user


def is_demo_account(email: str) -> bool:
    return email.endswith(DEMO_DOMAIN)


def _role(user: User, team: Team, role: Role, *, domain: Domain | None = None, organisation: Organisation | None = None) -> None:
    exists = db.session.scalar(
        sa.select(Membership.id).where(Membership.user_id == user.id, Membership.team_id == team.id, Membership.role == role)
    )
    if exists is None:
        db.session.add(Membership(user=user, team=team, role=role, domain=domain, organisation=organisation))
        db.session.flush()


def _team() -> Team:
    team = db.session.scalar(sa.select(Team).where(Team.code == TEAM_CODE))
    if team is None:
        team = Team(
            name="Expertteam Gooistad",
            municipality="Gemeente Gooistad",
            code=TEAM_CODE,
            meeting_weekday=1,
            meeting_start=time(9, 0),
            meeting_end=time(12, 0),
            location="Stadhuis, zaal 2.14",
            capacity=4,
            quorum=5,
        )
        team.domains = [TeamDomain(domain=d) for d in Domain]
        db.session.add(team)
        db.session.flush()
    return team


def _organisation(name: str, domains: list[Domain], team: Team, *, signed: date) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name)
        org.domains = [OrganisationDomain(domain=d) for d in domains]
        db.session.add(org)
        db.session.flush()
    if org.commitment_for(team.id) is None:
        db.session.add(Commitment(team=team, organisation=org, committed_on=signed,
                                  note="Convenant expertteam Gooistad (demo)"))
        db.session.flush()
    return org


def assemble(now: datetime) -> Cast:
    """The cast as the team started, 200 days before ``now``: people, partners, the catalogue."""
    today = local_today(now)
    with running_at(moment(today, 200, 9)):
        _user("beheer", "Beheerder Gooistad", is_admin=True)
        team = _team()
        chair = _user("voorzitter", "Marieke Hendriks")
        _role(chair, team, Role.CHAIR)
        secretary = _user("secretaris", "Tom de Groot")
        _role(secretary, team, Role.SECRETARY)
        # The municipality's policy adviser: the pilot's figures only, never case content.
        _role(_user("gemeente", "Eva Brouwer (beleidsadviseur)"), team, Role.MUNICIPALITY)
        experts = []
        for domain, name, slug in EXPERTS:
            expert = _user(f"expert.{slug}", name)
            _role(expert, team, Role.EXPERT, domain=domain)
            experts.append(expert)
        orgs, contacts = {}, {}
        for name, domains, contact, slug in ORGANISATIONS:
            org = _organisation(name, domains, team, signed=today - timedelta(days=210))
            orgs[domains[0]] = org
            contacts[domains[0]] = _user(f"contact.{slug}", contact)
            _role(contacts[domains[0]], team, Role.ORG_CONTACT, organisation=org)
        seed_advice_demo(team, chair)
        owners = []
        for slug, name in (("sophie", "Sophie van Leeuwen"), ("daan", "Daan Koster"), ("noor", "Noor Pietersen")):
            owner = _user(f"casushouder.{slug}", name)
            _role(owner, team, Role.CASE_OWNER, organisation=orgs[Domain.SOCIAL_WORK])
            owners.append(owner)
        if not db.session.scalar(sa.select(InclusionCriterion.id).where(InclusionCriterion.team_id == team.id).limit(1)):
            for text in CRITERIA:
                case_services.add_criterion(team, text, chair)
    criteria = db.session.scalars(
        sa.select(InclusionCriterion.id).where(InclusionCriterion.team_id == team.id, InclusionCriterion.active.is_(True))
    ).all()
    sophie, daan, noor = owners
    return Cast(now=now, today=today, team=team, chair=chair, secretary=secretary, experts=experts, orgs=orgs,
                contacts=contacts, sophie=sophie, daan=daan, noor=noor, criteria=list(criteria))
