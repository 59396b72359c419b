"""The follow-through jobs across many teams at once: every team by its own local date and its own
settings, exactly the actions the per-team rules pick (written out here in plain Python as the
oracle), in a fixed number of statements whatever the number of teams and actions, and once."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from advice.closure import jobs as closure_jobs
from advice.closure.models import CaseClosure
from advice.follow_through import jobs
from advice.models import (
    Action,
    ActionStatus,
    Advice,
    AdviceStatus,
)
from advice.settings import DEFAULT_GRACE_DAYS, DEFAULT_REMINDER_DAYS, AdviceSettings
from casefiles.models import Case, CaseStatus
from core.audit import AuditEvent
from core.clock import team_today
from core.db import db
from core.models import NotificationPreference, User
from notifications.models import EmailStatus, Notification

#: Late on 10 March (UTC): 11 March already in Amsterdam, Tokyo and Kiritimati (UTC+14), still
#: 10 March in New York, Pago Pago (UTC-11) and UTC.
NOW = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
ZONES = ["Europe/Amsterdam", "Pacific/Pago_Pago", "Pacific/Kiritimati", "America/New_York", "Asia/Tokyo", "UTC"]
#: (reminder days, grace days) per team; None: the team saved no settings (the defaults apply).
SETTINGS = [None, (10, 2), (1, 0), (5, 14), None, (2, 3)]
STATUSES = [ActionStatus.OPEN, ActionStatus.CONFIRMED, ActionStatus.DONE, ActionStatus.OPEN, ActionStatus.REFUSED,
            ActionStatus.CONFIRMED, ActionStatus.DROPPED]


@pytest.fixture
def country(make_team, make_user, make_org):
    """``build(teams, actions)``: teams in different zones with different settings, each with a
    chair, two organisations with a contact each (one contact prefers the digest), one case with
    issued advice (and a draft version whose actions the jobs ignore) and ``actions`` actions
    with deadlines around the team's today, in every status, some extended, some already marked."""
    counter = itertools.count(1)

    def build(teams: int, actions: int):
        built = []
        for i in range(teams):
            zone = ZONES[i % len(ZONES)]
            team = make_team(timezone=zone)
            if SETTINGS[i % len(SETTINGS)] is not None:
                reminder, grace = SETTINGS[i % len(SETTINGS)]
                db.session.add(AdviceSettings(team_id=team.id, reminder_days=reminder, grace_days=grace))
            orgs = [make_org(team=team), make_org(team=team)]
            for org in orgs:
                make_user("org_contact", team=team, organisation=org)
            digest = make_user("org_contact", team=team, organisation=orgs[1])
            digest.notification_preference = NotificationPreference.DIGEST
            make_user("chair", team=team)
            owner = make_user("case_owner", team=team)
            n = next(counter)
            case_id = db.session.execute(sa.insert(Case.__table__).values(
                team_id=team.id, owner_id=owner.id, year=2026, number=n, reference=f"{team.code}-2026-{n:04d}",
                status=CaseStatus.IN_EXECUTION, household_pseudonym="Gezin")).inserted_primary_key[0]
            advice_ids = [db.session.execute(sa.insert(Advice.__table__).values(
                case_id=case_id, version=version, status=status)).inserted_primary_key[0]
                for version, status in ((1, AdviceStatus.ISSUED), (2, AdviceStatus.DRAFT))]
            today = team_today(team, NOW)
            rows = []
            for k in range(actions):
                offset = (k * 7) % 31 - 18  # deadlines from 18 days ago to 12 days ahead
                rows.append({
                    "advice_id": advice_ids[1] if k % 9 == 8 else advice_ids[0], "team_id": team.id,
                    "in_force": k % 9 != 8,  # as advice.action_team keeps it (a bulk insert bypasses it)
                    "organisation_id": orgs[k % 2].id, "description": "Do it.", "status": STATUSES[k % len(STATUSES)],
                    "deadline": today + timedelta(days=offset),
                    "deadline_extended_to": today + timedelta(days=offset + 6) if k % 5 == 4 else None,
                    "reminded_at": NOW - timedelta(days=1) if k % 11 == 10 else None,
                    "overdue_notified_at": NOW - timedelta(days=1) if k % 13 == 12 else None,
                    "escalated_at": NOW - timedelta(days=1) if k % 17 == 16 else None,
                })
            db.session.execute(sa.insert(Action.__table__), rows)
            db.session.execute(sa.insert(CaseClosure).values(
                case_id=case_id, team_id=team.id, outcome="reached", closed_by_id=owner.id,
                evaluation_due_on=today - timedelta(days=i % 2)))
            built.append(team)
        db.session.commit()
        return built

    return build


def _settings(team_id: int) -> tuple[int, int]:
    row = db.session.get(AdviceSettings, team_id)
    return (row.reminder_days, row.grace_days) if row else (DEFAULT_REMINDER_DAYS, DEFAULT_GRACE_DAYS)


def oracle(job: str, teams) -> set[int]:
    """The actions the job must claim: the per-team rules, team by team, in plain Python."""
    picked = set()
    for team in teams:
        today = team_today(team, NOW)
        reminder, grace = _settings(team.id)
        actions = db.session.scalars(
            sa.select(Action).join(Advice, Advice.id == Action.advice_id).join(Case, Case.id == Advice.case_id)
            .where(Case.team_id == team.id, Advice.status == AdviceStatus.ISSUED)
        ).all()
        for a in actions:
            if a.status not in (ActionStatus.OPEN, ActionStatus.CONFIRMED):
                continue
            due = a.effective_deadline
            if job == "remind" and a.reminded_at is None and today <= due <= today + timedelta(days=reminder):
                picked.add(a.id)
            if job == "overdue" and a.overdue_notified_at is None and due < today:
                picked.add(a.id)
            if job == "escalate" and a.escalated_at is None and due < today - timedelta(days=grace):
                picked.add(a.id)
    return picked


def _marked(column) -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Action.id).where(column == NOW)))


def _notified(kind: str) -> set[tuple]:
    return {(n.user_id, n.link, n.context["reference"], n.context.get("organisation"), n.context.get("deadline"),
             n.email_status)
            for n in db.session.scalars(sa.select(Notification).where(Notification.kind == kind))}


def _expected_messages(ids: set[int], role: str) -> set[tuple]:
    """Who must be told about each action, by the rules of ``notify``: the organisation's active
    contacts in the team (or the team's chairs), each by their own preference."""
    from core.models import Membership

    out = set()
    for action in db.session.scalars(sa.select(Action).where(Action.id.in_(ids))):
        case = action.advice.case
        query = sa.select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.team_id == case.team_id, Membership.role == role, Membership.active.is_(True),
            User.active.is_(True))
        if role == "org_contact":
            query = query.where(Membership.organisation_id == action.organisation_id)
        for user in db.session.scalars(query):
            status = EmailStatus.DIGEST if user.notification_preference == NotificationPreference.DIGEST \
                else EmailStatus.PENDING
            out.add((user.id, f"/advice/actions/{action.id}", case.reference, action.organisation.name,
                     action.effective_deadline.strftime("%d-%m-%Y"), status))
    return out


def _audited(name: str) -> set[tuple]:
    return set(db.session.execute(sa.select(AuditEvent.object_id, AuditEvent.team_id).where(AuditEvent.action == name)))


def _team_of(ids: set[int]) -> set[tuple]:
    return set(db.session.execute(
        sa.select(Action.id, Case.team_id).join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id).where(Action.id.in_(ids))))


@pytest.mark.parametrize("job, run, marker, kind, role, audit_name, summary", [
    ("remind", jobs.remind_due_soon, Action.reminded_at, "advice.action_due_soon", "org_contact", "action.remind",
     "actions reminded"),
    ("overdue", jobs.mark_overdue, Action.overdue_notified_at, "advice.action_overdue", "org_contact",
     "action.overdue", "actions marked overdue"),
    ("escalate", jobs.escalate_overdue, Action.escalated_at, "advice.action_escalated", "chair", "action.escalate",
     "overdue actions escalated"),
])
def test_each_team_by_its_own_date_and_settings(app, country, job, run, marker, kind, role, audit_name, summary):
    teams = country(teams=6, actions=40)
    assert len({team_today(t, NOW) for t in teams}) == 2  # the zones really differ in date
    expected = oracle(job, teams)
    assert expected and len({team for _id, team in _team_of(expected)}) >= 4

    assert run(NOW) == f"{len(expected)} {summary}"

    assert _marked(marker) == expected
    assert _notified(kind) == _expected_messages(expected, role)
    assert _audited(audit_name) == _team_of(expected)
    if job == "escalate":
        assert set(db.session.scalars(sa.select(Action.id).where(Action.escalation_kind == "overdue",
                                                                  Action.escalated_at == NOW))) == expected


@pytest.mark.parametrize("run", [jobs.remind_due_soon, jobs.mark_overdue, jobs.escalate_overdue, closure_jobs.ask_evaluation])
def test_running_twice_tells_once(app, country, run):
    country(teams=3, actions=30)
    first = run(NOW)
    assert not first.startswith("0 ")
    counts = (db.session.scalar(sa.select(sa.func.count(Notification.id))),
              db.session.scalar(sa.select(sa.func.count(AuditEvent.id))))
    assert run(NOW).startswith("0 ")
    assert run(NOW + timedelta(hours=2)).startswith("0 ")
    assert (db.session.scalar(sa.select(sa.func.count(Notification.id))),
            db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))) == counts


def test_evaluation_asked_by_each_teams_date(app, country):
    teams = country(teams=6, actions=1)
    due = {t.id for t in teams if db.session.scalar(
        sa.select(CaseClosure.evaluation_due_on).where(CaseClosure.team_id == t.id)) <= team_today(t, NOW)}
    assert closure_jobs.ask_evaluation(NOW) == f"{len(due)} three-month evaluations asked"
    assert set(db.session.scalars(sa.select(CaseClosure.team_id).where(CaseClosure.evaluation_asked_at == NOW))) == due
    owners = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "advice.followup_due")))
    assert owners == set(db.session.scalars(sa.select(Case.owner_id).where(Case.team_id.in_(due))))
    assert {team for _case, team in db.session.execute(sa.select(AuditEvent.object_id, AuditEvent.team_id)
                                                       .where(AuditEvent.action == "case.followup_asked"))} == due


def test_an_inactive_team_is_left_alone(app, country):
    teams = country(teams=2, actions=31)
    teams[1].active = False
    db.session.commit()
    jobs.mark_overdue(NOW)
    assert {team for _id, team in _team_of(_marked(Action.overdue_notified_at))} == {teams[0].id}


@pytest.mark.parametrize("run", [jobs.remind_due_soon, jobs.mark_overdue, jobs.escalate_overdue, closure_jobs.ask_evaluation])
def test_statements_do_not_grow_with_teams_or_actions(app, country, count_queries, run):
    def statements(teams: int, actions: int) -> int:
        country(teams=teams, actions=actions)  # added to the teams built before
        audited = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        with count_queries() as counter:
            result = run(NOW)
        assert not result.startswith("0 ")
        count = counter.count
        if db.engine.dialect.name == "sqlite":
            # The ORM inserts audit rows one by one on SQLite (no ordered RETURNING there to
            # match many new rows to their objects); on PostgreSQL they go in one statement.
            count -= db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) - audited - 1
        return count

    small = statements(2, 5)
    assert statements(4, 50) == small  # now 6 teams, the new ones with 50 actions each
    assert small <= 10
