"""The demo tells one believable story: every moment in its place, no old message sent as new,
no impossible figure, and Amber's circle on her blockage map."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casefiles.blockage import services as blockage
from casefiles.models import Case
from core.audit import AuditEvent
from core.clock import running_at, utcnow
from core.db import db
from core.models import Team
from core.period import Period
from notifications.models import EmailStatus, Notification
from reports import figures


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return db.session.scalar(sa.select(Team).where(Team.code == "GOO"))


def _case(name: str) -> Case:
    return db.session.scalar(sa.select(Case).where(Case.household_pseudonym == name))


def test_ambers_map_has_the_circle_and_two_more_cases_have_a_map(demo):
    amber = blockage.blockage_map(_case("Gezin Amber"))
    [(members, _breaker)] = amber.circles()
    titles = {m.title for m in members}
    assert titles == {"Urgentie voor een woning", "Schuldregeling voor de restschuld", "Vast adres"}
    assert amber.biggest is not None
    assert len(blockage.blockage_map(_case("Gezin Bos")).needs) >= 3
    assert len(blockage.blockage_map(_case("Gezin Cedar")).needs) >= 3


def test_every_case_moment_is_in_its_place(demo):
    """Per case, its audit trail (its timeline) runs forward in time; consent comes before the
    case; nothing happened in the future; the closed case closed after it was advised."""
    now = utcnow()
    cases = db.session.scalars(sa.select(Case).where(Case.team_id == demo.id)).all()
    assert len(cases) >= 7
    for case in cases:
        moments = db.session.scalars(
            sa.select(AuditEvent.at).where(AuditEvent.object_type == "case", AuditEvent.object_id == case.id)
            .order_by(AuditEvent.id)).all()
        assert moments == sorted(moments), case.household_pseudonym
        assert moments[0] >= case.created_at - timedelta(seconds=1) and moments[-1] <= now
        assert case.consent_date is None or case.consent_date <= case.created_at.date(), case.household_pseudonym
        if case.submitted_at:
            assert case.created_at <= case.submitted_at <= now
    fransen = _case("Gezin Fransen")
    assert fransen.closed_at and fransen.consent_date < fransen.created_at.date() < fransen.closed_at.date()
    assert (now - fransen.closed_at).days >= 90  # the three-month evaluation is due


def test_history_is_not_sent_as_news(demo):
    """The demo's history sits read in the inboxes; only what happened today may be e-mailed."""
    recent = utcnow() - timedelta(hours=1)
    old_unsent = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.created_at < recent,
        sa.or_(Notification.email_status != EmailStatus.NONE, Notification.read_at.is_(None))))
    assert old_unsent == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.created_at < recent)) > 10  # there is a history, read


def test_no_negative_or_impossible_figure(demo):
    today = date.today()
    fig = figures.compute(demo, Period(today - timedelta(days=365), today), utcnow())
    for kind, lt in fig.lead_times.items():
        assert lt.invalid == 0, kind
        assert lt.median is None or lt.median >= 0, kind
        assert lt.p90 is None or lt.p90 >= (lt.median or 0), kind
    assert all(v >= 0 for v in fig.flow.counts.values())


def test_the_clock_runs_on_from_the_moment_it_is_set():
    start = utcnow() - timedelta(days=30)
    with running_at(start):
        first = utcnow()
        second = utcnow()
    assert timedelta(0) <= first - start < timedelta(seconds=5) and second >= first
    assert utcnow() - start >= timedelta(days=30)
