"""The demo's cases that wait for the team: Cedar on the next meeting's published agenda, Dijk
accepted in the queue, Eik returned to its owner for more information, and Gerritsen submitted
this morning, waiting for intake. Each is found by its pseudonym first, so a second run adds
nothing. The caller commits.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from casefiles import services as case_services
from core.clock import running_at
from core.db import db
from core.models import Domain
from meeting.agenda import add_item, publish_agenda
from meeting.models import Meeting, MeetingStatus

from .cast import Cast
from .steps import find_or_create_case, map_needs, submit_and_accept


def seed_waiting_cases(c: Cast) -> None:
    """The four cases in the order the story tells them."""
    _cedar(c)
    _dijk(c)
    _eik(c)
    _gerritsen(c)


def _cedar(c: Cast) -> None:
    """3. Addiction, work and eviction — on the next meeting's published agenda (scheduled)."""
    with running_at(c.on(26)):
        cedar, new = find_or_create_case(
            c.team, c.sophie, "Gezin Cedar",
            household_composition="Vader (52), alleenstaand, een volwassen dochter woont elders.",
            domains=[Domain.ADDICTION, Domain.WORK_INCOME, Domain.HOUSING, Domain.DEBT],
            organisation_ids=[c.orgs[Domain.ADDICTION].id, c.orgs[Domain.WORK_INCOME].id, c.orgs[Domain.HOUSING].id],
            tried="Verslavingszorg ambulant (gestopt na 3 gesprekken), betalingsregeling huur (niet nagekomen).",
            blockage="Ontruiming is aangekondigd wegens huurachterstand; zonder woning geen behandeling, zonder behandeling geen werk.",
            household_goal="\"Ik wil in mijn huis blijven en weer aan het werk.\"",
            question="Kan de ontruiming worden opgeschort als hij start met klinische behandeling?",
            urgency="high", **c.consent(27),
        )
        if new:
            map_needs(cedar, c.sophie, [
                ("Ontruiming opschorten", "Burgerlijk Wetboek 7:231 (ontbinding huur)", c.orgs[Domain.HOUSING]),
                ("Klinische behandeling", "Zorgverzekeringswet", c.orgs[Domain.ADDICTION]),
                ("Weer aan het werk", "Participatiewet art. 9", c.orgs[Domain.WORK_INCOME]),
            ], [
                (1, 0, "Geen opname zonder een woning om naar terug te keren"),
                (2, 1, "Geen re-integratie zolang de verslaving niet behandeld is"),
            ])
    if new:
        submit_and_accept(cedar, c.sophie, c.on(25, 11), c.chair, c.on(20, 9), c.criteria)
        upcoming = db.session.scalars(
            sa.select(Meeting).where(Meeting.team_id == c.team.id, Meeting.starts_at > c.now,
                                     Meeting.status.in_([MeetingStatus.PLANNED, MeetingStatus.PUBLISHED]))
            .order_by(Meeting.starts_at).limit(1)
        ).first()
        with running_at(min(c.on(1, 14), upcoming.starts_at - timedelta(days=1))):
            add_item(upcoming, cedar, c.secretary)
            publish_agenda(upcoming, c.secretary)


def _dijk(c: Cast) -> None:
    """4. Structural payment problem — accepted, waiting in the queue."""
    with running_at(c.on(9)):
        dijk, new = find_or_create_case(
            c.team, c.noor, "Gezin Dijk",
            household_composition="Moeder (39), vader (41), drie kinderen (8, 12 en 16).",
            domains=[Domain.DEBT, Domain.WORK_INCOME, Domain.PARENTING],
            organisation_ids=[c.orgs[Domain.DEBT].id, c.orgs[Domain.WORK_INCOME].id, c.orgs[Domain.PARENTING].id],
            tried="Vijf instanties betrokken, elk met een eigen plan; geen verbetering in twee jaar.",
            blockage="Iedere instantie helpt binnen de eigen regels; niemand overziet het geheel.",
            household_goal="\"Het huis houden en dat onze oudste weer naar school gaat.\"",
            question="Welke ene stap doorbreekt de betalingsproblemen structureel?",
            urgency="normal", **c.consent(10),
        )
    if new:
        submit_and_accept(dijk, c.noor, c.on(8, 10), c.secretary, c.on(5, 10), c.criteria)


def _eik(c: Cast) -> None:
    """5. Not cooperating — returned to the owner for more information."""
    with running_at(c.on(7)):
        eik, new = find_or_create_case(
            c.team, c.daan, "Dhr. Eik",
            household_composition="Man (58), alleenstaand.",
            domains=[Domain.GGZ, Domain.SOCIAL_WORK],
            organisation_ids=[c.orgs[Domain.GGZ].id, c.orgs[Domain.SOCIAL_WORK].id],
            tried="Twee afspraken met het wijkteam; daarna geen reactie meer.",
            blockage="Meneer reageert niet meer op brieven en telefoontjes.",
            household_goal="Onbekend: meneer is niet meer bereikbaar.",
            question="Hoe krijgen we weer contact, en wie mag wat doen?",
            urgency="normal", **c.consent(8),
        )
    if new:
        with running_at(c.on(6, 12)):
            case_services.submit_case(eik, c.daan)
        with running_at(c.on(4, 11)):
            case_services.return_case(
                eik, c.secretary,
                message="Wat weten de huisarts en de woningcorporatie? Wanneer was het laatste contact en met wie?",
            )


def _gerritsen(c: Cast) -> None:
    """7. A new case waiting for intake (submitted this morning: news, so its messages go out)."""
    with running_at(c.on(2)):
        gerritsen, new = find_or_create_case(
            c.team, c.sophie, "Gezin Gerritsen",
            household_composition="Vader (36), twee kinderen (10 en 13).",
            domains=[Domain.WORK_INCOME, Domain.DEBT, Domain.PARENTING],
            organisation_ids=[c.orgs[Domain.WORK_INCOME].id, c.orgs[Domain.DEBT].id],
            tried="Budgetbeheer en een re-integratietraject, beide gestopt na ziekte van vader.",
            blockage="Geen schuldregeling zolang er geen stabiel inkomen is; geen werk zolang de schulden stress geven.",
            household_goal="\"Rust, zodat ik weer kan werken en er voor mijn kinderen kan zijn.\"",
            question="Kan een schuldregeling starten terwijl het inkomen nog niet stabiel is?",
            urgency="normal", **c.consent(3),
        )
    if new:
        case_services.submit_case(gerritsen, c.sophie)
