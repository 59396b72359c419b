"""The demo's one plan and lawful basis: one household through the whole loop with a lawful basis
per recipient, one plan and one coordinator, the team's lessons for the system and the evaluation
per goal (Gezin Peeters); lessons on the flagship cases' issued advice; and a draft that cannot be
submitted because its recipient's ground is a stalled bill (Gezin Linde). Each step runs at its
own moment (``core.clock.running_at``), so timelines, lead times and figures agree. Called once
from ``expertteam.demo.story.seed``; a second run changes nothing."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from advice.closure.services import close_case, record_evaluation
from advice.drafting.issuing import issue_advice
from advice.drafting.services import add_action, draft_advice, update_draft
from advice.follow_through.services import complete_action, confirm_action
from advice.models import Advice, AdviceStatus
from advice.plan import services as plan
from advice.plan import lessons
from casefiles import lawful_basis
from casefiles import services as case_services
from casefiles.lawful_models import LegalBasis
from casefiles.models import Case, InclusionCriterion
from core.clock import running_at
from core.db import db
from core.models import Domain, Membership, Organisation, Role, Team, User
from financing import ledger
from financing.models import FinancingAgreement

from .steps import discuss, past_meeting

SOURCES = [
    ("law", "Participatiewet art. 22a (kostendelersnorm)"),
    ("procedure", "Beslagvrije voet: herberekening pas na een nieuwe beslaglegging"),
    ("rule", "Huisvestingsverordening: geen urgentie bij een huurschuld"),
    ("organisation", "Woningcorporatie: geen nieuw contract na ontruiming"),
    ("rule", "Schuldhulp: geen minnelijk traject zonder vast adres"),
]


def _basis(team: Team, key: str) -> int:
    return db.session.scalar(sa.select(LegalBasis.id).where(LegalBasis.team_id == team.id, LegalBasis.key == key))


def _contact(team: Team, org: Organisation) -> User:
    return db.session.scalar(sa.select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.team_id == team.id, Membership.role == Role.ORG_CONTACT, Membership.organisation_id == org.id).limit(1))


def _issued(team: Team, pseudonym: str) -> Advice | None:
    return db.session.scalar(sa.select(Advice).join(Case, Case.id == Advice.case_id).where(
        Case.team_id == team.id, Case.household_pseudonym == pseudonym, Advice.status == AdviceStatus.ISSUED))


def seed_plan_demo(team: Team, chair: User, owner: User, orgs: dict, on, today) -> None:
    """``owner``: a case owner of the team; ``orgs``: the team's organisations by domain; ``on(days_ago, hour)``."""
    if db.session.scalar(sa.select(Case.id).where(Case.team_id == team.id, Case.household_pseudonym == "Gezin Peeters")):
        return
    with running_at(on(155, 9)):  # the lists the team keeps
        lawful_basis.ensure_list(team.id)
        sources = {name: lessons.add_source(team, chair, kind=kind, name=name) for kind, name in SOURCES}
    peeters, meeting, experts = _peeters_discussed(team, chair, owner, orgs, on, today)
    advice, coordinator = _peeters_advised(chair, owner, orgs, peeters, meeting, experts)
    _peeters_followed_through(team, chair, owner, orgs, sources, peeters, meeting, advice, coordinator)

    # The household was accepted within the pilot's financing period: last night's booking took it in.
    with running_at(on(0, 2)):
        for agreement in db.session.scalars(sa.select(FinancingAgreement).where(FinancingAgreement.team_id == team.id)):
            ledger.book(agreement)
    _lessons_on_flagships(team, chair, sources, on)
    _linde(team, owner, orgs, on, today)


def _peeters_discussed(team: Team, chair: User, owner: User, orgs: dict, on, today):
    """Gezin Peeters made, submitted, accepted and discussed: (case, meeting, experts)."""
    income, debt = orgs[Domain.WORK_INCOME], orgs[Domain.DEBT]
    # The case names its referring partner (the owner's organisation) and a ground in force per recipient.
    with running_at(on(150, 10)):
        peeters = case_services.create_case(
            team, owner, household_pseudonym="Gezin Peeters",
            household_composition="Vader (44), moeder (41), zoon (19) die weer thuis woont.",
            domains=[Domain.WORK_INCOME, Domain.DEBT], organisation_ids=[income.id, debt.id],
            recipient_grounds={income.id: _basis(team, "pw_18"), debt.id: _basis(team, "wgs_4a")},
            tried="Schuldhulpverlening (afgebroken), bijzondere bijstand (afgewezen: kostendelersnorm).",
            blockage="Sinds de zoon thuis woont, geldt de kostendelersnorm: de bijstand daalt, de huur loopt achter, "
                     "de schuldregeling strandt op het lagere inkomen.",
            household_goal="\"Dat onze zoon thuis kan blijven wonen zonder dat wij ons huis kwijtraken.\"",
            question="Kan de kostendelersnorm een jaar buiten toepassing blijven zodat de schuldregeling kan starten?",
            consent_date=today - timedelta(days=151), consent_method="written")
    with running_at(on(150, 11)):
        case_services.submit_case(peeters, owner)
    criteria = db.session.scalars(sa.select(InclusionCriterion.id).where(
        InclusionCriterion.team_id == team.id, InclusionCriterion.active.is_(True))).all()
    with running_at(on(149, 9)):
        case_services.accept_case(peeters, chair, criteria_met=criteria)
    meeting = past_meeting(team, on(140))
    experts = db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.team_id == team.id, Membership.role == Role.EXPERT).order_by(User.id)).all()
    with running_at(meeting.starts_at - timedelta(days=6)):
        discuss(meeting, [peeters], chair, [(e, "present") for e in experts])
    return peeters, meeting, experts


def _peeters_advised(chair: User, owner: User, orgs: dict, peeters: Case, meeting, experts) -> tuple[Advice, User]:
    """One plan, one coordinator, part of the issued advice: (advice, coordinator)."""
    income, debt = orgs[Domain.WORK_INCOME], orgs[Domain.DEBT]
    coordinator = next((e for e in experts if any(m.domain == Domain.WORK_INCOME for m in e.memberships)), owner)
    with running_at(meeting.starts_at + timedelta(hours=3)):
        advice = draft_advice(peeters, chair)
        update_draft(advice, chair, expected_version=advice.lock_version,
                     situation="Ouders met een volwassen zoon die na een opname weer thuis woont.",
                     blockage="De kostendelersnorm verlaagt de bijstand; daardoor loopt de huur achter en strandt de schuldregeling.",
                     advice_text="Laat de kostendelersnorm **een jaar** buiten toepassing (maatwerk, art. 18 lid 1 "
                                 "Participatiewet); start in die tijd de schuldregeling.",
                     legal_free_text="Zeer bijzondere omstandigheden: de zoon woont thuis op advies van zijn behandelaar.")
        plan.save_plan(advice, chair, coordinator_id=coordinator.id,
                       year_goals="Onze zoon blijft thuis wonen\nDe huurachterstand is ingelopen\nDe schuldregeling loopt",
                       progress_check="De regisseur spreekt het gezin elke maand; na drie maanden evalueert het team per doel.")
        deadline = meeting.starts_at.date() + timedelta(days=14)
        add_action(advice, chair, organisation_id=income.id, deadline=deadline,
                   description="Stel de kostendelersnorm een jaar buiten toepassing en herbereken de bijstand met terugwerkende kracht.")
        add_action(advice, chair, organisation_id=debt.id, deadline=deadline + timedelta(days=14),
                   description="Start de schuldregeling op basis van het herberekende inkomen.")
        issue_advice(advice, chair)
    return advice, coordinator


def _peeters_followed_through(team: Team, chair: User, owner: User, orgs: dict, sources: dict, peeters: Case,
                              meeting, advice: Advice, coordinator: User) -> None:
    """The lessons; then both actions done, the coordinator's notes, closing and evaluation per goal."""
    income, debt = orgs[Domain.WORK_INCOME], orgs[Domain.DEBT]
    # What caused the blockage, and the advice deviates from it on a stated ground.
    with running_at(meeting.starts_at + timedelta(hours=3, minutes=10)):
        lessons.record_lessons(advice, chair, [{
            "need_id": None, "source_id": sources[SOURCES[0][1]].id, "deviates": True,
            "deviation_ground": "Participatiewet art. 18 lid 1: afstemming op de omstandigheden (maatwerk)."}])
    first, second = advice.actions
    for i, (action, org, done_after) in enumerate(((first, income, 6), (second, debt, 20))):
        contact = _contact(team, org)
        with running_at(meeting.starts_at + timedelta(days=1, hours=i + 1)):
            confirm_action(action, contact, expected_version=action.version)
        with running_at(meeting.starts_at + timedelta(days=done_after, hours=10)):
            complete_action(action, contact, expected_version=action.version, note="Uitgevoerd.",
                            done_on=(meeting.starts_at + timedelta(days=done_after)).date())
        with running_at(meeting.starts_at + timedelta(days=done_after, hours=15)):
            plan.add_note(peeters, coordinator, ["Bijstand herberekend; de huur is weer op tijd betaald.",
                                                "Schuldregeling gestart; de zoon is met dagbesteding begonnen."][i])
    closed_at = meeting.starts_at + timedelta(days=22)
    with running_at(closed_at):
        close_case(peeters, owner, outcome="reached", note="Zoon woont thuis; de schuldregeling loopt.")
    with running_at(closed_at + timedelta(days=92)):
        record_evaluation(peeters, owner, result="partly", note="De huur loopt goed; de schuldregeling vraagt nog begeleiding.",
                        goal_answers={0: (True, True), 1: (True, True), 2: (True, False)})


def _lessons_on_flagships(team: Team, chair: User, sources: dict, on) -> None:
    """Lessons on the flagship cases' issued advice (Amber's blockage map, Bos without a map)."""
    with running_at(on(1, 16)):
        amber = _issued(team, "Gezin Amber")
        if amber is not None:
            rows = []
            for need_id, title in lessons.blockages_of(amber):
                source = sources[SOURCES[2][1]] if "rgentie" in title else sources[SOURCES[4][1]] if "chuld" in title else None
                if source is not None:
                    rows.append({"need_id": need_id, "source_id": source.id, "deviates": "rgentie" in title,
                                 "deviation_ground": "Hardheidsclausule van de huisvestingsverordening." if "rgentie" in title else ""})
            lessons.record_lessons(amber, chair, rows)
        bos = _issued(team, "Gezin Bos")
        if bos is not None:
            lessons.record_lessons(bos, chair, [{"need_id": lessons.blockages_of(bos)[0][0], "source_id": None,
                                                 "free_text": "Geen plek in de gesloten jeugdzorg in de regio"}])


def _linde(team: Team, owner: User, orgs: dict, on, today) -> None:
    """A draft whose recipient has only a stalled bill as ground cannot be submitted."""
    housing, police = orgs[Domain.HOUSING], orgs[Domain.POLICE]
    with running_at(on(1, 11)):
        case_services.create_case(
            team, owner, household_pseudonym="Gezin Linde", household_composition="Moeder (29), dochter (3).",
            domains=[Domain.POLICE, Domain.HOUSING], organisation_ids=[police.id, housing.id],
            recipient_grounds={police.id: _basis(team, "wams"), housing.id: _basis(team, "huisvestingswet")},
            tried="Melding bij Veilig Thuis; tijdelijke opvang bij een vriendin.",
            blockage="De politie wil informatie delen, maar de grondslag (Wams) is een wetsvoorstel.",
            household_goal="\"Een veilige plek voor ons tweeën.\"", question="Welke grondslag heeft de politie wel?",
            consent_date=today - timedelta(days=1), consent_method="verbal")
