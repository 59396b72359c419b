"""Free text never enters the append-only audit trail, and retention clears it everywhere.

Sentinel text is written through every step that takes free text, by every package, through the
real services: intake (return question, intake note, decline and withdrawal reasons), the
blockage map, the hard cases, the meeting (item notes, and so the minutes; a cancellation), the
advice (its texts, actions, a correction, a refusal, the team's decision, a report of work done,
closing, the evaluation and the team's review of it) and the team's catalogues. Then:

- no audit row holds any of it (audit rows hold ids and enumerated values only);
- after the retention period the case's text is nowhere in the database, in any table.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from advice.closure.services import close_case, record_evaluation, record_evaluation_review
from advice.drafting.catalogue import add_intervention, add_legal_reference
from advice.drafting.issuing import correct_advice, issue_advice
from advice.drafting.services import add_action, draft_advice, update_draft
from advice.drafting.ties import tie_needs
from advice.follow_through.services import complete_action, record_team_decision, refuse_action
from advice.lifecycle import current_advice
from casefiles import privacy as case_privacy
from casefiles import services as case_services
from casefiles.blockage import services as blockage
from casefiles.holds import services as holds
from casefiles.models import InclusionCriterion
from core.audit import AuditEvent
from core.clock import utcnow
from core.db import db
from core.models import Domain
from core.privacy import ANONYMISED
from meeting.agenda import add_item, publish_agenda
from meeting.models import Meeting
from meeting.schedule import add_extra_meeting, cancel_meeting
from meeting.session import end_session, mark_discussed, save_notes
from tests.advice.conftest import _english, aw  # noqa: F401  (fixtures of the advice)
from tests.conftest import COMPLETE_CASE

#: Case text: must leave no trace in the audit trail, and none at all after retention.
CASE = "ZQXCASE"
#: Team text (a cancelled meeting, the catalogues, the checklist): never in the audit trail.
TEAM = "ZQXTEAM"


def _audit_text() -> str:
    rows = db.session.execute(sa.select(AuditEvent.__table__)).mappings().all()
    return json.dumps([dict(r) for r in rows], default=str, ensure_ascii=False)


def _database_text() -> str:
    """Every value of every row of every table, as one string."""
    out = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).all():
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def _criteria(team) -> list[int]:
    return list(db.session.scalars(sa.select(InclusionCriterion.id).where(
        InclusionCriterion.team_id == team.id, InclusionCriterion.active.is_(True))))


@pytest.fixture
def written(aw, create_case):
    """One case through every step that takes free text, two that end early, and team text."""
    w, now = aw, utcnow()
    fields = {k: f"{CASE}-{k}" if isinstance(v, str) and k not in ("consent_method", "legal_ground") else v
              for k, v in COMPLETE_CASE.items()}
    fields["proposed_invitees"] = f"{CASE}-invitees"
    fields["consent_note"] = f"{CASE}-consent"
    case = case_services.create_case(w.team, w.owner, domains=[Domain.HOUSING, Domain.DEBT], **fields)
    case_services.submit_case(case, w.owner)
    case_services.return_case(case, w.chair, message=f"{CASE}-return")
    case_services.submit_case(case, w.owner)
    case_services.accept_case(case, w.chair, criteria_met=_criteria(w.team), note=f"{CASE}-intake")

    need = blockage.add_need(case, w.owner, title=f"{CASE}-need", rule=f"{CASE}-rule")
    other = blockage.add_need(case, w.owner, title=f"{CASE}-need2")
    blockage.link_needs(need, other, w.owner, reason=f"{CASE}-waits")
    holds.put_on_hold(case, w.owner, reason="no_contact", note=f"{CASE}-hold", retry_on=date.today() + timedelta(days=7))
    [request] = holds.request_signals(case, w.owner, organisation_ids=[w.org.id], whom_to_call=f"{CASE}-call",
                                      last_contact_on=date.today())
    holds.report_seen(request, w.contact, note=f"{CASE}-seen")
    holds.resume_case(case, w.owner)
    db.session.commit()

    meeting = add_extra_meeting(w.team, w.chair, starts_at=now + timedelta(minutes=30),
                                ends_at=now + timedelta(hours=3))
    item = add_item(meeting, case, w.chair)
    publish_agenda(meeting, w.chair)
    save_notes(item, w.chair, f"{CASE}-notes", item.notes_version)
    mark_discussed(item, w.chair)
    end_session(meeting, w.chair)  # compiles the minutes, with the notes
    db.session.commit()

    advice = draft_advice(case, w.secretary)
    update_draft(advice, w.secretary, expected_version=advice.lock_version, situation=f"{CASE}-situation",
                 blockage=f"{CASE}-blockage", advice_text=f"{CASE}-advice", legal_free_text=f"{CASE}-legal")
    deadline = date.today() + timedelta(days=14)
    add_action(advice, w.secretary, organisation_id=w.org.id, description=f"{CASE}-action", deadline=deadline)
    add_action(advice, w.secretary, organisation_id=w.org2.id, description=f"{CASE}-action2", deadline=deadline)
    tie_needs(advice, w.secretary, need_ids=[need.id], action_needs={})
    issue_advice(advice, w.chair)
    db.session.commit()
    correction = correct_advice(advice, w.chair, reason=f"{CASE}-correction")
    issue_advice(correction, w.chair)
    db.session.commit()
    first, second = sorted(current_advice(case).actions, key=lambda a: a.organisation_id)
    refuse_action(first, w.contact, expected_version=first.version, reason=f"{CASE}-refused")
    db.session.commit()
    record_team_decision(first, w.chair, decision="extend", note=f"{CASE}-decision",
                         new_deadline=date.today() + timedelta(days=21))
    db.session.commit()
    complete_action(first, w.contact, expected_version=first.version, note=f"{CASE}-done", done_on=date.today())
    complete_action(second, w.contact2, expected_version=second.version, note=f"{CASE}-done2", done_on=date.today())
    db.session.commit()
    closure = close_case(case, w.owner, outcome="reached", note=f"{CASE}-closure")
    db.session.commit()
    record_evaluation(case, w.owner, result="held", note=f"{CASE}-evaluation")
    record_evaluation_review(closure, w.chair, note=f"{CASE}-review")
    db.session.commit()

    declined = create_case("submitted", household_pseudonym=f"{CASE}-declined")
    case_services.decline_case(declined, w.chair, reason=f"{CASE}-decline")
    withdrawn = create_case("accepted", household_pseudonym=f"{CASE}-withdrawn")
    case_services.withdraw_case(withdrawn, w.owner, reason=f"{CASE}-withdraw")
    db.session.commit()

    cancelled = add_extra_meeting(w.team, w.chair, starts_at=now + timedelta(days=3),
                                  ends_at=now + timedelta(days=3, hours=2))
    cancel_meeting(cancelled, w.chair, reason=f"{TEAM}-cancel")
    case_services.add_criterion(w.team, f"{TEAM}-criterion", w.chair)
    add_legal_reference(w.team, w.chair, law=f"{TEAM}-law", article=f"{TEAM}-article", note=f"{TEAM}-note")
    add_intervention(w.team, w.chair, name=f"{TEAM}-intervention", unit_cost="100", unit="once")
    db.session.commit()
    return [case, declined, withdrawn]


def test_free_text_is_never_in_an_audit_row(written):
    database = _database_text()
    for step in ("return", "intake", "need", "rule", "waits", "hold", "call", "seen", "notes", "situation",
                 "advice", "action", "correction", "refused", "decision", "done", "closure", "evaluation", "review",
                 "decline", "withdraw"):
        assert f"{CASE}-{step}" in database, step  # the step really kept its text (in its own row)
    assert f"{TEAM}-cancel" in database and f"{TEAM}-criterion" in database and f"{TEAM}-law" in database
    audit = _audit_text()
    assert len(audit) > 10_000  # the steps were audited
    assert CASE not in audit and TEAM not in audit


def test_retention_clears_the_case_text_everywhere(written):
    ended = max(c.closed_at or c.updated_at for c in written)
    later = ended + timedelta(days=3 * 366)
    assert case_privacy.anonymise_expired(later) == "3 case(s) anonymised"
    database = _database_text()
    assert CASE not in database
    assert f"{TEAM}-criterion" in database  # the team's own text stays: it is no case's
    minutes = db.session.scalar(sa.select(Meeting.minutes_text).where(Meeting.minutes_text != ""))
    assert f"{written[0].reference} —" in minutes and ANONYMISED in minutes  # the item stays, its text goes
    assert case_privacy.anonymise_expired(later) == "0 case(s) anonymised"  # nothing left to clear
