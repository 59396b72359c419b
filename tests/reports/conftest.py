"""Fixtures of the pilot-figure tests: a small, fully known history of one team, built directly
with the models (every timestamp set explicitly), plus a case of another team that must never
count. The expected figures are worked out by hand in test_figures.py."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from advice.closure.models import CaseClosure, ClosureOutcome, EvaluationResult
from advice.models import (
    Action,
    ActionStatus,
    Advice,
    AdviceStatus,
    CostLine,
    CostSide,
)
from casefiles.models import Case, CaseDomain, CaseOrganisation, CaseStatus
from core.audit import AuditEvent
from core.db import db
from core.models import Domain
from meeting.models import AgendaItem, Meeting, MeetingStatus, Outcome

D = Domain


def at(y, m, d, h=12, mi=0) -> datetime:
    """A UTC moment (noon unless told)."""
    return datetime(y, m, d, h, mi, tzinfo=timezone.utc)


@pytest.fixture
def builder(world):
    """Callables that add cases, meetings, advice, audit events and closures with given times."""
    counter = iter(range(1, 10_000))
    meetings: dict = {}

    def case(team=None, *, status=CaseStatus.ACCEPTED, submitted=None, intake=None, domains=(), orgs=(), owner=None):
        team = team or world.team
        n = next(counter)
        c = Case(team_id=team.id, owner_id=(owner or world.owner).id, year=2026, number=n,
                 reference=f"{team.code}-2026-{n:04d}", status=status, household_pseudonym=f"Gezin {n}",
                 submitted_at=submitted, intake_at=intake, queued_at=intake)
        c.domains = [CaseDomain(domain=d) for d in domains]
        c.organisations = [CaseOrganisation(organisation_id=o.id) for o in orgs]
        db.session.add(c)
        db.session.flush()
        return c

    def event(c, action, when):
        db.session.add(AuditEvent(action=action, object_type="case", object_id=c.id, team_id=c.team_id,
                                  at=when, details={}))

    def meeting(team, when):
        key = (team.id, when)
        if key not in meetings:
            m = Meeting(team_id=team.id, starts_at=when, ends_at=when + timedelta(hours=3), slot_at=when,
                        cutoff_at=when - timedelta(days=4), status=MeetingStatus.CLOSED, held_at=when)
            db.session.add(m)
            db.session.flush()
            meetings[key] = m
        return meetings[key]

    def discuss(c, when, *, outcome=Outcome.DISCUSSED, record_time=True):
        m = meeting(c.team, when)
        db.session.add(AgendaItem(meeting_id=m.id, case_id=c.id, position=1, starts_at=when, duration_minutes=45,
                                  outcome=outcome, outcome_at=when if record_time else None))
        db.session.flush()
        return m

    def advice(c, issued, *, version=1, actions=(), lines=(), status=AdviceStatus.ISSUED, superseded=None):
        """An advice version: built as a draft with its parts, then issued (the guard allows
        parts only on drafts). ``actions``: dicts of Action fields; ``lines``: (side, unit, qty)."""
        a = Advice(case_id=c.id, version=version, status=AdviceStatus.DRAFT, advice_text="x")
        a.actions = [Action(description="do it", **fields) for fields in actions]
        a.cost_lines = [CostLine(side=side, name="line", unit_cost_cents=unit, quantity_hundredths=qty)
                        for side, unit, qty in lines]
        db.session.add(a)
        db.session.flush()
        a.status = AdviceStatus.ISSUED
        a.issued_at = issued
        db.session.flush()
        if status == AdviceStatus.SUPERSEDED:
            a.status = AdviceStatus.SUPERSEDED
            a.superseded_at = superseded
            db.session.flush()
        return a

    def closure(c, when, outcome, evaluation=None):
        db.session.add(CaseClosure(case_id=c.id, team_id=c.team_id, outcome=outcome, closed_at=when,
                                   closed_by_id=world.owner.id, evaluation_due_on=(when + timedelta(days=91)).date(),
                                   evaluation_result=evaluation))

    return SimpleNamespace(case=case, event=event, meeting=meeting, discuss=discuss, advice=advice, closure=closure)


@pytest.fixture
def history(world, builder, make_org):
    """The known history (see test_figures.py for the expected figures). Cases c1..c12 of the
    team, one case of the other team."""
    b, S = builder, CaseStatus
    h = SimpleNamespace(**vars(world))
    h.alpha = make_org("Alpha Wonen", team=world.team)
    h.beta = make_org("Beta GGZ", team=world.team)
    h.gamma = make_org("Gamma Schuldhulp", team=world.team)
    A, B = h.alpha, h.beta

    def act(org, assigned, deadline, status, **kw):
        return dict(organisation_id=org.id, assigned_at=assigned, deadline=deadline, status=status, **kw)

    # c1: the whole path, closed with the breakthrough reached and held at the evaluation.
    c1 = b.case(status=S.CLOSED, submitted=at(2026, 1, 5), intake=at(2026, 1, 7), domains=[D.GGZ, D.DEBT], orgs=[A])
    b.event(c1, "case.accept", at(2026, 1, 7))
    b.discuss(c1, at(2026, 1, 20))
    b.advice(c1, at(2026, 1, 22), actions=[
        act(A, at(2026, 1, 22), date(2026, 2, 5), ActionStatus.DONE, confirmed_at=at(2026, 1, 24),
            done_on=date(2026, 2, 3), done_at=at(2026, 2, 3)),
        act(B, at(2026, 1, 22), date(2026, 2, 5), ActionStatus.DONE, confirmed_at=at(2026, 1, 27),
            done_on=date(2026, 2, 10), done_at=at(2026, 2, 10)),
    ], lines=[(CostSide.CURRENT, 2_000_000, 50), (CostSide.BREAKTHROUGH, 150_000, 100)])
    b.event(c1, "case.advise", at(2026, 1, 22))
    b.event(c1, "case.complete", at(2026, 2, 21))
    b.event(c1, "case.close", at(2026, 2, 25))
    b.closure(c1, at(2026, 2, 25), ClosureOutcome.REACHED, EvaluationResult.HELD)

    # c2: postponed once, then discussed; a corrected advice (v1 superseded, v2 in force).
    c2 = b.case(status=S.CLOSED, submitted=at(2026, 1, 10), intake=at(2026, 1, 14),
                domains=[D.PARENTING, D.DEBT, D.GGZ], orgs=[A, B])
    b.event(c2, "case.accept", at(2026, 1, 14))
    b.discuss(c2, at(2026, 2, 10), outcome=Outcome.POSTPONED)
    b.discuss(c2, at(2026, 2, 17))
    b.advice(c2, at(2026, 2, 18), status=AdviceStatus.SUPERSEDED, superseded=at(2026, 2, 25), actions=[
        act(A, at(2026, 2, 18), date(2026, 3, 4), ActionStatus.OPEN),
        act(B, at(2026, 2, 18), date(2026, 3, 4), ActionStatus.OPEN, confirmed_at=at(2026, 2, 19)),
    ], lines=[(CostSide.CURRENT, 5_000_000, 100)])
    b.advice(c2, at(2026, 2, 25), version=2, actions=[
        act(A, at(2026, 2, 18), date(2026, 3, 4), ActionStatus.DONE, confirmed_at=at(2026, 2, 19),
            done_on=date(2026, 3, 4), done_at=at(2026, 3, 5)),
        act(B, at(2026, 2, 18), date(2026, 3, 4), ActionStatus.REFUSED, refused_at=at(2026, 2, 20)),
    ], lines=[(CostSide.CURRENT, 1_234_567, 33), (CostSide.BREAKTHROUGH, 99_999, 150)])
    b.event(c2, "case.advise", at(2026, 2, 18))
    b.event(c2, "case.complete", at(2026, 3, 10))
    b.event(c2, "case.close", at(2026, 3, 12))
    b.closure(c2, at(2026, 3, 12), ClosureOutcome.PARTLY)

    # c3: in execution; one action overdue, one confirmed and not yet due.
    c3 = b.case(status=S.IN_EXECUTION, submitted=at(2026, 2, 1), intake=at(2026, 2, 2), domains=[D.DEBT, D.GGZ],
                orgs=[h.gamma])
    b.event(c3, "case.accept", at(2026, 2, 2))
    b.discuss(c3, at(2026, 3, 3))
    b.advice(c3, at(2026, 3, 5), actions=[
        act(A, at(2026, 3, 5), date(2026, 3, 19), ActionStatus.OPEN),
        act(B, at(2026, 3, 5), date(2026, 5, 1), ActionStatus.CONFIRMED, confirmed_at=at(2026, 3, 6)),
    ])
    b.event(c3, "case.advise", at(2026, 3, 5))

    # c4 declined, c5 returned, c6 waiting in the queue.
    c4 = b.case(status=S.DECLINED, submitted=at(2026, 2, 10), intake=at(2026, 2, 16), domains=[D.HOUSING])
    b.event(c4, "case.decline", at(2026, 2, 16))
    c5 = b.case(status=S.RETURNED, submitted=at(2026, 3, 1), domains=[D.HOUSING])
    b.event(c5, "case.return", at(2026, 3, 2))
    c6 = b.case(status=S.ACCEPTED, submitted=at(2026, 3, 5), intake=at(2026, 3, 9), domains=[D.GGZ, D.DEBT])
    b.event(c6, "case.accept", at(2026, 3, 9))

    # c7: submitted in December, accepted and advised in January; the item has no outcome time
    # (the meeting's start counts).
    c7 = b.case(status=S.IN_EXECUTION, submitted=at(2025, 12, 20), intake=at(2026, 1, 2), domains=[D.POLICE])
    b.event(c7, "case.accept", at(2026, 1, 2))
    b.discuss(c7, at(2026, 1, 6), record_time=False)
    b.advice(c7, at(2026, 1, 8), actions=[act(A, at(2026, 1, 8), date(2026, 1, 22), ActionStatus.DROPPED)],
             lines=[(CostSide.BREAKTHROUGH, 10_000, 200)])
    b.event(c7, "case.advise", at(2026, 1, 8))

    # c8: a draft withdrawn before submission (not in the flow); c9 withdrawn after submission.
    c8 = b.case(status=S.WITHDRAWN, domains=[D.GGZ])
    b.event(c8, "case.withdraw", at(2026, 2, 1))
    c9 = b.case(status=S.WITHDRAWN, submitted=at(2026, 3, 20), domains=[D.PARENTING])
    b.event(c9, "case.withdraw", at(2026, 3, 25))

    # c10: entirely in 2025.
    c10 = b.case(status=S.CLOSED, submitted=at(2025, 10, 1), intake=at(2025, 10, 2), domains=[D.DEBT])
    b.event(c10, "case.accept", at(2025, 10, 2))
    b.discuss(c10, at(2025, 10, 14))
    b.advice(c10, at(2025, 10, 15), actions=[
        act(A, at(2025, 10, 15), date(2025, 10, 30), ActionStatus.DONE, confirmed_at=at(2025, 10, 16),
            done_on=date(2025, 10, 20), done_at=at(2025, 10, 20)),
    ], lines=[(CostSide.CURRENT, 700_000, 100)])
    b.event(c10, "case.advise", at(2025, 10, 15))
    b.event(c10, "case.complete", at(2025, 11, 20))
    b.event(c10, "case.close", at(2025, 11, 25))
    b.closure(c10, at(2025, 11, 25), ClosureOutcome.NOT, EvaluationResult.NOT)

    # Time-zone edges: 31 Dec 23:30 UTC is 1 January in Amsterdam (in Q1); 31 March 22:30 UTC is
    # 1 April (summer time), so after Q1.
    c11 = b.case(status=S.SUBMITTED, submitted=at(2025, 12, 31, 23, 30), domains=[D.SOCIAL_WORK])
    c12 = b.case(status=S.SUBMITTED, submitted=at(2026, 3, 31, 22, 30), domains=[D.SOCIAL_WORK])

    # Another team: never counts.
    x = b.case(world.other_team, status=S.ACCEPTED, submitted=at(2026, 1, 5), intake=at(2026, 1, 6),
               domains=[D.GGZ, D.DEBT], owner=world.other_owner)
    b.event(x, "case.accept", at(2026, 1, 6))
    b.discuss(x, at(2026, 1, 20))

    db.session.commit()
    h.cases = dict(c1=c1, c2=c2, c3=c3, c4=c4, c5=c5, c6=c6, c7=c7, c8=c8, c9=c9, c10=c10, c11=c11, c12=c12, x=x)
    return h
