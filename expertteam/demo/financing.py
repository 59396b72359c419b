"""Demo data of pay for success: the team's agreement with a financier (from the start of the
pilot, a fixed example price per household where the breakthrough holds) and five earlier
households of the pilot, each through the real services, so the ledger has cases in every state:

- Gezin Hoekstra and Gezin Jansen: breakthrough reached and holding at the evaluation (success);
- Gezin Kaya: partly reached, holding (partly successful);
- Gezin Lammers: not reached at closing (no success);
- Gezin Mulder: reached, but the evaluation is still missing past the grace period;
- Gezin Nauta: its evaluation came in late, after the night the ledger booked it as missing: the
  ledger shows a correction;
- the cases of the demo's story (Fransen, Amber, Bos, Cedar, Dijk) are running.

The ledger is booked as the nightly job would have: once five weeks ago, once now. Names are
fictional; the price is a round example amount.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from advice.closure.services import close_case, record_evaluation
from advice.follow_through.services import complete_action
from casefiles import services as case_services
from casefiles.models import Case, InclusionCriterion
from core.clock import running_at
from core.db import db
from core.models import Domain, Membership, Organisation, Role, Team, User
from financing import ledger, services
from financing.models import FinancingAgreement

from .advice import demo_advise
from .steps import discuss, past_meeting

FINANCIER = "Stichting Doorbraakfonds Gooi"
PRICE_CENTS = 250_000  # a round example amount ("voorbeeldbedrag"), not a sourced price

#: (pseudonym, outcome at closing, evaluation result or None, days ago the evaluation came in)
PILOT = [
    ("Gezin Hoekstra", "reached", "held", 70),
    ("Gezin Jansen", "reached", "held", 68),
    ("Gezin Kaya", "partly", "held", 66),
    ("Gezin Lammers", "not", None, None),
    ("Gezin Mulder", "reached", None, None),
    ("Gezin Nauta", "reached", "held", 25),
]


def seed_financing_demo(team: Team, chair: User, owner: User, orgs: dict[Domain, Organisation],
                        contacts: dict[Domain, User], on) -> FinancingAgreement | None:
    """The agreement, the pilot's earlier households and the ledger (nothing when the team has an
    agreement already). ``on(days_ago, hour)`` is the demo's clock."""
    if db.session.scalar(sa.select(FinancingAgreement.id).where(FinancingAgreement.team_id == team.id).limit(1)):
        return None
    start = on(200, 9)
    with running_at(start + timedelta(hours=2)):
        agreement = services.create_agreement(team, chair, services.Terms(
            financier=FINANCIER, starts_on=start.date(), ends_on=date(start.year + 2, start.month, 1) - timedelta(days=1),
            scope="accepted", price_kind="fixed", price_cents=PRICE_CENTS, cap_cents=None,
            partial_share_percent=50, grace_days=30, missing_rule="nothing"))
    criteria = db.session.scalars(sa.select(InclusionCriterion.id).where(
        InclusionCriterion.team_id == team.id, InclusionCriterion.active.is_(True))).all()
    experts = db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.team_id == team.id, Membership.role == Role.EXPERT)).all()
    cases = _pilot_cases(team, chair, owner, orgs, on, criteria)
    _advise_and_close(team, chair, owner, orgs, contacts, on, experts, [(c, outcome) for c, outcome, *_rest in cases])
    db.session.flush()
    # The night five weeks ago: Mulder's and Nauta's evaluations are missing past the grace period.
    for case, _outcome, evaluation, days_ago in cases:
        if evaluation and days_ago > 35:
            _record_evaluation(case, owner, evaluation, on(days_ago, 14))
    ledger.book(agreement, on(35, 2))
    for case, _outcome, evaluation, days_ago in cases:
        if evaluation and days_ago <= 35:  # Nauta's came in late: a correction at the next booking
            _record_evaluation(case, owner, evaluation, on(days_ago, 14))
    ledger.book(agreement)
    return agreement


def _pilot_cases(team: Team, chair: User, owner: User, orgs: dict[Domain, Organisation], on,
                 criteria) -> list[tuple[Case, str, str | None, int | None]]:
    """The pilot's households, submitted and accepted: (case, outcome, evaluation, its days ago)."""
    cases: list[tuple[Case, str, str | None, int | None]] = []
    for i, (pseudonym, outcome, evaluation, evaluation_days_ago) in enumerate(PILOT):
        with running_at(on(196 - i, 10)):
            case = case_services.create_case(
                team, owner, household_pseudonym=pseudonym, household_composition="Gezin uit de pilot.",
                domains=[Domain.DEBT, Domain.WORK_INCOME], organisation_ids=[orgs[Domain.DEBT].id],
                tried="Schuldhulp en een re-integratietraject, elk apart.",
                blockage="Geen schuldregeling zonder stabiel inkomen, geen werk zonder rust in de schulden.",
                household_goal="\"Rust in de schulden en weer werk.\"",
                question="Kan de schuldregeling starten voordat het inkomen stabiel is?", urgency="normal",
                consent_date=on(197 - i).date(), consent_method="written", legal_ground="consent")
            case_services.submit_case(case, owner)
        with running_at(on(194 - i, 11)):
            case_services.accept_case(case, chair, criteria_met=criteria)
        cases.append((case, outcome, evaluation, evaluation_days_ago))
    return cases


def _advise_and_close(team: Team, chair: User, owner: User, orgs: dict[Domain, Organisation],
                      contacts: dict[Domain, User], on, experts, cases: list[tuple[Case, str]]) -> None:
    """All discussed at one meeting, advised, their actions done, and closed: (case, outcome)."""
    with running_at(on(190)):
        meeting = past_meeting(team, on(188))
    with running_at(meeting.starts_at - timedelta(days=6)):
        discuss(meeting, [c for c, _outcome in cases], chair, [(e, "present") for e in experts])
    session = meeting.starts_at
    for case, outcome in cases:
        with running_at(session + timedelta(hours=2)):
            advice = demo_advise(
                case, chair, situation="Schulden en inkomen wachten op elkaar.",
                advice_text="Schuldhulp start de regeling **nu**, op basis van het huidige inkomen; de Sociale Dienst "
                            "stemt de re-integratie daarop af.",
                costs=[("current", "Huisuitzetting, directe kosten", "0.5"),
                       ("breakthrough", "Schuldhulpverlening, intake tot nazorg", "1")],
                actions=[(orgs[Domain.DEBT], "Start de schuldregeling.", (session + timedelta(days=14)).date())])
        with running_at(session + timedelta(days=10)):
            for action in advice.actions:
                complete_action(action, contacts[Domain.DEBT], expected_version=action.version,
                                note="Regeling gestart.", done_on=(session + timedelta(days=10)).date())
        with running_at(on(165, 15)):
            close_case(case, owner, outcome=outcome, note="Afgesloten na de evaluatie met het gezin.")


def _record_evaluation(case: Case, owner: User, result: str, when: datetime) -> None:
    with running_at(when):
        record_evaluation(case, owner, result=result, note="Het gaat nog steeds goed." if result == "held"
                        else "Het gaat deels goed.")
