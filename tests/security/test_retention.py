"""Retention is set-based and idempotent (issue 13).

- the statements for a batch of cases do not grow with the batch (a batch of 2 and one of 6
  cases, each with text in every table retention clears, cost the same);
- a second run selects nothing, issues no UPDATE and reports 0;
- cases not yet due (recent, still open, a team that keeps longer) are untouched;
- each batch is committed: a stop in a later batch keeps what earlier batches did;
- the query for what is due can use the partial index ``ix_cases_retention_due``.
(The sentinel test ``test_free_text.py`` checks that no text is left anywhere.)
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from advice.closure.models import CaseClosure
from advice.drafting.issuing import issue_advice
from advice.models import Action, Advice
from casefiles import privacy as case_privacy
from casefiles import services as case_services
from casefiles.blockage import services as blockage
from casefiles.holds import services as holds
from casefiles.models import Case, CaseStatus
from core.audit import AuditEvent
from core.db import db
from meeting.models import AgendaItem, Meeting, MeetingStatus, Outcome
from tests.advice.conftest import _english, aw, discussed, drafted  # noqa: F401  (fixtures of the advice)

NOW = datetime(2031, 3, 1, 2, 45, tzinfo=timezone.utc)
TEXT = "ZQXRET"


class UpdateCounter:
    """Counts every statement and the UPDATE statements among them."""

    def __init__(self):
        self.statements: list[str] = []

    def _on(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    @property
    def updates(self) -> int:
        return sum(1 for s in self.statements if s.lstrip().upper().startswith("UPDATE"))

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self._on)


@pytest.fixture
def full_case(aw, create_case, drafted):
    """A closed case with text in every table retention clears, through the real services where
    they allow it: the case, a kept message, the map, a hold with a signal, the meeting's item
    notes and minutes, an issued advice with actions, the closure."""
    seq = iter(range(1, 1000))

    def _make(closed_at: datetime, team=None) -> Case:
        n = next(seq)
        case = create_case("accepted", household_pseudonym=f"{TEXT}-p{n}", blockage=f"{TEXT}-b{n}")
        case_services.keep_text(case, "return", f"{TEXT}-m{n}", aw.chair)
        need = blockage.add_need(case, aw.owner, title=f"{TEXT}-n{n}", rule=f"{TEXT}-r{n}")
        other = blockage.add_need(case, aw.owner, title=f"{TEXT}-o{n}")
        blockage.link_needs(need, other, aw.owner, reason=f"{TEXT}-l{n}")
        holds.put_on_hold(case, aw.owner, reason="no_contact", note=f"{TEXT}-h{n}",
                          retry_on=date.today() + timedelta(days=7))
        [request] = holds.request_signals(case, aw.owner, organisation_ids=[aw.org.id], whom_to_call=f"{TEXT}-w{n}",
                                          last_contact_on=date.today())
        holds.report_seen(request, aw.contact, note=f"{TEXT}-s{n}")
        holds.resume_case(case, aw.owner)
        start = (NOW - timedelta(days=900 + n)).replace(microsecond=0)
        minutes = f"### Agenda\n\n#### 1. {case.reference} — discussed\n\n{TEXT}-x{n}\n\n### Other\n\nkept {n}"
        meeting = Meeting(team=aw.team, starts_at=start, ends_at=start + timedelta(hours=3), slot_at=start,
                          cutoff_at=start - timedelta(days=4), status=MeetingStatus.HELD, held_at=start,
                          minutes_text=minutes)
        db.session.add(meeting)
        db.session.flush()
        db.session.add(AgendaItem(meeting=meeting, case=case, position=1, starts_at=start, duration_minutes=45,
                                  outcome=Outcome.DISCUSSED, outcome_at=start, outcome_by_id=aw.chair.id,
                                  notes=f"{TEXT}-i{n}"))
        case.status = CaseStatus.DISCUSSED
        db.session.commit()
        advice = drafted(case=case, actions=[(aw.org, f"{TEXT}-a{n}")])
        issue_advice(advice, aw.chair)
        db.session.add(CaseClosure(case_id=case.id, team_id=case.team_id, outcome="reached", note=f"{TEXT}-c{n}",
                                   closed_by_id=aw.owner.id, evaluation_due_on=closed_at.date(),
                                   evaluation_note=f"{TEXT}-f{n}", team_note=f"{TEXT}-t{n}"))
        case.status = CaseStatus.CLOSED
        case.closed_at = closed_at
        if team is not None:
            case.team_id = team.id
        db.session.commit()
        return case

    return _make


def _texts_of(case_ids: list[int]) -> str:
    """Every text column retention clears, of these cases, as one string."""
    ids = sa.bindparam("ids", case_ids, expanding=True)
    queries = [
        "SELECT household_pseudonym || blockage FROM cases WHERE id IN :ids",
        "SELECT text FROM case_messages WHERE case_id IN :ids",
        "SELECT title || rule FROM case_needs WHERE case_id IN :ids",
        "SELECT l.reason FROM case_need_links l JOIN case_needs n ON n.id = l.need_id WHERE n.case_id IN :ids",
        "SELECT note FROM case_holds WHERE case_id IN :ids",
        "SELECT whom_to_call FROM case_signal_requests WHERE case_id IN :ids",
        "SELECT s.note FROM case_signals s JOIN case_signal_requests r ON r.id = s.request_id WHERE r.case_id IN :ids",
        "SELECT notes FROM agenda_items WHERE case_id IN :ids",
        "SELECT m.minutes_text FROM meetings m JOIN agenda_items i ON i.meeting_id = m.id WHERE i.case_id IN :ids",
        "SELECT situation || blockage || advice_text || legal_free_text FROM advice WHERE case_id IN :ids",
        "SELECT a.description FROM advice_actions a JOIN advice v ON v.id = a.advice_id WHERE v.case_id IN :ids",
        "SELECT note || followup_note || team_note FROM advice_case_closures WHERE case_id IN :ids",
    ]
    out = []
    for query in queries:
        out += [str(v) for v in db.session.scalars(sa.text(query).bindparams(ids))]
    return "\n".join(out)


def test_statements_per_batch_do_not_grow_with_the_batch(aw, full_case):
    old = NOW - timedelta(days=3 * 366)
    small = [full_case(old).id for _ in range(2)]
    large = [full_case(old).id for _ in range(6)]
    for ids in (small, large):
        assert len(re.findall(TEXT, _texts_of(ids))) == 16 * len(ids)  # text in every table, every case

    counted = []
    for ids in (small, large):
        with UpdateCounter() as counter:
            assert case_privacy.anonymise_cases(ids, NOW) == len(ids)
            db.session.commit()
        counted.append(counter)
        assert TEXT not in _texts_of(ids)
    assert len(counted[0].statements) == len(counted[1].statements) <= 25
    # one UPDATE per table retention clears (+ the mark; the audit chain lock), never one per case
    assert counted[0].updates == counted[1].updates <= 19  # 16 + the ladder's, the plan's and the signals' texts (issue 17)
    db.session.expire_all()
    minutes = db.session.scalar(sa.select(Meeting.minutes_text).join(AgendaItem).where(AgendaItem.case_id == large[0]))
    assert "— discussed" in minutes and "kept" in minutes  # the heading and other text stay
    audited = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.anonymise")
                                 .order_by(AuditEvent.id)).all()
    assert [(e.team_id, e.details["cases"]) for e in audited] == [(aw.team.id, small), (aw.team.id, large)]


def test_a_second_run_changes_nothing(aw, full_case):
    cases = [full_case(NOW - timedelta(days=3 * 366)) for _ in range(3)]
    assert case_privacy.anonymise_expired(NOW, batch_size=2) == "3 case(s) anonymised"
    db.session.expire_all()
    assert all(c.anonymised_at == NOW for c in cases)
    versions = [(c.version, c.updated_at) for c in cases]
    audit_rows = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))

    with UpdateCounter() as counter:
        assert case_privacy.anonymise_expired(NOW + timedelta(days=1)) == "0 case(s) anonymised"
    assert counter.updates == 0 and len(counter.statements) <= 3  # retention years, what is due
    db.session.expire_all()
    assert [(c.version, c.updated_at) for c in cases] == versions
    assert all(c.anonymised_at == NOW for c in cases)  # not marked again
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == audit_rows
    assert "0 case(s) due" in case_privacy.anonymise_expired(NOW, dry_run=True)


def test_cases_not_yet_due_are_untouched(aw, full_case, create_case):
    aw.other_team.retention_years = 5
    db.session.commit()
    due = full_case(NOW - timedelta(days=2 * 366))
    recent = full_case(NOW - timedelta(days=364))  # the team keeps two years
    longer = full_case(NOW - timedelta(days=3 * 366), team=aw.other_team)  # that team keeps five
    still_open = create_case("accepted", household_pseudonym=f"{TEXT}-open")
    db.session.execute(sa.update(Case).where(Case.id == still_open.id)  # untouched for years, but not final
                       .values(updated_at=NOW - timedelta(days=4 * 366)))
    db.session.commit()
    kept = [recent.id, longer.id]
    before = _texts_of(kept)

    assert case_privacy.anonymise_expired(NOW) == "1 case(s) anonymised"
    db.session.expire_all()
    assert TEXT not in _texts_of([due.id]) and due.anonymised_at == NOW
    assert _texts_of(kept) == before and len(re.findall(TEXT, before)) == 32
    assert still_open.household_pseudonym == f"{TEXT}-open"
    assert recent.anonymised_at is longer.anonymised_at is still_open.anonymised_at is None
    # the issued advice keeps its hash, and its actions their follow-through
    advice = db.session.scalars(sa.select(Advice).where(Advice.case_id == due.id)).one()
    assert advice.content_hash and advice.advice_text == ""
    assert db.session.scalar(sa.select(Action.description).where(Action.advice_id == advice.id)) == ""


def test_each_batch_is_committed_so_a_stop_loses_nothing(aw, full_case, monkeypatch):
    cases = [full_case(NOW - timedelta(days=3 * 366)) for _ in range(5)]
    real = case_privacy.anonymise_cases
    calls = []

    def stops_at_the_second_batch(case_ids, now, *args, **kw):
        calls.append(list(case_ids))
        if len(calls) == 2:
            raise RuntimeError("stopped")
        return real(case_ids, now, *args, **kw)

    monkeypatch.setattr(case_privacy, "anonymise_cases", stops_at_the_second_batch)
    with pytest.raises(RuntimeError):
        case_privacy.anonymise_expired(NOW, batch_size=2)
    db.session.rollback()
    done = set(db.session.scalars(sa.select(Case.id).where(Case.anonymised_at.is_not(None))))
    assert done == set(calls[0]) == {cases[0].id, cases[1].id}

    monkeypatch.setattr(case_privacy, "anonymise_cases", real)
    assert case_privacy.anonymise_expired(NOW, batch_size=2) == "3 case(s) anonymised"  # goes on with the rest
    assert TEXT not in _texts_of([c.id for c in cases])


def test_one_case_goes_through_the_same_path(aw, full_case):
    case = full_case(NOW - timedelta(days=30))  # not due: an erasure does not wait
    assert case_privacy.anonymise_cases([case.id], NOW, reason="erasure") == 1
    db.session.commit()
    assert TEXT not in _texts_of([case.id])
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.anonymise")).one()
    assert event.details["cases"] == [case.id] and event.details["reason"] == "erasure"
    assert "case.blockage" in event.details["fields"] and "advice.action.description" in event.details["fields"]
    assert case_privacy.anonymise_cases([case.id], NOW) == 0  # already anonymised: not marked or audited again


def test_what_is_due_can_use_the_partial_index(aw, full_case):
    full_case(NOW - timedelta(days=3 * 366))
    stmt = case_privacy.due_query(NOW)
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            compiled = stmt.compile(conn, compile_kwargs={"render_postcompile": True})
            params = {k: v.astimezone(timezone.utc).replace(tzinfo=None) if isinstance(v, datetime) else v
                      for k, v in compiled.params.items()}  # as the UTC column type binds them
            conn.exec_driver_sql("SET enable_seqscan = off")  # tiny tables: show the index is usable
            # On tiny tables the planner may as well take any other index of the cases; hide them
            # in this transaction (rolled back) so the plan shows whether the partial index serves.
            others = conn.exec_driver_sql(
                "SELECT i.relname, c.conname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid "
                "WHERE x.indrelid = 'cases'::regclass AND NOT x.indisprimary "
                "AND i.relname <> 'ix_cases_retention_due'").all()
            for index, constraint in others:  # a unique constraint's index goes with its constraint
                conn.exec_driver_sql(f'ALTER TABLE cases DROP CONSTRAINT "{constraint}"' if constraint
                                     else f'DROP INDEX "{index}"')
            plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", params))
            conn.rollback()
        else:
            compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})
            plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "ix_cases_retention_due" in plan, plan
