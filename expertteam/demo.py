"""Demo data: one believable week of a Hilversum-like expert team ("Expertteam Gooistad").

Everything is fictional; households are pseudonyms. Cases are made through the same service
functions as real use, so the audit trail and notifications are those real use leaves.
Idempotent: every item is looked up by its natural key first, so a second run adds nothing.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from accounts import mfa
from advice.closure.services import close_case
from advice.follow_through.services import complete_action, confirm_action
from casefiles import services as case_services
from casefiles.blockage import services as blockage
from casefiles.models import Case, InclusionCriterion
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
from meeting.agenda import add_item, publish_agenda
from meeting.attendance import record_attendance
from meeting.models import Meeting, MeetingStatus
from meeting.schedule import ensure_meetings
from meeting.session import mark_discussed

from . import demo_advice as advice_demo
from . import demo_financing as financing_demo
from . import demo_ladder as ladder_demo
from . import demo_plan as plan_demo

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


def _case(team: Team, owner: User, pseudonym: str, **fields) -> tuple[Case, bool]:
    case = db.session.scalar(sa.select(Case).where(Case.team_id == team.id, Case.household_pseudonym == pseudonym))
    if case is not None:
        return case, False
    return case_services.create_case(team, owner, household_pseudonym=pseudonym, **fields), True


def _past_meeting(team: Team, after) -> Meeting:
    """The team's regular meeting in the week after ``after`` (created if missing)."""
    ensure_meetings(team, after, weeks=2)
    return db.session.scalars(
        sa.select(Meeting).where(Meeting.team_id == team.id, Meeting.starts_at > after).order_by(Meeting.starts_at).limit(1)
    ).one()


def _discuss(meeting: Meeting, cases: list[Case], chair: User, attendance) -> None:
    """Put cases on a past meeting's agenda and take them as discussed, as the chair does live."""
    for case in cases:
        add_item(meeting, case, chair)
    publish_agenda(meeting, chair)
    if not meeting.attendances:
        with running_at(meeting.starts_at + timedelta(minutes=5)):
            for user, status in attendance:
                record_attendance(meeting, chair, user.id, status,
                                  deputy_name="J. de Wit (vervanger)" if status == "deputy" else "")
    for item in meeting.items:
        if item.case in cases:
            with running_at(meeting.starts_at + timedelta(minutes=30)):
                mark_discussed(item, chair)


def _map(case: Case, owner: User, needs: list[tuple[str, str, Organisation | None]],
         links: list[tuple[int, int, str]]) -> None:
    """The owner's blockage map at intake: ``needs`` (title, rule, who decides), ``links``
    (need, waits for, reason) by position in ``needs``."""
    made = [blockage.add_need(case, owner, title=title, rule=rule, decided_by_id=org.id if org else None)
            for title, rule, org in needs]
    for a, b, reason in links:
        blockage.link_needs(made[a], made[b], owner, reason=reason)


def seed() -> bool:
    """Load the demo; returns True when anything was added.

    The story is told in time: each step runs with the clock at the moment it happened
    (``core.clock.running_at``), so timelines, lead times and figures agree, and the history's
    notifications sit read in the inboxes instead of being e-mailed by the first scheduler run.
    """
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    cases_before = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    now = utcnow()
    zone = ZoneInfo(DEFAULT_ZONE)
    today = local_today(now)

    def on(days_ago: int, hour: int = 10, minute: int = 0) -> datetime:
        """That day's local time, ``days_ago`` days before today, in UTC."""
        return datetime.combine(today - timedelta(days=days_ago), time(hour, minute), zone).astimezone(timezone.utc)

    with running_at(on(200, 9)):  # the team starts: people, partners, the catalogue
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
        advice_demo.seed_advice_demo(team, chair)
        owners = []
        for slug, name in (("sophie", "Sophie van Leeuwen"), ("daan", "Daan Koster"), ("noor", "Noor Pietersen")):
            owner = _user(f"casushouder.{slug}", name)
            _role(owner, team, Role.CASE_OWNER, organisation=orgs[Domain.SOCIAL_WORK])
            owners.append(owner)
        sophie, daan, noor = owners
        if not db.session.scalar(sa.select(InclusionCriterion.id).where(InclusionCriterion.team_id == team.id).limit(1)):
            for text in CRITERIA:
                case_services.add_criterion(team, text, chair)
    criteria = db.session.scalars(
        sa.select(InclusionCriterion.id).where(InclusionCriterion.team_id == team.id, InclusionCriterion.active.is_(True))
    ).all()

    def consent(days_ago: int) -> dict:
        return dict(consent_date=today - timedelta(days=days_ago), consent_method="written", legal_ground="consent")

    financing_demo.seed_financing_demo(team, chair, noor, orgs, contacts, on)  # pay for success: the pilot's earlier households, the ledger

    # Meetings: two sessions in the past where cases were discussed, and the next eight weeks.
    with running_at(on(140)):
        last_quarter = _past_meeting(team, on(132))
    with running_at(on(20)):
        last_week = _past_meeting(team, on(12))
    ensure_meetings(team, now)
    attendance = [(user, status) for user, status in zip(
        experts, ["present"] * 6 + ["deputy", "absent"])]
    agenda_day = last_week.starts_at - timedelta(days=6)

    # 6. Closed with a breakthrough last quarter; the three-month follow-up is due.
    with running_at(on(160)):
        fransen, fransen_new = _case(
            team, noor, "Gezin Fransen",
            household_composition="Echtpaar (78 en 81).",
            domains=[Domain.WORK_INCOME, Domain.SOCIAL_WORK],
            organisation_ids=[orgs[Domain.WORK_INCOME].id, orgs[Domain.SOCIAL_WORK].id],
            tried="Wmo-aanvraag en bijzondere bijstand, beide afgewezen met verwijzing naar de andere regeling.",
            blockage="Zorg en inkomen verwijzen naar elkaar: de Wmo-voorziening wacht op de bijstand en andersom.",
            household_goal="\"Samen thuis blijven wonen, met de hulp die we nodig hebben.\"",
            question="Welke regeling gaat voor, en wie betaalt tot het geregeld is?",
            urgency="normal", **consent(162),
        )
    if fransen_new:
        with running_at(on(159, 14)):
            case_services.submit_case(fransen, noor)
        with running_at(on(155, 11)):
            case_services.accept_case(fransen, chair, criteria_met=criteria)
        session = last_quarter.starts_at
        with running_at(session - timedelta(days=6)):
            _discuss(last_quarter, [fransen], chair, attendance)
        with running_at(session + timedelta(hours=2)):
            advice = advice_demo.demo_advise(
                fransen, chair,
                situation="Ouder echtpaar; zorg en inkomen verwijzen naar elkaar.",
                blockage="Twee regelingen die elk op de andere wachten.",
                advice_text="De Sociale Dienst kent de bijzondere bijstand **nu** toe; de Wmo-voorziening volgt zonder "
                            "nieuwe aanvraag. Maatschappelijk werk begeleidt het echtpaar drie maanden.",
                legal_laws=["Participatiewet", "Wet maatschappelijke ondersteuning 2015"],
                actions=[
                    (orgs[Domain.WORK_INCOME], "Ken de bijzondere bijstand toe.", (session + timedelta(days=14)).date()),
                    (orgs[Domain.SOCIAL_WORK], "Begeleid het echtpaar drie maanden.", (session + timedelta(days=30)).date()),
                ],
            )
        with running_at(session + timedelta(days=10)):
            for action, org in zip(advice.actions, (Domain.WORK_INCOME, Domain.SOCIAL_WORK)):
                complete_action(action, contacts[org], expected_version=action.version,
                                note="Uitgevoerd zoals geadviseerd.", done_on=(session + timedelta(days=10)).date())
        with running_at(on(95, 15)):
            close_case(fransen, noor, outcome="reached",
                       note="Bijstand en Wmo-voorziening lopen; het echtpaar woont thuis.")

    # 2. Closed placement avoided — discussed last week; one action done, one confirmed (in execution).
    with running_at(on(40)):
        bos, bos_new = _case(
            team, daan, "Gezin Bos",
            household_composition="Vader (45), moeder (43), zoon (15), dochter (11).",
            domains=[Domain.PARENTING, Domain.GGZ, Domain.POLICE],
            organisation_ids=[orgs[Domain.PARENTING].id, orgs[Domain.GGZ].id, orgs[Domain.POLICE].id],
            tried="Ambulante jeugdhulp (1 jaar), MST-traject afgebroken, twee politiecontacten.",
            blockage="Een gesloten jeugdplaatsing is geïndiceerd, maar er is geen plek; intussen gebeurt er niets.",
            household_goal="\"Dat onze zoon thuis kan blijven en weer naar school gaat.\"",
            question="Kan het team gezinstherapie voor het hele gezin adviseren in plaats van wachten op een gesloten plaatsing?",
            urgency="high", **consent(42),
        )
        if bos_new:
            _map(bos, daan, [
                ("Gesloten jeugdplaatsing", "Jeugdwet art. 6.1.2 (machtiging)", orgs[Domain.PARENTING]),
                ("Zoon weer naar school", "Leerplichtwet", None),
                ("Gezinstherapie voor het hele gezin", "Jeugdwet art. 2.3 (passende voorziening)", orgs[Domain.GGZ]),
            ], [
                (1, 0, "De school neemt hem pas terug na een behandeling"),
                (0, 2, "Geen tussenoplossing zolang de indicatie op gesloten plaatsing staat"),
            ])
    if bos_new:
        with running_at(on(39, 16)):
            case_services.submit_case(bos, daan)
        with running_at(on(37, 9, 30)):
            case_services.accept_case(bos, secretary, criteria_met=criteria)

    # 1. Circular blockage — crisis; discussed last week, advice issued (advised).
    with running_at(on(30)):
        amber, amber_new = _case(
            team, sophie, "Gezin Amber",
            household_composition="Moeder (31) en twee kinderen (4 en 7).",
            domains=[Domain.HOUSING, Domain.DEBT, Domain.PARENTING, Domain.SOCIAL_WORK],
            organisation_ids=[orgs[Domain.HOUSING].id, orgs[Domain.DEBT].id, orgs[Domain.PARENTING].id],
            proposed_invitees="Woonconsulent Woonstichting De Vaart\nSchuldhulpverlener Schuldhulp Gooistad",
            tried="- Aanvraag urgentie bij de woningcorporatie: afgewezen vanwege openstaande restschuld.\n"
                  "- Schuldhulpverlening: geen minnelijk traject mogelijk zonder vast adres.\n"
                  "- Opvang bij familie, na drie weken beëindigd.",
            blockage="Geen urgentie zolang de restschuld op de vorige woning openstaat; de schuld kan niet worden "
                     "geregeld zonder vast adres. De vrouwenopvang zou betekenen dat de kinderen naar een pleeggezin gaan.",
            household_goal="\"Een eigen plek waar de kinderen bij mij kunnen blijven en naar dezelfde school kunnen.\"",
            question="Kan urgentie worden verleend onder de voorwaarde dat binnen acht weken een schuldregeling start?",
            urgency="crisis", **consent(31),
        )
        if amber_new:
            # The circle the README describes: urgency waits on the debt, the debt on an address,
            # the address on urgency; the children staying with their mother wait on all of it.
            _map(amber, sophie, [
                ("Urgentie voor een woning", "Huisvestingsverordening Gooistad art. 2.5", orgs[Domain.HOUSING]),
                ("Schuldregeling voor de restschuld", "Wet gemeentelijke schuldhulpverlening art. 4", orgs[Domain.DEBT]),
                ("Vast adres", "", None),
                ("Kinderen blijven bij hun moeder", "Jeugdwet", orgs[Domain.PARENTING]),
            ], [
                (0, 1, "Geen urgentie zolang de restschuld op de vorige woning openstaat"),
                (1, 2, "Geen minnelijk traject zonder vast adres"),
                (2, 0, "Zonder urgentie geen woning, dus geen vast adres"),
                (3, 0, "Zonder woning alleen de vrouwenopvang, en dan gaan de kinderen naar een pleeggezin"),
            ])
    if amber_new:
        with running_at(on(30, 15)):
            case_services.submit_case(amber, sophie)
        with running_at(on(29, 9)):
            case_services.accept_case(amber, chair, criteria_met=criteria)

    # Both were discussed at last week's session.
    fresh = [case for case, is_new in ((amber, amber_new), (bos, bos_new)) if is_new]
    if fresh:
        with running_at(agenda_day):
            _discuss(last_week, fresh, chair, attendance)
    if amber_new:
        with running_at(last_week.starts_at + timedelta(hours=3)):
            advice_demo.demo_advise(
                amber, chair,
                situation="Moeder met twee jonge kinderen, dakloos na huiselijk geweld; logeert tijdelijk bij een kennis.",
                blockage="Cirkel: geen urgentie zolang de restschuld openstaat, geen schuldregeling zonder vast adres.",
                advice_text="Verleen **nu** urgentie, onder de voorwaarde dat binnen acht weken een schuldregeling start. "
                            "De schuldhulpverlening start het traject op het adres van de nieuwe woning.",
                legal_laws=["Huisvestingswet 2014", "Algemene wet bestuursrecht", "Wet gemeentelijke schuldhulpverlening"],
                costs=[("current", "Vrouwenopvang (voorbeeldbedrag)", "6"),
                       ("current", "Pleegzorg (voorbeeldbedrag)", "2"),
                       ("breakthrough", "Schuldhulpverlening, intake tot nazorg", "1"),
                       ("breakthrough", "Maatschappelijk werk, begeleiding (voorbeeldbedrag)", "1")],
                actions=[
                    (orgs[Domain.HOUSING], "Verleen urgentie en doe binnen vier weken een passend woningaanbod.", today + timedelta(days=18)),
                    (orgs[Domain.DEBT], "Start binnen acht weken een schuldregeling, met de restschuld erin.", today + timedelta(days=46)),
                    (orgs[Domain.PARENTING], "Begeleid moeder en kinderen bij de verhuizing en de schoolkeuze.", today + timedelta(days=32)),
                ],
            )

    if bos_new:
        with running_at(last_week.starts_at + timedelta(hours=3, minutes=30)):
            advice = advice_demo.demo_advise(
                bos, chair,
                situation="Zoon van 15 met een indicatie voor gesloten jeugdzorg; er is geen plek.",
                blockage="Wachten op een gesloten plaatsing die er niet komt.",
                advice_text="Zet de indicatie om naar **gezinstherapie voor het hele gezin**, te starten binnen drie weken; "
                            "de wijkagent blijft aanspreekpunt voor de school.",
                legal_laws=["Jeugdwet"],
                costs=[("current", "Gesloten jeugdzorg (voorbeeldbedrag)", "1"),
                       ("breakthrough", "Gezinstherapie, traject (voorbeeldbedrag)", "1")],
                actions=[
                    (orgs[Domain.GGZ], "Start binnen drie weken gezinstherapie voor het hele gezin.", today + timedelta(days=11)),
                    (orgs[Domain.PARENTING], "Zet de indicatie om naar ambulante gezinsbegeleiding.", today + timedelta(days=4)),
                ],
            )
        therapy, indication = advice.actions
        with running_at(last_week.starts_at + timedelta(days=2, hours=1)):
            confirm_action(therapy, contacts[Domain.GGZ], expected_version=therapy.version)
        with running_at(on(2, 16)):
            complete_action(indication, contacts[Domain.PARENTING], expected_version=indication.version,
                            note="Indicatie omgezet; eerste gesprek gepland.", done_on=today - timedelta(days=2))

    # 3. Addiction, work and eviction — on the next meeting's published agenda (scheduled).
    with running_at(on(26)):
        cedar, new = _case(
            team, sophie, "Gezin Cedar",
            household_composition="Vader (52), alleenstaand, een volwassen dochter woont elders.",
            domains=[Domain.ADDICTION, Domain.WORK_INCOME, Domain.HOUSING, Domain.DEBT],
            organisation_ids=[orgs[Domain.ADDICTION].id, orgs[Domain.WORK_INCOME].id, orgs[Domain.HOUSING].id],
            tried="Verslavingszorg ambulant (gestopt na 3 gesprekken), betalingsregeling huur (niet nagekomen).",
            blockage="Ontruiming is aangekondigd wegens huurachterstand; zonder woning geen behandeling, zonder behandeling geen werk.",
            household_goal="\"Ik wil in mijn huis blijven en weer aan het werk.\"",
            question="Kan de ontruiming worden opgeschort als hij start met klinische behandeling?",
            urgency="high", **consent(27),
        )
        if new:
            _map(cedar, sophie, [
                ("Ontruiming opschorten", "Burgerlijk Wetboek 7:231 (ontbinding huur)", orgs[Domain.HOUSING]),
                ("Klinische behandeling", "Zorgverzekeringswet", orgs[Domain.ADDICTION]),
                ("Weer aan het werk", "Participatiewet art. 9", orgs[Domain.WORK_INCOME]),
            ], [
                (1, 0, "Geen opname zonder een woning om naar terug te keren"),
                (2, 1, "Geen re-integratie zolang de verslaving niet behandeld is"),
            ])
    if new:
        with running_at(on(25, 11)):
            case_services.submit_case(cedar, sophie)
        with running_at(on(20, 9)):
            case_services.accept_case(cedar, chair, criteria_met=criteria)
        upcoming = db.session.scalars(
            sa.select(Meeting).where(Meeting.team_id == team.id, Meeting.starts_at > now,
                                     Meeting.status.in_([MeetingStatus.PLANNED, MeetingStatus.PUBLISHED]))
            .order_by(Meeting.starts_at).limit(1)
        ).first()
        with running_at(min(on(1, 14), upcoming.starts_at - timedelta(days=1))):
            add_item(upcoming, cedar, secretary)
            publish_agenda(upcoming, secretary)

    # 4. Structural payment problem — accepted, waiting in the queue.
    with running_at(on(9)):
        dijk, new = _case(
            team, noor, "Gezin Dijk",
            household_composition="Moeder (39), vader (41), drie kinderen (8, 12 en 16).",
            domains=[Domain.DEBT, Domain.WORK_INCOME, Domain.PARENTING],
            organisation_ids=[orgs[Domain.DEBT].id, orgs[Domain.WORK_INCOME].id, orgs[Domain.PARENTING].id],
            tried="Vijf instanties betrokken, elk met een eigen plan; geen verbetering in twee jaar.",
            blockage="Iedere instantie helpt binnen de eigen regels; niemand overziet het geheel.",
            household_goal="\"Het huis houden en dat onze oudste weer naar school gaat.\"",
            question="Welke ene stap doorbreekt de betalingsproblemen structureel?",
            urgency="normal", **consent(10),
        )
    if new:
        with running_at(on(8, 10)):
            case_services.submit_case(dijk, noor)
        with running_at(on(5, 10)):
            case_services.accept_case(dijk, secretary, criteria_met=criteria)

    # 5. Not cooperating — returned to the owner for more information.
    with running_at(on(7)):
        eik, new = _case(
            team, daan, "Dhr. Eik",
            household_composition="Man (58), alleenstaand.",
            domains=[Domain.GGZ, Domain.SOCIAL_WORK],
            organisation_ids=[orgs[Domain.GGZ].id, orgs[Domain.SOCIAL_WORK].id],
            tried="Twee afspraken met het wijkteam; daarna geen reactie meer.",
            blockage="Meneer reageert niet meer op brieven en telefoontjes.",
            household_goal="Onbekend: meneer is niet meer bereikbaar.",
            question="Hoe krijgen we weer contact, en wie mag wat doen?",
            urgency="normal", **consent(8),
        )
    if new:
        with running_at(on(6, 12)):
            case_services.submit_case(eik, daan)
        with running_at(on(4, 11)):
            case_services.return_case(
                eik, secretary,
                message="Wat weten de huisarts en de woningcorporatie? Wanneer was het laatste contact en met wie?",
            )

    # 7. A new case waiting for intake (submitted this morning: news, so its messages go out).
    with running_at(on(2)):
        gerritsen, new = _case(
            team, sophie, "Gezin Gerritsen",
            household_composition="Vader (36), twee kinderen (10 en 13).",
            domains=[Domain.WORK_INCOME, Domain.DEBT, Domain.PARENTING],
            organisation_ids=[orgs[Domain.WORK_INCOME].id, orgs[Domain.DEBT].id],
            tried="Budgetbeheer en een re-integratietraject, beide gestopt na ziekte van vader.",
            blockage="Geen schuldregeling zolang er geen stabiel inkomen is; geen werk zolang de schulden stress geven.",
            household_goal="\"Rust, zodat ik weer kan werken en er voor mijn kinderen kan zijn.\"",
            question="Kan een schuldregeling starten terwijl het inkomen nog niet stabiel is?",
            urgency="normal", **consent(3),
        )
    if new:
        case_services.submit_case(gerritsen, sophie)

    ladder_demo.seed_ladder_demo(team, chair, daan, orgs, contacts, on, today)  # issue 17: the escalation ladder, prices, retention, repeats
    plan_demo.seed_plan_demo(team, chair, noor, orgs, on, today)  # issue 17: lawful basis, one plan, lessons for the system
    db.session.commit()
    users_after = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    cases_after = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    return users_after != before or cases_after != cases_before
