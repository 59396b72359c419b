"""Demo data: one believable week of a Hilversum-like expert team ("Expertteam Gooistad").

Everything is fictional; households are pseudonyms. Cases are made through the same service
functions as real use, so the audit trail and notifications are those real use leaves.
Idempotent: every item is looked up by its natural key first, so a second run adds nothing.

``seed`` tells the story in order. This module holds the chapters of the cases the team
discussed (Fransen last quarter, Amber and Bos last week); the cast, the cases still waiting,
the pilot's financing, the escalation ladder and the one plan have modules of their own.
"""
from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

import sqlalchemy as sa

from advice.closure.services import close_case
from advice.follow_through.services import complete_action, confirm_action
from casefiles.models import Case
from core.clock import running_at, utcnow
from core.db import db
from core.models import Domain, User
from meeting.models import Meeting
from meeting.schedule import ensure_meetings

from .advice import demo_advise
from .cast import Cast, assemble
from .financing import seed_financing_demo
from .ladder import seed_ladder_demo
from .plan import seed_plan_demo
from .steps import (
    discuss,
    find_or_create_case,
    map_needs,
    past_meeting,
    submit_and_accept,
)
from .waiting import seed_waiting_cases


class _Sessions(NamedTuple):
    """The two past meetings where the story's cases were discussed, and who attended them."""

    last_quarter: Meeting
    last_week: Meeting
    attendance: list[tuple[User, str]]


def seed() -> bool:
    """Load the demo; returns True when anything was added.

    The story is told in time: each step runs with the clock at the moment it happened
    (``core.clock.running_at``), so timelines, lead times and figures agree, and the history's
    notifications sit read in the inboxes instead of being e-mailed by the first scheduler run.
    """
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    cases_before = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    c = assemble(utcnow())
    # Pay for success: the pilot's earlier households, the ledger.
    seed_financing_demo(c.team, c.chair, c.noor, c.orgs, c.contacts, c.on)
    sessions = _sessions(c)
    _fransen(c, sessions)
    bos = _bos(c)
    amber = _amber(c)
    _last_week(c, sessions, amber, bos)
    seed_waiting_cases(c)
    # The escalation ladder, prices, retention, repeats.
    seed_ladder_demo(c.team, c.chair, c.daan, c.orgs, c.contacts, c.on, c.today)
    # Lawful basis, one plan, lessons for the system.
    seed_plan_demo(c.team, c.chair, c.noor, c.orgs, c.on, c.today)
    db.session.commit()
    users_after = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    cases_after = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    return users_after != before or cases_after != cases_before


def _sessions(c: Cast) -> _Sessions:
    """Meetings: two sessions in the past where cases were discussed, and the next eight weeks."""
    with running_at(c.on(140)):
        last_quarter = past_meeting(c.team, c.on(132))
    with running_at(c.on(20)):
        last_week = past_meeting(c.team, c.on(12))
    ensure_meetings(c.team, c.now)
    attendance = [(user, status) for user, status in zip(
        c.experts, ["present"] * 6 + ["deputy", "absent"])]
    return _Sessions(last_quarter, last_week, attendance)


def _fransen(c: Cast, s: _Sessions) -> None:
    """6. Closed with a breakthrough last quarter; the three-month evaluation is due."""
    with running_at(c.on(160)):
        fransen, fransen_new = find_or_create_case(
            c.team, c.noor, "Gezin Fransen",
            household_composition="Echtpaar (78 en 81).",
            domains=[Domain.WORK_INCOME, Domain.SOCIAL_WORK],
            organisation_ids=[c.orgs[Domain.WORK_INCOME].id, c.orgs[Domain.SOCIAL_WORK].id],
            tried="Wmo-aanvraag en bijzondere bijstand, beide afgewezen met verwijzing naar de andere regeling.",
            blockage="Zorg en inkomen verwijzen naar elkaar: de Wmo-voorziening wacht op de bijstand en andersom.",
            household_goal="\"Samen thuis blijven wonen, met de hulp die we nodig hebben.\"",
            question="Welke regeling gaat voor, en wie betaalt tot het geregeld is?",
            urgency="normal", **c.consent(162),
        )
    if fransen_new:
        submit_and_accept(fransen, c.noor, c.on(159, 14), c.chair, c.on(155, 11), c.criteria)
        session = s.last_quarter.starts_at
        with running_at(session - timedelta(days=6)):
            discuss(s.last_quarter, [fransen], c.chair, s.attendance)
        with running_at(session + timedelta(hours=2)):
            advice = demo_advise(
                fransen, c.chair,
                situation="Ouder echtpaar; zorg en inkomen verwijzen naar elkaar.",
                blockage="Twee regelingen die elk op de andere wachten.",
                advice_text="De Sociale Dienst kent de bijzondere bijstand **nu** toe; de Wmo-voorziening volgt zonder "
                            "nieuwe aanvraag. Maatschappelijk werk begeleidt het echtpaar drie maanden.",
                legal_laws=["Participatiewet", "Wet maatschappelijke ondersteuning 2015"],
                actions=[
                    (c.orgs[Domain.WORK_INCOME], "Ken de bijzondere bijstand toe.", (session + timedelta(days=14)).date()),
                    (c.orgs[Domain.SOCIAL_WORK], "Begeleid het echtpaar drie maanden.", (session + timedelta(days=30)).date()),
                ],
            )
        with running_at(session + timedelta(days=10)):
            for action, org in zip(advice.actions, (Domain.WORK_INCOME, Domain.SOCIAL_WORK)):
                complete_action(action, c.contacts[org], expected_version=action.version,
                                note="Uitgevoerd zoals geadviseerd.", done_on=(session + timedelta(days=10)).date())
        with running_at(c.on(95, 15)):
            close_case(fransen, c.noor, outcome="reached",
                       note="Bijstand en Wmo-voorziening lopen; het echtpaar woont thuis.")


def _bos(c: Cast) -> tuple[Case, bool]:
    """2. Closed placement avoided — discussed last week; one action done, one confirmed (in
    execution)."""
    with running_at(c.on(40)):
        bos, bos_new = find_or_create_case(
            c.team, c.daan, "Gezin Bos",
            household_composition="Vader (45), moeder (43), zoon (15), dochter (11).",
            domains=[Domain.PARENTING, Domain.GGZ, Domain.POLICE],
            organisation_ids=[c.orgs[Domain.PARENTING].id, c.orgs[Domain.GGZ].id, c.orgs[Domain.POLICE].id],
            tried="Ambulante jeugdhulp (1 jaar), MST-traject afgebroken, twee politiecontacten.",
            blockage="Een gesloten jeugdplaatsing is geïndiceerd, maar er is geen plek; intussen gebeurt er niets.",
            household_goal="\"Dat onze zoon thuis kan blijven en weer naar school gaat.\"",
            question="Kan het team gezinstherapie voor het hele gezin adviseren in plaats van wachten op een gesloten plaatsing?",
            urgency="high", **c.consent(42),
        )
        if bos_new:
            map_needs(bos, c.daan, [
                ("Gesloten jeugdplaatsing", "Jeugdwet art. 6.1.2 (machtiging)", c.orgs[Domain.PARENTING]),
                ("Zoon weer naar school", "Leerplichtwet", None),
                ("Gezinstherapie voor het hele gezin", "Jeugdwet art. 2.3 (passende voorziening)", c.orgs[Domain.GGZ]),
            ], [
                (1, 0, "De school neemt hem pas terug na een behandeling"),
                (0, 2, "Geen tussenoplossing zolang de indicatie op gesloten plaatsing staat"),
            ])
    if bos_new:
        submit_and_accept(bos, c.daan, c.on(39, 16), c.secretary, c.on(37, 9, 30), c.criteria)
    return bos, bos_new


def _amber(c: Cast) -> tuple[Case, bool]:
    """1. Circular blockage — crisis; discussed last week, advice issued (advised)."""
    with running_at(c.on(30)):
        amber, amber_new = find_or_create_case(
            c.team, c.sophie, "Gezin Amber",
            household_composition="Moeder (31) en twee kinderen (4 en 7).",
            domains=[Domain.HOUSING, Domain.DEBT, Domain.PARENTING, Domain.SOCIAL_WORK],
            organisation_ids=[c.orgs[Domain.HOUSING].id, c.orgs[Domain.DEBT].id, c.orgs[Domain.PARENTING].id],
            proposed_invitees="Woonconsulent Woonstichting De Vaart\nSchuldhulpverlener Schuldhulp Gooistad",
            tried="- Aanvraag urgentie bij de woningcorporatie: afgewezen vanwege openstaande restschuld.\n"
                  "- Schuldhulpverlening: geen minnelijk traject mogelijk zonder vast adres.\n"
                  "- Opvang bij familie, na drie weken beëindigd.",
            blockage="Geen urgentie zolang de restschuld op de vorige woning openstaat; de schuld kan niet worden "
                     "geregeld zonder vast adres. De vrouwenopvang zou betekenen dat de kinderen naar een pleeggezin gaan.",
            household_goal="\"Een eigen plek waar de kinderen bij mij kunnen blijven en naar dezelfde school kunnen.\"",
            question="Kan urgentie worden verleend onder de voorwaarde dat binnen acht weken een schuldregeling start?",
            urgency="crisis", **c.consent(31),
        )
        if amber_new:
            # The circle the README describes: urgency waits on the debt, the debt on an address,
            # the address on urgency; the children staying with their mother wait on all of it.
            map_needs(amber, c.sophie, [
                ("Urgentie voor een woning", "Huisvestingsverordening Gooistad art. 2.5", c.orgs[Domain.HOUSING]),
                ("Schuldregeling voor de restschuld", "Wet gemeentelijke schuldhulpverlening art. 4", c.orgs[Domain.DEBT]),
                ("Vast adres", "", None),
                ("Kinderen blijven bij hun moeder", "Jeugdwet", c.orgs[Domain.PARENTING]),
            ], [
                (0, 1, "Geen urgentie zolang de restschuld op de vorige woning openstaat"),
                (1, 2, "Geen minnelijk traject zonder vast adres"),
                (2, 0, "Zonder urgentie geen woning, dus geen vast adres"),
                (3, 0, "Zonder woning alleen de vrouwenopvang, en dan gaan de kinderen naar een pleeggezin"),
            ])
    if amber_new:
        submit_and_accept(amber, c.sophie, c.on(30, 15), c.chair, c.on(29, 9), c.criteria)
    return amber, amber_new


def _last_week(c: Cast, s: _Sessions, amber_made: tuple[Case, bool], bos_made: tuple[Case, bool]) -> None:
    """Both were discussed at last week's session (when made now); then the advice on each."""
    (amber, amber_new), (bos, bos_new) = amber_made, bos_made
    agenda_day = s.last_week.starts_at - timedelta(days=6)
    fresh = [case for case, is_new in ((amber, amber_new), (bos, bos_new)) if is_new]
    if fresh:
        with running_at(agenda_day):
            discuss(s.last_week, fresh, c.chair, s.attendance)
    if amber_new:
        _advise_amber(c, s.last_week, amber)
    if bos_new:
        _advise_bos(c, s.last_week, bos)


def _advise_amber(c: Cast, last_week: Meeting, amber: Case) -> None:
    """Urgency now, on the condition that a debt arrangement starts within eight weeks."""
    with running_at(last_week.starts_at + timedelta(hours=3)):
        demo_advise(
            amber, c.chair,
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
                (c.orgs[Domain.HOUSING], "Verleen urgentie en doe binnen vier weken een passend woningaanbod.", c.today + timedelta(days=18)),
                (c.orgs[Domain.DEBT], "Start binnen acht weken een schuldregeling, met de restschuld erin.", c.today + timedelta(days=46)),
                (c.orgs[Domain.PARENTING], "Begeleid moeder en kinderen bij de verhuizing en de schoolkeuze.", c.today + timedelta(days=32)),
            ],
        )


def _advise_bos(c: Cast, last_week: Meeting, bos: Case) -> None:
    """Family therapy instead of waiting for a closed placement; one action confirmed, one done."""
    with running_at(last_week.starts_at + timedelta(hours=3, minutes=30)):
        advice = demo_advise(
            bos, c.chair,
            situation="Zoon van 15 met een indicatie voor gesloten jeugdzorg; er is geen plek.",
            blockage="Wachten op een gesloten plaatsing die er niet komt.",
            advice_text="Zet de indicatie om naar **gezinstherapie voor het hele gezin**, te starten binnen drie weken; "
                        "de wijkagent blijft aanspreekpunt voor de school.",
            legal_laws=["Jeugdwet"],
            costs=[("current", "Gesloten jeugdzorg (voorbeeldbedrag)", "1"),
                   ("breakthrough", "Gezinstherapie, traject (voorbeeldbedrag)", "1")],
            actions=[
                (c.orgs[Domain.GGZ], "Start binnen drie weken gezinstherapie voor het hele gezin.", c.today + timedelta(days=11)),
                (c.orgs[Domain.PARENTING], "Zet de indicatie om naar ambulante gezinsbegeleiding.", c.today + timedelta(days=4)),
            ],
        )
    therapy, indication = advice.actions
    with running_at(last_week.starts_at + timedelta(days=2, hours=1)):
        confirm_action(therapy, c.contacts[Domain.GGZ], expected_version=therapy.version)
    with running_at(c.on(2, 16)):
        complete_action(indication, c.contacts[Domain.PARENTING], expected_version=indication.version,
                        note="Indicatie omgezet; eerste gesprek gepland.", done_on=c.today - timedelta(days=2))
