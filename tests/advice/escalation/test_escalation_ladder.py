"""The escalation ladder: each step by the scheduler, twice (the second run changes nothing and
tells nobody), the right people told and nobody else; the director's signed link answers once
and only for its action."""
from __future__ import annotations

import re
from datetime import UTC, date, timedelta

import pytest
import sqlalchemy as sa

from advice import tokens
from advice.escalation import director as escalation_director
from advice.escalation import services as escalation
from advice.escalation.jobs import climb
from advice.escalation.models import Escalation, EscalationStep, Level
from advice.follow_through.services import complete_action, refuse_action
from core.audit import AuditEvent
from core.clock import utcnow
from core.db import db
from core.jobs import registered
from core.models import Commitment
from notifications.models import Notification
from tests.casefiles.blockage.conftest import _english_pages  # noqa: F401  (the pages in English: the tests read English texts)
from tests.notifications.conftest import smtp_server  # noqa: F401  (the real SMTP server fixture)

LADDER_KINDS = ["advice.escalation_director", "advice.escalation_steering", "advice.escalation_national",
                "advice.escalation_answered"]


def told():
    """Who got which ladder notification: {(user id, kind): count}."""
    rows = db.session.execute(sa.select(Notification.user_id, Notification.kind, sa.func.count())
                              .where(Notification.kind.in_(LADDER_KINDS))
                              .group_by(Notification.user_id, Notification.kind)).all()
    return {(u, k): n for u, k, n in rows}


def state():
    db.session.expire_all()
    return (db.session.execute(sa.select(Escalation.id, Escalation.level, Escalation.level_due_on,
                                         Escalation.director_mailed_at).order_by(Escalation.id)).all(),
            db.session.scalar(sa.select(sa.func.count(EscalationStep.id))),
            db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
            told())


@pytest.fixture
def refused(aw, issued):
    """The housing action refused now; the commitment names a director."""
    commitment = db.session.scalar(sa.select(Commitment).where(Commitment.team_id == aw.team.id,
                                                               Commitment.organisation_id == aw.org.id))
    commitment.escalation_name, commitment.escalation_email = "Dir. De Vaart", "directie@devaart.example"
    advice = issued()
    housing = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    refuse_action(housing, aw.contact, expected_version=housing.version, reason="No home free this year.")
    db.session.commit()
    return advice, housing


def test_the_job_is_registered(app):
    assert registered(app)["advice.escalation_ladder"].func is climb


def test_each_step_once_right_people_told(aw, refused, smtp_server):  # noqa: F811
    advice, housing = refused
    start = housing.escalated_at
    assert escalation.level_of(housing) == Level.TEAM
    # Level 1 → 2 after the team's 14 days (the default), not before.
    assert climb(start + timedelta(days=13)).startswith("0 escalations moved up")
    before = state()
    at_director = start + timedelta(days=14, hours=1)
    assert climb(at_director) == "1 escalations moved up, 0 closed, 1 directors e-mailed"
    after = state()
    assert after != before
    assert climb(at_director + timedelta(hours=1)) == "0 escalations moved up, 0 closed, 0 directors e-mailed"
    assert state() == after
    assert told() == {(aw.chair.id, "advice.escalation_director"): 1}  # not the contacts, owner, secretary
    assert [m.rcpt_tos for m in smtp_server.messages] == [["directie@devaart.example"]]
    body = smtp_server.messages[0].message.get_body(preferencelist=("plain",)).get_content()
    assert advice.case.reference in body and "No home free this year." in body and "/escalation/director/" in body
    esc = db.session.scalar(sa.select(Escalation))
    assert esc.level == Level.DIRECTOR and escalation.level_of(housing) == Level.DIRECTOR

    # Level 2 → 3 after the director's 10 days unanswered; twice.
    due = esc.level_due_on
    assert climb(at_director + timedelta(days=10)).startswith("0 escalations")
    from datetime import datetime, time
    steering = datetime.combine(due + timedelta(days=1), time(9), tzinfo=UTC)
    assert climb(steering).startswith("1 escalations moved up")
    snap = state()
    assert climb(steering).startswith("0 escalations moved up")
    assert state() == snap
    # Level 3 → 4 after the steering group's 28 days without an outcome; twice.
    esc = db.session.get(Escalation, esc.id)
    national = datetime.combine(esc.level_due_on + timedelta(days=1), time(9), tzinfo=UTC)
    assert climb(national).startswith("1 escalations moved up")
    snap = state()
    assert climb(national + timedelta(days=30)).startswith("0 escalations moved up")
    assert state() == snap
    esc = db.session.get(Escalation, esc.id)
    assert esc.level == Level.NATIONAL and esc.level_due_on is None
    assert [(s.from_level, s.to_level, s.by_id) for s in esc.steps] == [(1, 2, None), (2, 3, None), (3, 4, None)]
    assert told() == {(aw.chair.id, k): 1 for k in LADDER_KINDS[:3]}
    assert len(smtp_server.messages) == 1
    climbs = db.session.scalars(sa.select(AuditEvent.details).where(AuditEvent.action == "escalation.climb")).all()
    assert [(d["from"], d["to"]) for d in climbs] == [(1, 2), (2, 3), (3, 4)]


def test_director_link_once_and_only_for_its_action(app, aw, refused, client):
    _advice, housing = refused
    start = housing.escalated_at
    climb(start + timedelta(days=15))  # no SMTP server: the mail waits, the ladder climbs
    esc = db.session.scalar(sa.select(Escalation))
    assert esc.director_mailed_at is None and esc.director_mail_error
    with app.test_request_context():
        url = escalation_director.director_path(esc)
        forged = f"/escalation/director/{escalation_director._serializer().dumps({'escalation': esc.id, 'action': housing.id + 1})}"
        confirm_token = f"/escalation/director/{tokens.make(housing.id)}"
    page = client.get(url)
    assert page.status_code == 200 and "No home free this year." in page.get_data(as_text=True)
    assert client.get(forged).status_code == 404 and client.get(confirm_token).status_code == 404
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    # An explanation is needed for "explain": refused, nothing recorded.
    assert client.post(url, data={"csrf_token": token, "answer": "explain", "explanation": " "}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Escalation, esc.id).director_answered_at is None
    assert client.post(url, data={"csrf_token": token, "answer": "carry_out"}).status_code == 302
    assert client.post(url, data={"csrf_token": token, "answer": "explain", "explanation": "no"}).status_code == 409
    db.session.expire_all()
    esc = db.session.get(Escalation, esc.id)
    assert esc.director_answer.value == "carry_out"
    assert told()[(aw.chair.id, "advice.escalation_answered")] == 1
    # Answered: the deadline passing does not take it to the steering group.
    assert climb(start + timedelta(days=40)).startswith("0 escalations moved up")


def test_done_closes_the_ladder_and_a_decided_team_is_not_passed(aw, refused, issued):
    advice, housing = refused
    climb(housing.escalated_at + timedelta(days=15))
    from advice.follow_through.services import confirm_action, record_team_decision
    record_team_decision(housing, aw.chair, decision="extend", note="Try again.",
                         new_deadline=date.today() + timedelta(days=30))
    confirm_action(housing, aw.contact, expected_version=housing.version)
    complete_action(housing, aw.contact, expected_version=housing.version, note="Housed.", done_on=date.today())
    db.session.commit()
    assert climb(utcnow() + timedelta(days=60)).startswith("0 escalations moved up, 1 closed")
    assert escalation.level_of(housing) == Level.CONTACT
    # The GGZ action was refused too, but the team decided within its days: nothing climbs.
    ggz = next(a for a in advice.actions if a.organisation_id == aw.org2.id)
    refuse_action(ggz, aw.contact2, expected_version=ggz.version, reason="Waiting list.")
    record_team_decision(ggz, aw.chair, decision="extend", note="Start in March.",
                         new_deadline=date.today() + timedelta(days=60))
    db.session.commit()
    assert climb(utcnow() + timedelta(days=20)).startswith("0 escalations moved up")


def test_chair_climbs_by_hand_and_records_the_steering_group(aw, refused, login_as, client):
    from tests.conftest import post_form
    _advice, housing = refused
    login_as(aw.contact)
    assert client.get(f"/escalation/actions/{housing.id}").status_code == 404
    login_as(aw.chair)
    page = f"/escalation/actions/{housing.id}"
    assert "Level 1" in client.get(page).get_data(as_text=True) or client.get(page).status_code == 200
    for _ in range(2):
        assert post_form(client, f"/escalation/actions/{housing.id}/climb", token_from=page).status_code == 302
    esc = db.session.scalar(sa.select(Escalation))
    db.session.refresh(esc)
    assert esc.level == Level.STEERING and [s.by_id for s in esc.steps] == [aw.chair.id, aw.chair.id]
    bad = post_form(client, f"/escalation/actions/{housing.id}/steering", {"s-referred_on": "", "s-outcome": ""},
                    token_from=page)
    assert bad.status_code == 400
    ok = post_form(client, f"/escalation/actions/{housing.id}/steering",
                   {"s-referred_on": date.today().isoformat(), "s-outcome": "The wethouder asks De Vaart to act."},
                   token_from=page)
    assert ok.status_code == 302
    db.session.refresh(esc)
    assert esc.steering_outcome_at is not None
    assert client.get(f"/escalation/actions/{housing.id}/summary.txt").status_code == 404  # level 4 only


def test_the_level_shows_in_colour_and_words_everywhere(aw, refused, login_as, client):
    from datetime import datetime, time

    from advice.follow_through import jobs
    advice, _housing = refused
    ggz = next(a for a in advice.actions if a.organisation_id == aw.org2.id)
    late = datetime.combine(ggz.deadline + timedelta(days=8), time(9), tzinfo=UTC)
    jobs.mark_overdue(late)
    jobs.escalate_overdue(late)  # the GGZ action: overdue past the grace period, level 1
    climb(late + timedelta(days=15))  # both climb to the director
    login_as(aw.chair)
    for url in (f"/cases/{advice.case_id}", f"/advice/{advice.id}", f"/advice/teams/{aw.team.id}/back-on-table",
                f"/advice/teams/{aw.team.id}/overview"):
        page = client.get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "ladder-orange" in html and "Level 2 · director (orange)" in html, url
    login_as(aw.contact)
    html = client.get("/advice/actions").get_data(as_text=True)
    assert "ladder-orange" in html and "Level 2 · director (orange)" in html


def test_figures_count_escalations_per_level_and_organisation(aw, refused, count_queries):
    from core.period import Period
    from reports import ladder_figures
    advice, housing = refused
    climb(housing.escalated_at + timedelta(days=15))
    period = Period(date.today() - timedelta(days=30), date.today() + timedelta(days=1))
    ladder_figures.compute(aw.team.id, period)  # the transaction begins (SQLite's BEGIN is a statement)
    with count_queries() as counted:
        fig = ladder_figures.compute(aw.team.id, period)
    assert counted.count == 1
    assert fig.per_organisation == [("Woonstichting De Vaart", {1: 0, 2: 1, 3: 0, 4: 0})]
    assert fig.totals == {1: 0, 2: 1, 3: 0, 4: 0}
    ggz = next(a for a in advice.actions if a.organisation_id == aw.org2.id)
    refuse_action(ggz, aw.contact2, expected_version=ggz.version, reason="Waiting list.")
    db.session.commit()
    fig = ladder_figures.compute(aw.team.id, period)
    assert dict(fig.per_organisation)["GGZ Gooistad"] == {1: 1, 2: 0, 3: 0, 4: 0} and fig.total == 2
    assert ladder_figures.compute(aw.other_team.id, period).total == 0
