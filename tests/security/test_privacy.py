"""Who read a case, the GDPR art. 15 export, retention and backups."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import current_app

from casefiles import privacy as case_privacy
from core import jobs, privacy
from core.audit import AuditEvent
from core.db import db
from tests.conftest import login


def _fresh_auth(client):
    with client.session_transaction() as s:
        s["auth_at"] = int(time.time())


def test_chair_sees_who_read_a_case(client, world, create_case):
    case = create_case("accepted")
    login(client, world.expert)
    client.get(f"/cases/{case.id}")
    login(client, world.chair)
    page = client.get(f"/cases/{case.id}/reads")
    assert page.status_code == 200 and world.expert.name in page.get_data(as_text=True)
    for user in (world.expert, world.secretary, world.owner):
        login(client, user)
        assert client.get(f"/cases/{case.id}/reads").status_code == 403
    login(client, world.other_chair)
    assert client.get(f"/cases/{case.id}/reads").status_code == 404


def test_reads_do_not_clutter_the_case_timeline(client, world, create_case):
    from casefiles.services import timeline

    case = create_case("accepted")
    login(client, world.chair)
    client.get(f"/cases/{case.id}")
    assert "case.read" not in [e.action for e, _text in timeline(case)]


def test_export_needs_reauthentication_and_is_audited(client, world, create_case):
    case = create_case("accepted", household_pseudonym="Gezin Export")
    login(client, world.owner)
    with client.session_transaction() as s:
        s["auth_at"] = int(time.time()) - 3600
    response = client.get(f"/cases/{case.id}/export")
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/confirm")
    _fresh_auth(client)
    client.get(f"/cases/{case.id}")  # a read, so the access log has an entry
    html = client.get(f"/cases/{case.id}/export")
    assert html.status_code == 200 and "Gezin Export" in html.get_data(as_text=True)
    assert html.headers["Cache-Control"] == "no-store"
    response = client.get(f"/cases/{case.id}/export?format=json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["case"]["household_pseudonym"] == "Gezin Export"
    assert {"case", "timeline", "notifications", "access_log"} <= set(data)
    assert [e["action"] for e in data["timeline"]][:2] == ["case.create", "case.submit"]
    assert any(a["action"] == "case.read" and a["by"] == world.owner.name for a in data["access_log"])
    assert data["notifications"]  # the chair was told of the submission
    exports = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.export")).all()
    assert len(exports) == 2 and all(e.actor_id == world.owner.id for e in exports)


def test_export_contributors_extend_the_export(client, world, create_case):
    case = create_case("submitted")
    privacy.register_export(current_app, "extra_test_section", lambda c: {"reference": c.reference})
    try:
        assert privacy.build_export(case)["extra_test_section"] == {"reference": case.reference}
    finally:
        privacy.exporters(current_app).pop("extra_test_section")


@pytest.mark.parametrize("who", ["expert", "contact", "admin", "other_chair", "owner2"])
def test_export_is_refused_to_others(client, world, create_case, who):
    case = create_case("accepted")
    login(client, getattr(world, who))
    _fresh_auth(client)
    assert client.get(f"/cases/{case.id}/export?format=json").status_code in (403, 404)


def _close(case, when: datetime):
    """Closing arrives with the advice package; set the final state directly for retention."""
    from casefiles.models import CaseStatus

    case.status = CaseStatus.CLOSED
    case.closed_at = when
    db.session.commit()


def test_retention_anonymises_closed_cases_once(app, world, create_case):
    now = datetime(2030, 6, 1, tzinfo=timezone.utc)
    old = create_case("returned", household_pseudonym="Gezin Oud")  # with a return message
    recent = create_case("accepted", household_pseudonym="Gezin Recent")
    open_case = create_case("accepted", household_pseudonym="Gezin Open")
    _close(old, now - timedelta(days=2 * 365 + 2))
    _close(recent, now - timedelta(days=365))
    world.other_team.retention_years = 5
    foreign = create_case("accepted", team=world.other_team, owner=world.other_owner, household_pseudonym="Gezin Elders")
    _close(foreign, now - timedelta(days=3 * 365))
    domains_before = list(old.domain_values)

    assert case_privacy.anonymise_expired(now) == "1 case(s) anonymised"
    db.session.expire_all()
    assert old.household_pseudonym == privacy.ANONYMISED
    assert old.blockage == old.question == old.household_composition == old.tried == old.household_goal == ""
    assert old.reference and old.closed_at and old.domain_values == domains_before and old.urgency
    assert recent.household_pseudonym == "Gezin Recent" and open_case.household_pseudonym == "Gezin Open"
    assert foreign.household_pseudonym == "Gezin Elders"  # that team keeps five years
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.anonymise")).all()
    assert [(e.team_id, e.details["cases"]) for e in events] == [(world.team.id, [old.id])]
    assert "case.blockage" in events[0].details["fields"] and old.anonymised_at == now
    from casefiles.services import messages_of

    assert [m.text for m in messages_of(old)] == [""]  # the return question is gone too
    assert "case_messages.messages" in events[0].details["fields"]

    assert case_privacy.anonymise_expired(now) == "0 case(s) anonymised"  # safe to run twice
    assert len(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.anonymise")).all()) == 1
    assert "privacy.retention" in jobs.registered(current_app)


def test_retention_dry_run_changes_nothing(app, world, create_case):
    now = datetime(2030, 6, 1, tzinfo=timezone.utc)
    case = create_case("accepted", household_pseudonym="Gezin Droog")
    _close(case, now - timedelta(days=3 * 365))
    assert "1 case(s) due" in case_privacy.anonymise_expired(now, dry_run=True)
    db.session.expire_all()
    assert case.household_pseudonym == "Gezin Droog"


def test_backup_restores_every_row(app, world, create_case, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the backup command copies SQLite; PostgreSQL uses pg_dump")
    create_case("accepted")
    create_case("submitted")
    target = tmp_path / "backup.sqlite3"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    restored = sa.create_engine(f"sqlite:///{target}")
    counted = 0
    with db.engine.connect() as live, restored.connect() as copy:
        for table in db.metadata.sorted_tables:
            live_rows = live.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            assert copy.execute(sa.select(sa.func.count()).select_from(table)).scalar() == live_rows, table.name
            counted += live_rows
        # and the rows themselves, not only their number
        for table in ("cases", "audit_events", "users"):
            assert live.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1").all() == copy.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1").all()  # noqa: S608
    restored.dispose()
    assert counted > 20
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code != 0  # never overwrites


def test_retention_clears_the_blockage_map_and_hard_case_notes(app, world, create_case):
    from datetime import date

    from casefiles.blockage import services as blockage
    from casefiles.holds import services as holds

    case = create_case("accepted", household_pseudonym="Gezin Kaart")
    urgency = blockage.add_need(case, world.owner, title="Urgentie voor Gezin Kaart", rule="Huisvestingsverordening")
    debt = blockage.add_need(case, world.owner, title="Schuldregeling")
    blockage.link_needs(urgency, debt, world.owner, reason="Geen urgentie zolang de schuld van Gezin Kaart openstaat")
    holds.put_on_hold(case, world.owner, reason="no_contact", note="Laatst gezien bij station",
                                   retry_on=date.today() + timedelta(days=14))
    holds.request_signals(case, world.owner, organisation_ids=[world.org.id], whom_to_call="Sophie, 06-12345678",
                                       last_contact_on=date.today() - timedelta(days=3))
    db.session.commit()

    assert sorted(blockage.anonymise_map([case.id]) + holds.anonymise_holds([case.id])) == [
        "holds", "need_links", "needs", "signal_requests"]
    db.session.commit()
    db.session.expire_all()
    texts = " ".join(str(v) for row in db.session.execute(sa.text(
        "SELECT n.title, n.rule, l.reason, h.note, r.whom_to_call FROM case_needs n "
        "JOIN case_need_links l ON l.need_id = n.id JOIN case_holds h ON h.case_id = n.case_id "
        "JOIN case_signal_requests r ON r.case_id = n.case_id")).all() for v in row)
    assert "Kaart" not in texts and "station" not in texts and "0612" not in texts.replace("-", "")
    assert blockage.anonymise_map([case.id]) + holds.anonymise_holds([case.id]) == []  # safe to run twice
