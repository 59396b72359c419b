"""The ladder added to an installation with history: actions escalated long before it started
wait the team's days counted from its start (the first night after the upgrade moves nothing old
and e-mails no director), then climb like a fresh escalation, once; a backlog climbs a batch a
run; migration 0013 records the start only where actions were escalated already."""
from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from advice.escalation.jobs import climb
from advice.escalation.models import Escalation, LadderStart
from advice.follow_through.services import refuse_action
from core.clock import team_today, utcnow
from core.db import db
from core.jobs import JobRun
from core.models import Commitment
from notifications.models import Notification
from tests.advice.escalation.test_escalation_ladder import state, told
from tests.notifications.conftest import smtp_server  # noqa: F401  (the real SMTP server fixture)

MIGRATION = Path(__file__).resolve().parents[3] / "migrations" / "versions" / "0013_ladder_start.py"


@pytest.fixture
def upgraded(aw, issued):
    """Both actions refused and escalated to the team 400 and 300 days ago, before the ladder
    existed; the ladder started (the upgrade) now. Both commitments name a director."""
    for org, email in ((aw.org, "directie@devaart.example"), (aw.org2, "bestuur@ggz.example")):
        commitment = db.session.scalar(sa.select(Commitment).where(Commitment.team_id == aw.team.id,
                                                                   Commitment.organisation_id == org.id))
        commitment.escalation_name, commitment.escalation_email = "Director", email
    advice = issued()
    housing = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    ggz = next(a for a in advice.actions if a.organisation_id == aw.org2.id)
    refuse_action(housing, aw.contact, expected_version=housing.version, reason="No home free this year.")
    refuse_action(ggz, aw.contact2, expected_version=ggz.version, reason="Waiting list.")
    upgrade = utcnow()
    housing.escalated_at, ggz.escalated_at = upgrade - timedelta(days=400), upgrade - timedelta(days=300)
    db.session.add(LadderStart(id=1, started_at=upgrade))
    db.session.commit()
    return upgrade, housing, ggz


def test_the_first_run_after_the_upgrade_moves_nothing_old_and_mails_no_director(aw, upgraded, smtp_server):  # noqa: F811
    upgrade, _housing, _ggz = upgraded
    before = state()
    first_night = upgrade + timedelta(hours=10)
    assert climb(first_night) == "0 escalations moved up, 0 closed, 0 directors e-mailed"
    assert climb(first_night + timedelta(hours=1)) == "0 escalations moved up, 0 closed, 0 directors e-mailed"
    assert state() == before
    assert db.session.scalar(sa.select(sa.func.count(Escalation.id))) == 0
    assert told() == {} and smtp_server.messages == []
    # Nor on the team's last day counted from the start.
    assert climb(upgrade + timedelta(days=13, hours=23)).startswith("0 escalations moved up")
    assert state() == before and smtp_server.messages == []


def test_an_old_escalation_climbs_after_the_teams_days_from_the_start_once(aw, upgraded, smtp_server):  # noqa: F811
    upgrade, housing, ggz = upgraded
    at_director = upgrade + timedelta(days=14, hours=1)
    assert climb(at_director) == "2 escalations moved up, 0 closed, 2 directors e-mailed"
    after = state()
    # Two runs = one: the second (the same night, or a second scheduler) changes nothing, tells nobody.
    assert climb(at_director) == "0 escalations moved up, 0 closed, 0 directors e-mailed"
    assert climb(at_director + timedelta(hours=1)) == "0 escalations moved up, 0 closed, 0 directors e-mailed"
    assert state() == after
    rows = db.session.scalars(sa.select(Escalation).order_by(Escalation.action_id)).all()
    assert sorted(e.action_id for e in rows) == sorted([housing.id, ggz.id])
    # Like a fresh escalation: started now, the director's 10 days from the team's today (its own
    # time zone: late in the UTC evening it is already the next day in Amsterdam).
    director_due = team_today(aw.team, at_director) + timedelta(days=10)
    assert all(e.started_at == at_director and e.level_due_on == director_due for e in rows)
    assert [(s.from_level, s.to_level) for e in rows for s in e.steps] == [(1, 2), (1, 2)]
    assert told() == {(aw.chair.id, "advice.escalation_director"): 2}
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["bestuur@ggz.example", "directie@devaart.example"]


def test_an_escalation_after_the_start_keeps_its_own_clock(aw, upgraded):
    upgrade, housing, _ggz = upgraded
    housing.escalated_at = upgrade + timedelta(days=3)  # escalated after the ladder started
    db.session.commit()
    assert climb(upgrade + timedelta(days=15)).startswith("1 escalations moved up")  # the old GGZ one
    assert climb(upgrade + timedelta(days=16)).startswith("0 escalations moved up")
    assert climb(upgrade + timedelta(days=17, hours=1)).startswith("1 escalations moved up")


def test_a_backlog_climbs_a_batch_a_run_oldest_first(app, aw, upgraded, smtp_server):  # noqa: F811
    upgrade, housing, ggz = upgraded
    app.config["LADDER_BATCH_SIZE"] = 1
    night = upgrade + timedelta(days=15)
    assert climb(night) == ("1 escalations moved up, 0 closed, 1 directors e-mailed"
                                       "; a full batch, the rest next run")
    assert db.session.scalars(sa.select(Escalation.action_id)).all() == [housing.id]  # escalated longest ago
    assert climb(night + timedelta(days=1)).startswith("1 escalations moved up")
    assert sorted(db.session.scalars(sa.select(Escalation.action_id))) == sorted([housing.id, ggz.id])
    snap = state()
    assert climb(night + timedelta(days=1)) == "0 escalations moved up, 0 closed, 0 directors e-mailed"
    assert state() == snap
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))
                             .where(Notification.kind == "advice.escalation_director")) == 2
    assert len(smtp_server.messages) == 2


def test_escalations_since_the_start_go_before_the_old_backlog(app, aw, upgraded):
    upgrade, housing, ggz = upgraded
    app.config["LADDER_BATCH_SIZE"] = 1
    ggz.escalated_at = upgrade + timedelta(days=1)  # escalated after the start: its own 14 days hold
    db.session.commit()
    night = upgrade + timedelta(days=15, hours=2)
    assert climb(night).startswith("1 escalations moved up")
    assert db.session.scalars(sa.select(Escalation.action_id)).all() == [ggz.id]
    assert climb(night + timedelta(days=1)).startswith("1 escalations moved up")
    assert sorted(db.session.scalars(sa.select(Escalation.action_id))) == sorted([housing.id, ggz.id])


def _record_start(now):
    spec = importlib.util.spec_from_file_location("migration_0013", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    db.session.execute(module.RECORD_START, {"now": now.replace(tzinfo=None)})
    db.session.commit()
    return db.session.scalar(sa.select(LadderStart.started_at))


def test_the_migration_records_the_start_only_where_actions_were_escalated(aw, issued):
    now = utcnow().replace(microsecond=0)
    advice = issued()
    assert _record_start(now) is None  # nothing escalated: the ladder is there from the start
    housing = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    refuse_action(housing, aw.contact, expected_version=housing.version, reason="No home free this year.")
    db.session.commit()
    assert _record_start(now) == now  # history: the ladder starts at the upgrade


def test_the_migration_keeps_the_start_of_a_ladder_that_ran_before(aw, issued):
    now = utcnow().replace(microsecond=0)
    advice = issued()
    housing = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    refuse_action(housing, aw.contact, expected_version=housing.version, reason="No home free this year.")
    db.session.add(JobRun(job_id="advice.escalation_ladder", started_at=now - timedelta(days=5)))
    db.session.add(JobRun(job_id="advice.mark_overdue", started_at=now - timedelta(days=50)))
    db.session.commit()
    assert _record_start(now) == now - timedelta(days=5)


def test_a_backlog_at_one_level_does_not_hold_up_another(app, aw, upgraded):
    upgrade, housing, ggz = upgraded
    app.config["LADDER_BATCH_SIZE"] = 1
    ggz.escalated_at = upgrade + timedelta(days=12)
    db.session.commit()
    night = upgrade + timedelta(days=15)
    assert climb(night).startswith("1 escalations moved up")  # housing: to the director
    # Eleven days on: housing's director did not answer and GGZ's team days passed: both move.
    assert climb(night + timedelta(days=11, hours=1)).startswith("2 escalations moved up")
    levels = dict(db.session.execute(sa.select(Escalation.action_id, Escalation.level)).all())
    assert levels == {housing.id: 3, ggz.id: 2}
