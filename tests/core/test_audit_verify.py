"""Verifying the audit chain: incremental from the newest checkpoint, in full, and the CLI.

Tampering goes behind the app's back (``tests.core.audit_tampering``). The rotating slice and the
checkpoints' seals: ``test_audit_tamper.py``.
"""
from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import sqlalchemy as sa

from core import audit, audit_verify, jobs
from core.audit import AuditEvent
from core.db import db
from core.redaction import redact
from tests.core.audit_tampering import EVENTS
from tests.core.audit_tampering import add as _add
from tests.core.audit_tampering import behind_the_apps_back as _behind_the_apps_back
from tests.core.audit_tampering import change as _change
from tests.core.audit_tampering import checkpoints as _checkpoints
from tests.core.audit_tampering import ids as _ids
from tests.core.audit_tampering import remove as _remove


class _CountingHash:
    """Counts the rows the verification actually hashes (independent of its own report)."""

    def __init__(self, monkeypatch):
        self.calls = 0
        original = audit_verify.hash_fields

        def counting(*args):
            self.calls += 1
            return original(*args)

        monkeypatch.setattr(audit_verify, "hash_fields", counting)


# --- an intact chain --------------------------------------------------------------------------

def test_without_a_checkpoint_the_whole_chain_is_checked_and_a_checkpoint_written(app, caplog):
    ids = _add(7)
    with caplog.at_level(logging.INFO, logger="expertteam.audit"):
        report = audit_verify.verify_incremental(batch=3)
    assert report.ok and report.full and report.rows == 7 and report.checked == 7, str(report)
    assert report.head_id == ids[-1] and "intact" in str(report)
    [cp] = _checkpoints()
    head_hash = db.session.scalar(sa.select(AuditEvent.row_hash).where(AuditEvent.id == ids[-1]))
    assert (cp.last_id, cp.last_hash, cp.row_count, cp.full) == (ids[-1], head_hash, 7, True)
    # The chain head also goes to the application log, readable after the log's redaction.
    [line] = [r.getMessage() for r in caplog.records if r.name == "expertteam.audit"]
    assert audit_verify.spaced_hash(head_hash) in line and f"head row {ids[-1]}," in line
    assert "".join(audit_verify.spaced_hash(head_hash).split()) == head_hash


def test_the_logged_head_survives_redaction_at_national_size(app, caplog):
    report = audit_verify.ChainReport(3_000_000, head_id=123456, head_hash="ab12" * 16)
    with caplog.at_level(logging.INFO, logger="expertteam.audit"):
        audit_verify._write_checkpoint(report, None)
    [line] = [r.getMessage() for r in caplog.records if r.name == "expertteam.audit"]
    assert "head row 123_456, 3_000_000 rows" in line and audit_verify.spaced_hash("ab12" * 16) in line
    assert redact(line) == line
    assert audit_verify.log_safe("broken at row 123456 (2024-05-01)") == "broken at row 123_456 (2024-05-01)"


def test_incremental_reads_only_the_rows_added_since_the_checkpoint(app, monkeypatch):
    _add(40)
    first = audit_verify.verify_incremental(batch=8)
    new = _add(3)
    counter = _CountingHash(monkeypatch)
    report = audit_verify.verify_incremental(batch=8)
    assert report.ok and not report.full, str(report)
    assert counter.calls == 1 + 3 and report.checked == 3  # the checkpointed row, then the new ones
    assert report.rows == 43 and report.since_id == first.head_id and report.head_id == new[-1]
    latest = _checkpoints()[-1]
    assert (latest.last_id, latest.row_count, latest.full) == (new[-1], 43, False)
    assert "3 new rows checked after the checkpoint" in str(report)


def test_statements_do_not_grow_with_the_trail(app, count_queries):
    def statements_for_new_rows() -> int:
        audit_verify.verify_incremental()
        _add(2)
        with count_queries() as counter:
            assert audit_verify.verify_incremental(batch=1).ok
        return counter.count

    _add(5)
    small = statements_for_new_rows()
    _add(300)
    assert statements_for_new_rows() == small <= 6


def test_running_twice_is_safe(app, monkeypatch):
    _add(5)
    one = audit_verify.verify_incremental()
    counter = _CountingHash(monkeypatch)
    two = audit_verify.verify_incremental()
    assert one.ok and two.ok and counter.calls == 1 and two.checked == 0  # only the checkpointed row
    assert (two.head_id, two.head_hash, two.rows) == (one.head_id, one.head_hash, one.rows)
    assert [(c.last_id, c.last_hash, c.row_count) for c in _checkpoints()] == [(one.head_id, one.head_hash, 5)] * 2
    assert audit_verify.verify_chain().ok  # the full walk agrees with both checkpoints


def test_an_empty_trail_is_intact_and_anchors_nothing(app):
    report = audit_verify.verify_incremental()
    assert report.ok and report.rows == 0 and _checkpoints() == []


def test_two_verifications_at_once_leave_true_checkpoints(app):
    _add(30)
    audit_verify.verify_incremental()
    _add(20)
    reports, errors = [], []
    barrier = threading.Barrier(3)

    def verify():
        try:
            with app.app_context():
                barrier.wait()
                reports.append(audit_verify.verify_incremental(batch=4))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def write():
        try:
            with app.app_context():
                barrier.wait()
                _add(10)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=verify), threading.Thread(target=verify), threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert all(r.ok for r in reports), [str(r) for r in reports]
    for cp in _checkpoints():  # every checkpoint states the truth about the chain
        assert db.session.scalar(sa.select(AuditEvent.row_hash).where(AuditEvent.id == cp.last_id)) == cp.last_hash
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.id <= cp.last_id)) == cp.row_count
    assert audit_verify.verify_incremental().ok and audit_verify.verify_chain(batch=7).rows == 60


# --- tampering --------------------------------------------------------------------------------

def test_a_changed_new_row_is_found_and_no_checkpoint_written(app):
    _add(5)
    audit_verify.verify_incremental()
    new = _add(4)
    _change(new[1])
    report = audit_verify.verify_incremental()
    assert not report.ok and report.broken_id == new[1] and "changed" in report.reason, str(report)
    assert len(_checkpoints()) == 1


def test_a_changed_checkpoint_row_is_found(app):
    ids = _add(6)
    audit_verify.verify_incremental()
    _change(ids[-1])
    report = audit_verify.verify_incremental()
    assert not report.ok and report.broken_id == ids[-1] and "changed" in report.reason, str(report)


def test_a_changed_older_row_is_found_by_the_full_check(app):
    """Without its rotating slice the incremental check trusts rows before its checkpoint apart
    from their number and the checkpointed hash; the full check walks them (the nightly job's
    slices: ``test_audit_tamper.py``)."""
    ids = _add(6)
    audit_verify.verify_incremental()
    _change(ids[2])
    assert audit_verify.verify_incremental().ok
    report = audit_verify.verify_chain()
    assert not report.ok and report.broken_id == ids[2] and "changed" in report.reason, str(report)


def test_a_removed_middle_row_is_found_incrementally(app):
    ids = _add(8)
    audit_verify.verify_incremental()
    _remove(ids[3])
    report = audit_verify.verify_incremental()
    # The row count up to the checkpoint gave it away; the full walk names the first broken row.
    assert not report.ok and report.broken_id == ids[4] and "link" in report.reason, str(report)
    assert len(_checkpoints()) == 1


def test_a_removed_middle_row_with_the_chain_rewritten_is_found_at_the_checkpoint(app):
    """An attacker removes a row and re-hashes everything after it: every link holds, but the
    checkpoint's hash and row count do not."""
    ids = _add(6)
    audit_verify.verify_incremental()
    _remove(ids[2])
    with _behind_the_apps_back() as conn:
        prev = conn.scalar(sa.select(EVENTS.c.row_hash).where(EVENTS.c.id == ids[1]))
        for row in conn.execute(sa.select(EVENTS).where(EVENTS.c.id > ids[1]).order_by(EVENTS.c.id)).all():
            own = audit.hash_fields(prev, *(row._mapping[name] for name in audit.HASHED_COLUMNS))
            conn.execute(sa.update(EVENTS).where(EVENTS.c.id == row.id).values(prev_hash=prev, row_hash=own))
            prev = own
    report = audit_verify.verify_incremental()
    assert not report.ok and report.broken_id == ids[-1] and "rewritten" in report.reason, str(report)


def test_removed_newest_rows_are_found_after_a_checkpoint(app):
    ids = _add(6)
    audit_verify.verify_incremental()
    _remove(ids[-1], ids[-2])
    _add(1)  # the trail goes on: the new row links to what is left, so its own link holds
    for report in (audit_verify.verify_incremental(), audit_verify.verify_chain()):
        assert not report.ok and report.broken_id == ids[-1], str(report)
        assert "is gone" in report.reason and f"row {ids[-1]}" in str(report)


def test_removing_the_whole_trail_after_a_checkpoint_is_found(app):
    ids = _add(3)
    audit_verify.verify_incremental()
    _remove(*ids)
    report = audit_verify.verify_incremental()
    assert not report.ok and report.broken_id == ids[-1] and "the trail is empty" in report.reason, str(report)


def test_rows_removed_between_checkpoints_show_in_the_next_rows_link(app):
    _add(4)
    audit_verify.verify_incremental()
    new = _add(3)
    _remove(new[1])
    report = audit_verify.verify_incremental()
    assert not report.ok and report.broken_id == new[2] and "link" in report.reason, str(report)


# --- the job and the command ------------------------------------------------------------------

def test_the_nightly_job_checks_incrementally_and_reports_a_break(app, caplog):
    job = jobs.registered(app)["audit.verify"]
    ids = _add(4)
    now = datetime(2025, 3, 4, 2, 15, tzinfo=UTC)
    assert "intact" in job.func(now)
    assert _checkpoints()[0].verified_at == now
    _remove(ids[-1])
    with caplog.at_level(logging.ERROR, logger="expertteam.audit"):
        summary = job.func(now)
    assert f"broken at row {ids[-1]}" in summary
    assert any("broken" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    failed = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit.verify")).one()
    assert failed.result == "failed" and failed.object_id == ids[-1]


def test_the_command_exit_codes(app):
    runner = app.test_cli_runner()
    ids = _add(5)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact: 5 rows" in result.output, result.output
    _add(2)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "2 new rows checked" in result.output, result.output
    result = runner.invoke(args=["audit", "verify", "--full"])
    assert result.exit_code == 0 and "intact: 7 rows" in result.output and "full" in result.output
    assert [c.full for c in _checkpoints()] == [True, False, True]

    _change(ids[1])
    result = runner.invoke(args=["audit", "verify", "--full"])
    assert result.exit_code == 1 and f"broken at row {ids[1]}" in result.output, result.output
    assert len(_checkpoints()) == 3  # nothing after the break


def test_the_command_names_removed_newest_rows(app):
    runner = app.test_cli_runner()
    ids = _add(5)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    _remove(ids[-1])
    for args in (["audit", "verify"], ["audit", "verify", "--full"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and f"broken at row {ids[-1]}" in result.output, result.output
        assert f"now ends at row {ids[-2]}" in result.output
    assert _ids() == ids[:-1] and len(_checkpoints()) == 1
