"""The audit trail: chained, append-only, verified; reads of case content are recorded."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from core import audit, audit_verify
from core.audit import AuditEvent
from core.db import db
from tests.conftest import login


def _events():
    return db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()


def test_rows_are_chained_and_verify(app, world, create_case):
    create_case("accepted")
    rows = _events()
    assert len(rows) >= 3
    assert rows[0].prev_hash == audit.GENESIS
    for before, after in zip(rows, rows[1:]):
        assert after.prev_hash == before.row_hash
    report = audit_verify.verify_chain(batch=2)  # several batches
    assert report.ok and report.rows == len(rows), str(report)


def test_every_row_has_origin_actor_and_time(client, world, create_case):
    case = create_case("submitted")
    login(client, world.chair)
    client.get(f"/cases/{case.id}")
    read = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.read")).one()
    assert read.actor_id == world.chair.id and read.object_id == case.id and read.result == "ok"
    assert read.ip == "127.0.0.1" and read.user_agent and read.at is not None
    assert read.team_id == world.team.id


def test_tampering_is_reported_at_the_first_broken_row(app, world, create_case):
    create_case("accepted")
    rows = _events()
    target = rows[len(rows) // 2]
    with db.engine.begin() as conn:  # behind the app's back, as an attacker with SQL access would
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        conn.execute(sa.update(AuditEvent.__table__).where(AuditEvent.__table__.c.id == target.id).values(action="case.tampered"))
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
    report = audit_verify.verify_chain()
    assert not report.ok and report.broken_id == target.id and "changed" in report.reason

    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"row {target.id}" in result.output


def test_a_removed_row_breaks_the_link_of_the_next(app, world, create_case):
    create_case("accepted")
    rows = _events()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        conn.execute(sa.delete(AuditEvent.__table__).where(AuditEvent.__table__.c.id == rows[1].id))
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
    report = audit_verify.verify_chain()
    assert report.broken_id == rows[2].id and "link" in report.reason


def test_the_nightly_job_reports_and_is_registered(app, world, create_case):
    from core import jobs

    create_case("submitted")
    assert "audit.verify" in jobs.registered(app) and "privacy.retention" in jobs.registered(app)
    assert "intact" in jobs.registered(app)["audit.verify"].func(audit.utcnow())
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output


def test_the_orm_refuses_updates_and_deletes(app, world, create_case):
    create_case("submitted")
    event = _events()[0]
    event.action = "changed"
    with pytest.raises(audit.AuditImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(_events()[0])
    with pytest.raises(audit.AuditImmutable):
        db.session.flush()
    db.session.rollback()
    for statement in (sa.update(AuditEvent).values(action="x"), sa.delete(AuditEvent)):
        with pytest.raises(audit.AuditImmutable):
            db.session.execute(statement)
        db.session.rollback()
    assert audit_verify.verify_chain().ok


def test_postgresql_trigger_refuses_updates_and_deletes(app, world, create_case):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL trigger")
    create_case("submitted")
    for sql in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.exec_driver_sql(sql)
    assert audit_verify.verify_chain().ok


def test_concurrent_writers_keep_one_linear_chain(app, world):
    """Two threads (two connections) write audit rows at once; the chain stays intact."""
    errors = []
    barrier = threading.Barrier(2)

    def worker(n: int):
        try:
            with app.app_context():
                barrier.wait()
                for i in range(15):
                    audit.record("test.concurrent", object_type="test", object_id=n * 100 + i, actor=None)
                    if i % 3 == 0:
                        audit.record("test.concurrent", object_type="test", object_id=n * 1000 + i, actor=None)
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    report = audit_verify.verify_chain()
    assert report.ok and report.rows == 2 * (15 + 5), str(report)
    hashes = db.session.scalars(sa.select(AuditEvent.prev_hash)).all()
    assert len(set(hashes)) == len(hashes)  # no fork: every row has its own predecessor


def test_a_rolled_back_row_leaves_no_gap_in_the_chain(app, world):
    audit.record("test.a", object_type="test", object_id=1, actor=None)
    db.session.commit()
    audit.record("test.b", object_type="test", object_id=2, actor=None)
    db.session.flush()
    db.session.rollback()
    audit.record("test.c", object_type="test", object_id=3, actor=None)
    db.session.commit()
    assert [e.action for e in _events()] == ["test.a", "test.c"]
    assert audit_verify.verify_chain().ok


def test_no_code_path_updates_or_deletes_audit_rows():
    """Source rule: nothing outside audit.py issues UPDATE/DELETE against audit_events."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("expertteam", "casefiles", "meeting", "advice", "notifications"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text("utf-8")
            if re.search(r"sa\.(update|delete)\(\s*AuditEvent|(UPDATE|DELETE FROM)\s+audit_events", text) and path.name != "audit.py":
                offenders.append(str(path))
    assert offenders == []
