"""The nightly audit check's blind spots closed: a rotating slice re-checks the older chain within
seven runs, and the checkpoints are tamper-evident (sealed with a key outside the database,
numbered, their head kept outside the database).

Each attack goes behind the app's back (``tests.core.audit_tampering``) and is then judged by the
nightly job, ``flask audit verify`` or ``--full``, as an administrator would run them.
"""
from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import audit_verify, jobs
from core.audit import HASHED_COLUMNS, AuditEvent
from core.clock import utcnow
from core.db import db
from expertteam.config import ConfigurationError, check_production
from tests.core.audit_tampering import (
    CHECKPOINTS,
    add,
    behind_the_apps_back,
    change,
    checkpoints,
    rewrite_from,
)

_OBJECT = 1 + HASHED_COLUMNS.index("object_id")  # in hash_fields' arguments, after ``prev``


class _Nights:
    """The nightly job run night after night, the trail growing by a few rows each day."""

    def __init__(self, app, rows: int = 70):
        self.job = jobs.registered(app)["audit.verify"].func
        self.night = 0
        self.next_object = rows
        self.start = utcnow()
        add(rows)

    def run(self, grow: int = 3) -> str:
        if self.night:
            self.grow(grow)
        return self.check()

    def grow(self, n: int) -> None:
        add(n, start=self.next_object)
        self.next_object += n

    def check(self) -> str:
        """Tonight's run of the job (without the day's new rows)."""
        summary = self.job(self.start + timedelta(days=self.night))
        self.night += 1
        return summary


def _head_file(app):
    return app.instance_path + "/audit-head.json"


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["audit", *args])


# --- the rotating slice -----------------------------------------------------------------------

@pytest.mark.parametrize("edited", [0, 14, 30, 52, 69])
def test_an_edit_of_an_older_row_is_found_by_the_nightly_job_within_seven_runs(app, edited):
    """Rows before the last checkpoint, edited after several nights (behind the slice, ahead of
    it, at its head): the job reports the row within seven more runs, and every night after."""
    nights = _Nights(app, rows=70)
    for _ in range(4):
        assert "intact" in nights.run()
    row_id = db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.object_id == edited))
    change(row_id)
    for run in range(1, 8):
        summary = nights.run()
        if "broken" in summary:
            break
    assert f"broken at row {row_id}" in summary and "changed" in summary, (run, summary)
    kept = len(checkpoints())
    assert f"broken at row {row_id}" in nights.run() and len(checkpoints()) == kept  # no checkpoint past it


def test_every_row_is_hashed_again_at_least_every_seven_runs(app, monkeypatch):
    nights = _Nights(app, rows=50)
    hashed: list[set[int]] = []
    original = audit_verify.hash_fields

    def recording(*args):
        hashed[-1].add(args[_OBJECT])
        return original(*args)

    monkeypatch.setattr(audit_verify, "hash_fields", recording)
    present = []
    for _ in range(22):
        present.append(nights.next_object)
        hashed.append(set())
        assert "intact" in nights.run(grow=1 + len(hashed) % 4)
    for night in range(7, len(hashed)):
        week = set().union(*hashed[night - 6:night + 1])
        missed = set(range(present[night - 7])) - week
        assert not missed, f"night {night}: rows {sorted(missed)[:5]}… not hashed in the last 7 runs"
    # A slice is about a seventh of the chain, not the whole of it.
    assert max(len(h) for h in hashed[1:]) < nights.next_object / 2


def test_the_nightly_statements_do_not_grow_with_the_trail(app, count_queries):
    """Checkpoints, the checkpointed row, the count, the new rows, the slice, the new checkpoint:
    one statement each, whatever the length of the trail (the slice streams in batches)."""
    def statements(nights: _Nights) -> int:
        nights.grow(2)
        with count_queries() as counter:
            assert "older rows checked again" in nights.check()
        return counter.count

    nights = _Nights(app, rows=20)
    nights.run()
    few = statements(nights)
    nights.grow(400)
    nights.run()
    assert statements(nights) == few <= 6


def test_an_untouched_chain_stays_intact_and_its_checkpoints_sealed(app):
    nights = _Nights(app, rows=30)
    summaries = [nights.run() for _ in range(9)]
    assert all("intact" in s for s in summaries), summaries
    assert "older rows checked again (slice" in summaries[-1]
    assert _cli(app, "verify").exit_code == 0 and _cli(app, "verify", "--full").exit_code == 0
    saved = checkpoints()
    assert [c.seq for c in saved] == list(range(1, 12)) and all(c.seal for c in saved)
    with open(_head_file(app), encoding="utf-8") as f:
        head = json.load(f)
    assert (head["seq"], head["seal"], head["last_id"]) == (saved[-1].seq, saved[-1].seal, saved[-1].last_id)


# --- the checkpoints --------------------------------------------------------------------------

def test_all_checkpoints_deleted_is_not_intact(app):
    nights = _Nights(app, rows=10)
    nights.run()
    nights.run()
    with behind_the_apps_back() as conn:
        conn.execute(sa.delete(CHECKPOINTS))
    summary = nights.run()
    assert "not intact" in summary and "is not in the database" in summary, summary
    for args in (("verify",), ("verify", "--full")):
        result = _cli(app, *args)
        assert result.exit_code == 1 and "checkpoints were removed" in result.output, result.output
    assert checkpoints() == []


def test_all_checkpoints_and_the_head_file_deleted_is_not_intact_once_the_trail_is_older(app):
    nights = _Nights(app, rows=10)
    nights.run()
    with behind_the_apps_back() as conn:
        conn.execute(sa.delete(CHECKPOINTS))
    if os.path.exists(_head_file(app)):
        os.remove(_head_file(app))
    summary = nights.job(utcnow() + audit_verify.ANCHOR_GRACE + timedelta(hours=1))
    assert "not intact" in summary and "but no checkpoint" in summary, summary
    assert checkpoints() == []


def test_a_deleted_middle_or_newest_checkpoint_is_not_intact(app):
    nights = _Nights(app, rows=10)
    for _ in range(4):
        nights.run()
    second, newest = ({c.key: getattr(cp, c.key) for c in CHECKPOINTS.c} for cp in checkpoints()[1::2])
    with behind_the_apps_back() as conn:
        conn.execute(sa.delete(CHECKPOINTS).where(CHECKPOINTS.c.id == second["id"]))
    summary = nights.run()
    assert "not intact" in summary and "checkpoint 2 is missing" in summary, summary
    with behind_the_apps_back() as conn:  # put it back; now the newest goes
        conn.execute(sa.insert(CHECKPOINTS).values(second))
        conn.execute(sa.delete(CHECKPOINTS).where(CHECKPOINTS.c.id == newest["id"]))
    summary = nights.run()
    assert "not intact" in summary and f"checkpoint {newest['seq']} at row {newest['last_id']}" in summary, summary


def test_a_rewritten_chain_with_its_checkpoint_edited_to_match_is_not_intact(app):
    """The attack the checkpoint alone cannot stop: an old row changed, every later row hashed
    again, and the newest checkpoint given the new head's hash."""
    nights = _Nights(app, rows=12)
    nights.run()
    target = db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.object_id == 3))
    new_head = rewrite_from(target)
    with behind_the_apps_back() as conn:
        conn.execute(sa.update(CHECKPOINTS).values(last_hash=new_head))
    summary = nights.run()
    assert "not intact" in summary and "the seal of checkpoint 1" in summary, summary
    assert _cli(app, "verify", "--full").exit_code == 1


def test_an_edited_older_checkpoint_is_not_intact(app):
    nights = _Nights(app, rows=12)
    for _ in range(3):
        nights.run()
    first = checkpoints()[0]
    with behind_the_apps_back() as conn:
        conn.execute(sa.update(CHECKPOINTS).where(CHECKPOINTS.c.id == first.id).values(full=False))
    summary = nights.run()
    assert "not intact" in summary and "the seal of checkpoint 1" in summary, summary


def test_a_checkpoint_sealed_with_another_key_is_not_intact(app):
    app.config["AUDIT_HMAC_KEY"] = "k" * 40
    nights = _Nights(app, rows=8)
    nights.run()
    assert "intact" in nights.run()
    app.config["AUDIT_HMAC_KEY"] = "another-key-" * 4
    summary = nights.run()
    assert "not intact" in summary and "another key" in summary, summary
    # Without its own key the seal is derived from SECRET_KEY: that is another key too.
    app.config["AUDIT_HMAC_KEY"] = None
    assert "another key" in nights.run()


def test_an_unreadable_head_file_is_not_intact(app):
    nights = _Nights(app, rows=5)
    nights.run()
    with open(_head_file(app), "w", encoding="utf-8") as f:
        f.write("[1, 2")
    summary = nights.run()
    assert "not intact" in summary and "is not a head this app wrote" in summary, summary


# --- sealing once: after the upgrade, a key change, a restore ---------------------------------

def test_audit_seal_seals_unsealed_checkpoints_after_a_full_walk(app):
    nights = _Nights(app, rows=10)
    nights.run()
    nights.run()
    with behind_the_apps_back() as conn:  # as migration 0016 leaves checkpoints written before
        conn.execute(sa.update(CHECKPOINTS).values(seal=None, seq=None))
    summary = nights.run()
    assert "has no seal" in summary and "audit seal" in summary, summary

    rows = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    result = _cli(app, "seal")
    assert result.exit_code == 0 and "2 checkpoints sealed" in result.output, result.output
    assert [c.seq for c in checkpoints()] == [1, 2, 3] and all(c.seal for c in checkpoints())
    assert "intact" in nights.run()
    sealed = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit.seal")).one()
    assert sealed.details == {"rows": rows, "checkpoints": 2}

    app.config["AUDIT_HMAC_KEY"] = "a-new-key-for-the-checkpoints-0123456789"
    assert "another key" in nights.run()
    assert _cli(app, "seal").exit_code == 0 and "intact" in nights.run()


def test_audit_seal_refuses_a_broken_chain(app):
    nights = _Nights(app, rows=10)
    nights.run()
    with behind_the_apps_back() as conn:
        conn.execute(sa.update(CHECKPOINTS).values(seal=None))
    target = db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.object_id == 4))
    change(target)
    before = [(c.id, c.seal) for c in checkpoints()]
    result = _cli(app, "seal")
    assert result.exit_code == 1 and f"broken at row {target}" in result.output and "Nothing sealed" in result.output
    assert [(c.id, c.seal) for c in checkpoints()] == before


def test_production_refuses_a_weak_or_shared_audit_key():
    base = {"PRODUCTION": True, "SECRET_KEY": "s" * 40, "SQLALCHEMY_DATABASE_URI": "postgresql://x"}
    check_production({**base, "AUDIT_HMAC_KEY": "a" * 40}, {}, False, "dev")
    for key in ("short", "s" * 40):
        with pytest.raises(ConfigurationError, match="AUDIT_HMAC_KEY"):
            check_production({**base, "AUDIT_HMAC_KEY": key}, {}, False, "dev")


def test_audit_seal_on_an_empty_trail_seals_nothing(app):
    result = _cli(app, "seal")
    assert result.exit_code == 0 and "nothing to seal" in result.output, result.output
    assert checkpoints() == []
