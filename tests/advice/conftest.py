"""Fixtures of the advice tests: a discussed case (held meeting, item marked discussed), a
second committed organisation with its contacts, and helpers that draft and issue advice
through the real services."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from advice.drafting.issuing import issue_advice
from advice.drafting.models import Intervention, LegalReference
from advice.drafting.services import add_action, draft_advice, update_draft
from advice.models import Advice
from casefiles.models import CaseStatus
from core.clock import utcnow
from core.db import db
from core.models import Commitment
from meeting.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    Outcome,
)


@pytest.fixture
def aw(world, make_user, make_org):
    """The world plus: a second committed organisation with a contact, an organisation without
    an active commitment, a second contact of the first organisation, the team's catalogues."""
    w = world
    w.org2 = make_org("GGZ Gooistad", team=w.team)
    w.contact2 = make_user("org_contact", team=w.team, organisation=w.org2, name="Contact Two")
    w.contact1b = make_user("org_contact", team=w.team, organisation=w.org, name="Contact One B")
    w.ended_org = make_org("Ended Org")
    db.session.add(Commitment(team=w.team, organisation=w.ended_org, committed_on=date.today() - timedelta(days=400),
                              ended_on=date.today() - timedelta(days=1)))
    w.uncommitted_org = make_org("Never Committed")
    w.elsewhere_org = make_org("Committed Elsewhere", team=w.other_team)
    # A contact of the same organisation but for the other team: sees nothing of this team.
    db.session.add(Commitment(team=w.other_team, organisation=w.org, committed_on=date.today() - timedelta(days=30)))
    w.other_team_contact = make_user("org_contact", team=w.other_team, organisation=w.org, name="Other Team Contact")
    w.ref = LegalReference(team_id=w.team.id, law="Jeugdwet", article="art. 2.3", note="Duty to provide youth care.")
    w.foreign_ref = LegalReference(team_id=w.other_team.id, law="Woningwet", article="")
    w.eviction = Intervention(team_id=w.team.id, name="Eviction", unit_cost_cents=2_000_000, unit="once",
                              source="voorbeeld, geen bron", is_example=True)
    db.session.add_all([w.ref, w.foreign_ref, w.eviction])
    db.session.commit()
    return w


@pytest.fixture
def discussed(aw, create_case):
    """A case discussed at a held meeting (attendance recorded), as meeting.mark_discussed
    leaves it."""

    seq = iter(range(1, 1000))

    def _make(owner=None):
        case = create_case("accepted", owner=owner)
        start = (utcnow() - timedelta(hours=2, minutes=next(seq))).replace(microsecond=0)
        meeting = Meeting(team=aw.team, starts_at=start, ends_at=start + timedelta(hours=3), slot_at=start,
                          cutoff_at=start - timedelta(days=4), status=MeetingStatus.HELD, held_at=start)
        db.session.add(meeting)
        db.session.flush()
        db.session.add(AgendaItem(meeting=meeting, case=case, position=1, starts_at=start, duration_minutes=45,
                                  outcome=Outcome.DISCUSSED, outcome_at=start, outcome_by_id=aw.chair.id))
        db.session.add(Attendance(meeting=meeting, user_id=aw.expert.id, status=AttendanceStatus.PRESENT))
        case.status = CaseStatus.DISCUSSED
        db.session.commit()
        case.meeting = meeting
        return case

    return _make


@pytest.fixture
def drafted(aw, discussed):
    """A draft advice with one action for each committed organisation."""

    def _make(case=None, actions=None) -> Advice:
        case = case or discussed()
        advice = draft_advice(case, aw.secretary)
        update_draft(advice, aw.secretary, expected_version=advice.lock_version,
                              situation="Mother and two children, eviction pending.",
                              blockage="No urgency while a debt is open.",
                              advice_text="Grant urgency now; settle the debt in parallel.",
                              legal_free_text="The hardship clause applies.")
        deadline = date.today() + timedelta(days=14)
        if actions is None:
            actions = [(aw.org, "Offer a home within two weeks."), (aw.org2, "Start treatment.")]
        for org, text in actions:
            add_action(advice, aw.secretary, organisation_id=org.id, description=text, deadline=deadline)
        db.session.commit()
        return advice

    return _make


@pytest.fixture
def issued(aw, drafted):
    def _make(**kw) -> Advice:
        advice = drafted(**kw)
        issue_advice(advice, aw.chair)
        db.session.commit()
        return advice

    return _make


@pytest.fixture(autouse=True)
def _english(app):
    """Service messages in English outside requests (the default there is Dutch)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield
