"""The demo's escalation ladder and retention terms, told in time (``core.clock.running_at``),
each step through the real services and the real ladder job:

- every commitment names a director-level escalation contact;
- Fam. Hazelaar: the housing corporation refuses its action; the ladder climbs to the director
  (who explains in writing), the chair takes it to the steering group, which reaches no outcome
  in time, and it ends at the national Maatwerkloket (summary sent); its advice has a cost line
  with another price than the catalogue's, with the reason;
- Dhr. Olm: the Sociale Dienst lets its action run overdue; the team does not settle it in
  time and it is with the director now (orange), the e-mail sent;
- Fam. Wilg: a repeat referral within 12 months of closing an earlier case, waiting for intake;
- the team's retention terms per case result, the archive category to be confirmed.

Called with one line from ``expertteam.demo.story.seed``; a second run changes nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from advice.drafting.issuing import issue_advice
from advice.drafting.models import Intervention
from advice.drafting.services import add_action, add_cost_line, draft_advice, update_draft
from advice.escalation import services as escalation
from advice.escalation.director import answer_as_director
from advice.escalation.jobs import climb
from advice.escalation.models import Escalation
from advice.follow_through import jobs
from advice.follow_through.services import complete_action, refuse_action
from casefiles import services as case_services
from casefiles.models import FINAL_STATUSES, Case, InclusionCriterion
from casefiles.repeats import mark_repeat
from casefiles.retention_terms import set_term, terms_of
from core.clock import running_at
from core.db import db
from core.models import Commitment, Domain, Membership, Role, Team, User

from .steps import discuss, past_meeting

DIRECTORS = {
    Domain.HOUSING: ("mw. drs. A. de Wit, directeur-bestuurder", "directie@devaart.example"),
    Domain.WORK_INCOME: ("dhr. R. Veldman, directeur Sociale Dienst", "directie@sociale-dienst-gooistad.example"),
    Domain.GGZ: ("dr. M. Bos, raad van bestuur", "bestuur@ggz-midden-gooi.example"),
    Domain.DEBT: ("mw. L. Peters, manager", "directie@schuldhulp-gooistad.example"),
}


def seed_ladder_demo(team: Team, chair: User, owner: User, orgs: dict, contacts: dict, on, today: date) -> None:
    """The escalation contacts, the retention terms and the ladder's three households (nothing
    new when Fam. Hazelaar exists). ``on(days_ago, hour)`` is the demo's clock."""
    for domain, (name, email) in DIRECTORS.items():
        commitment = db.session.scalar(sa.select(Commitment).where(
            Commitment.team_id == team.id, Commitment.organisation_id == orgs[domain].id))
        if commitment is not None and not commitment.escalation_email:
            commitment.escalation_name, commitment.escalation_email = name, email
    if not any(terms_of(team).values()):
        with running_at(on(60)):
            set_term(team, chair, "declined", years=1, archive_category="", confirmed_on=None)
            set_term(team, chair, "withdrawn", years=1, archive_category="", confirmed_on=None)
            set_term(team, chair, "closed", years=15,
                     archive_category="Selectielijst gemeenten 2020, 3.1.5 (Wmo-ondersteuningsplan)? te bevestigen",
                     confirmed_on=None)
    if db.session.scalar(sa.select(Case.id).where(Case.team_id == team.id, Case.household_pseudonym == "Fam. Hazelaar")):
        return
    criteria = db.session.scalars(sa.select(InclusionCriterion.id).where(
        InclusionCriterion.team_id == team.id, InclusionCriterion.active.is_(True))).all()
    experts = db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.team_id == team.id, Membership.role == Role.EXPERT)).all()
    steps = _Steps(team, chair, owner, on, criteria, experts)
    _hazelaar(steps, orgs, contacts)
    _olm(steps, orgs)
    _wilg(team, owner, orgs, on)
    db.session.commit()


@dataclass
class _Steps:
    """What the ladder's households share: the team, its chair, their owner, the demo's clock,
    the team's criteria and its experts (all present at the meetings)."""

    team: Team
    chair: User
    owner: User
    on: Callable[..., datetime]
    criteria: list[int]
    experts: list[User]

    def case(self, pseudonym: str, days_ago: int, domains, organisations, **fields) -> Case:
        """A case made, submitted and accepted ``days_ago`` days ago."""
        with running_at(self.on(days_ago, 10)):
            new = case_services.create_case(
                self.team, self.owner, household_pseudonym=pseudonym, domains=domains,
                organisation_ids=[o.id for o in organisations], urgency="high",
                consent_date=self.on(days_ago + 1).date(), consent_method="written", legal_ground="consent", **fields)
            case_services.submit_case(new, self.owner)
        with running_at(self.on(days_ago - 2, 11)):
            case_services.accept_case(new, self.chair, criteria_met=self.criteria)
        return new

    def advise(self, target: Case, meeting, actions, costs=()) -> list:
        """Discussed at ``meeting``, then its binding advice issued: ``actions`` (organisation,
        what, deadline), ``costs`` (side, intervention, quantity, unit cost, reason)."""
        chair = self.chair
        with running_at(meeting.starts_at - timedelta(days=6)):
            discuss(meeting, [target], chair, [(e, "present") for e in self.experts])
        with running_at(meeting.starts_at + timedelta(hours=2)):
            advice = draft_advice(target, chair)
            update_draft(advice, chair, expected_version=advice.lock_version, situation=target.question,
                         blockage=target.blockage, advice_text="Voer de acties hieronder uit; het advies is bindend.",
                         legal_free_text="")
            for side, name, quantity, unit_cost, reason in costs:
                item = db.session.scalar(sa.select(Intervention).where(Intervention.team_id == self.team.id,
                                                                        Intervention.name == name))
                if item is not None:
                    add_cost_line(advice, chair, side=side, intervention_id=item.id, quantity=quantity,
                                  unit_cost=unit_cost, deviation_reason=reason)
            for org, text, deadline in actions:
                add_action(advice, chair, organisation_id=org.id, description=text, deadline=deadline,
                           today=min(d for _o, _t, d in actions))
            issue_advice(advice, chair)
        return advice.actions


def _hazelaar(steps: _Steps, orgs: dict, contacts: dict) -> None:
    """Fam. Hazelaar: refused, up the whole ladder."""
    hazelaar = steps.case("Fam. Hazelaar", 110, [Domain.HOUSING, Domain.DEBT], [orgs[Domain.HOUSING], orgs[Domain.DEBT]],
                          household_composition="Moeder (44) en drie kinderen.",
                          tried="Urgentieaanvraag afgewezen; schuldhulp wacht op een vaste woning.",
                          blockage="Geen woning zolang de huurschuld bij de corporatie openstaat, geen schuldregeling "
                                   "zonder vaste woning.",
                          household_goal="\"Een huis waar we kunnen blijven.\"",
                          question="Kan de corporatie een woning toewijzen met de huurschuld in de schuldregeling?")
    with running_at(steps.on(106)):
        meeting = past_meeting(steps.team, steps.on(104))
    session = meeting.starts_at
    housing, debt = steps.advise(hazelaar, meeting, [
        (orgs[Domain.HOUSING], "Wijs binnen twee weken een passende woning toe; de huurschuld gaat mee in de regeling.",
         (session + timedelta(days=14)).date()),
        (orgs[Domain.DEBT], "Start de schuldregeling met de huurschuld erin.", (session + timedelta(days=30)).date()),
    ], costs=[("current", "Huisuitzetting, directe kosten", "1", "9500",
               "Opgave van de corporatie voor deze woning (ontruiming en opslag), 2026"),
              ("breakthrough", "Schuldhulpverlening, intake tot nazorg", "1", "", "")])
    with running_at(session + timedelta(days=12)):
        complete_action(debt, contacts[Domain.DEBT], expected_version=debt.version, note="Regeling gestart.",
                        done_on=(session + timedelta(days=12)).date())
    with running_at(session + timedelta(days=3)):
        refuse_action(housing, contacts[Domain.HOUSING], expected_version=housing.version,
                      reason="Geen woning vrij buiten de wachtlijst om; afwijken vraagt een besluit van de directie.")
    _climb(session + timedelta(days=18))  # the team did not settle it: level 2, the director
    esc = db.session.scalar(sa.select(Escalation).where(Escalation.action_id == housing.id))
    with running_at(session + timedelta(days=21)):
        answer_as_director(esc, answer="explain", explanation=(
            "De wachtlijst is voor ons bindend zolang de gemeente geen urgentiebesluit neemt; wij vragen de gemeente daarom."))
    with running_at(session + timedelta(days=24)):
        escalation.climb_by_hand(housing, steps.chair)  # level 3: the steering group
    with running_at(session + timedelta(days=25)):
        escalation.record_steering(esc, steps.chair, referred_on=(session + timedelta(days=25)).date(), outcome="")
    db.session.commit()
    _climb(session + timedelta(days=25 + 30))  # no outcome in time: level 4, the national Maatwerkloket
    with running_at(session + timedelta(days=57)):
        escalation.record_national_sent(db.session.get(Escalation, esc.id), steps.chair,
                                        sent_on=(session + timedelta(days=57)).date())
    db.session.commit()


def _olm(steps: _Steps, orgs: dict) -> None:
    """Dhr. Olm: overdue, with the director now."""
    olm = steps.case("Dhr. Olm", 40, [Domain.WORK_INCOME, Domain.GGZ], [orgs[Domain.WORK_INCOME], orgs[Domain.GGZ]],
                     household_composition="Man (49), alleenstaand.",
                     tried="Bijstand stopgezet na een gemiste afspraak tijdens een opname.",
                     blockage="Zonder inkomen geen huur, zonder huur geen woning om na de opname naar terug te gaan.",
                     household_goal="\"Mijn uitkering terug en mijn huis houden.\"",
                     question="Kan de bijstand met terugwerkende kracht worden hersteld?")
    with running_at(steps.on(36)):
        meeting = past_meeting(steps.team, steps.on(34))
    (benefit,) = steps.advise(olm, meeting, [
        (orgs[Domain.WORK_INCOME], "Herstel de bijstand met terugwerkende kracht tot de datum van opname.",
         (meeting.starts_at + timedelta(days=3)).date()),
    ])
    deadline = benefit.effective_deadline
    late = datetime.combine(deadline + timedelta(days=8), meeting.starts_at.timetz())
    with running_at(late):
        jobs.mark_overdue(late)
        jobs.escalate_overdue(late)  # level 1: overdue past the grace period, on the list back on the table
    _climb(steps.on(1, 9))  # the team did not settle it in 14 days: the director (answer due in 10 days)


def _wilg(team: Team, owner: User, orgs: dict, on) -> None:
    """Fam. Wilg: a repeat referral within 12 months of an earlier case's end."""
    earlier = db.session.scalar(sa.select(Case).where(Case.team_id == team.id, Case.status.in_(sorted(FINAL_STATUSES)))
                                .order_by(Case.closed_at.desc().nulls_last(), Case.id.desc()).limit(1))
    with running_at(on(3, 9)):
        wilg = case_services.create_case(
            team, owner, household_pseudonym="Fam. Wilg", domains=[Domain.DEBT, Domain.WORK_INCOME],
            organisation_ids=[orgs[Domain.DEBT].id], urgency="normal",
            household_composition="Vader (38), moeder (36), twee kinderen.",
            tried="Eerder bij het expertteam; de schuldregeling liep, maar een nieuwe schuld bij de zorgverzekeraar "
                  "bracht het gezin terug.",
            blockage="Nieuwe schulden buiten de regeling om.", household_goal="\"Rust, en het zelf weer kunnen.\"",
            question="Kan de nieuwe schuld alsnog in de lopende regeling?",
            consent_date=on(4).date(), consent_method="written", legal_ground="consent")
        if earlier is not None:
            mark_repeat(wilg, owner, earlier_reference=earlier.reference)
        case_services.submit_case(wilg, owner)


def _climb(moment: datetime) -> None:
    """The ladder job as the scheduler ran it then (its messages are history)."""
    with running_at(moment):
        climb(moment)
