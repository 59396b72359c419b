"""A Hypothesis state machine over case, advice and action transitions through the real
services (meeting: schedule, discuss, postpone; advice: draft, write, add an action, issue,
correct, confirm, complete, refuse, the team's decision; the owner closes), each step tried by
the right person or by anyone else. After every step it asserts (issue 6):

* an issued advice never changes: its stored content hash equals the hash recomputed from what
  is in the database, and its fields, grounds, costs and actions are what they were at issuing;
* only a contact of the action's organisation, in the case's team, confirms, completes or
  refuses it: everyone else gets PermissionDenied and nothing changes;
* no step is skipped: the case moves only along ``casefiles.services.TRANSITIONS`` and an action
  only along ``advice.lifecycle.ACTION_TRANSITIONS`` (checked on the audit trail, which must agree
  with the rows), and a refused step changes nothing at all.

Fast on purpose (about 10 s on SQLite): few examples, short runs, and ``start`` lets an example
begin at a later stage reached through the same services by the right people.
"""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from advice.closure.services import close_case
from advice.drafting import services as advice_drafting
from advice.drafting.issuing import compute_hash, correct_advice, issue_advice, verify_hash
from advice.drafting.services import draft_advice, update_draft
from advice.follow_through.services import complete_action, confirm_action, record_team_decision, refuse_action
from advice.lifecycle import ACTION_TRANSITIONS, current_advice, draft_of
from advice.models import Action, ActionStatus, Advice, AdviceStatus
from casefiles import services as case_services
from casefiles.models import Case, CaseStatus, InclusionCriterion
from core.audit import AuditEvent
from core.clock import team_today, utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Domain
from meeting.agenda import add_item, publish_agenda
from meeting.models import AgendaItem, Meeting, MeetingKind
from meeting.session import mark_discussed, postpone_item
from tests.advice.conftest import _english, aw  # noqa: F401  (fixtures)
from tests.conftest import COMPLETE_CASE

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import (  # noqa: E402
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

#: Everyone who might try a step. "RIGHT" stands for the person the step is meant for (the
#: chair for issuing, a contact of the action's organisation for confirming, ...), so examples
#: get deep into the lifecycle while every other person is tried too.
ACTORS = ["owner", "owner2", "chair", "secretary", "expert", "contact", "contact1b", "contact2",
          "other_team_contact", "admin", "other_chair", "other_owner"]
WHO = st.sampled_from(ACTORS + ["RIGHT"] * 12)  # half the time the right person
FINAL = {CaseStatus.CLOSED, CaseStatus.WITHDRAWN, CaseStatus.DECLINED}


def _columns(obj, skip=()) -> dict:
    return {a.key: getattr(obj, a.key) for a in sa.inspect(obj).mapper.column_attrs if a.key not in skip}


def _advice_snapshot(advice: Advice) -> dict:
    """Everything an issued version says (the follow-through of its actions may change)."""
    return {
        "advice": _columns(advice, skip={"status", "superseded_at"}),
        "grounds": sorted((g.law, g.article, g.note, g.url) for g in advice.legal_grounds),
        "costs": sorted((c.side.value, c.name, c.unit_cost_cents, c.quantity_hundredths) for c in advice.cost_lines),
        "actions": sorted(tuple(getattr(a, f) for f in ("id",) + Action.CONTENT_FIELDS) for a in advice.actions),
    }


def _machine(w):
    lead = {w.team.id: w.chair}
    criteria = db.session.scalars(sa.select(InclusionCriterion.id).where(InclusionCriterion.team_id == w.team.id)).all()
    #: Who may act on an action, worked out here from the fixture (not from advice.permissions).
    contacts = {w.org.id: {w.contact.id, w.contact1b.id}, w.org2.id: {w.contact2.id}}
    orgs = [w.org, w.org2]
    minutes = itertools.count(1)

    def new_meeting(team) -> Meeting:
        # Started a little while ago (so items can be decided now); a distinct slot each time.
        start = (utcnow() - timedelta(minutes=next(minutes))).replace(microsecond=0)
        meeting = Meeting(team=team, kind=MeetingKind.EXTRA, starts_at=start, ends_at=start + timedelta(hours=3),
                          slot_at=start, cutoff_at=start - timedelta(days=4), location="Stadhuis")
        db.session.add(meeting)
        db.session.flush()
        return meeting

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.world = w
            self.case = case_services.create_case(w.team, w.owner, domains=[Domain.HOUSING, Domain.DEBT], **COMPLETE_CASE)
            case_services.submit_case(self.case, w.owner)
            case_services.accept_case(self.case, lead[w.team.id], criteria_met=criteria)
            db.session.commit()
            self.first_status: dict[int, ActionStatus] = {}
            self.issued: dict[int, dict] = {}
            self.refusals = 0

        # --- helpers --------------------------------------------------------------------------

        def actor(self, who: str, right):
            return getattr(w, who) if who != "RIGHT" else right

        def advices(self) -> list[Advice]:
            return list(db.session.scalars(sa.select(Advice).where(Advice.case_id == self.case.id).order_by(Advice.version)))

        def open_item(self) -> AgendaItem | None:
            return db.session.scalar(sa.select(AgendaItem).where(AgendaItem.case_id == self.case.id,
                                                                 AgendaItem.outcome.is_(None)).order_by(AgendaItem.id.desc()))

        def snapshot(self) -> dict:
            db.session.expire_all()
            case = db.session.get(Case, self.case.id)
            out = {"case": _columns(case), "audit": db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))}
            for advice in self.advices():
                out[("advice", advice.id)] = _columns(advice)
                for action in advice.actions:
                    out[("action", action.id)] = _columns(action)
            out["items"] = sorted(tuple(_columns(i).items()) for i in db.session.scalars(
                sa.select(AgendaItem).where(AgendaItem.case_id == self.case.id)))
            return out

        def attempt(self, step: str, fn) -> ServiceError | None:
            """Run one step; a refused step must leave everything as it was."""
            before = self.snapshot()
            try:
                fn()
            except ServiceError as exc:
                db.session.rollback()
                self.refusals += 1
                assert self.snapshot() == before, f"refused step {step} changed something: {exc.message}"
                return exc
            db.session.commit()
            self.note_new()
            return None

        def note_new(self) -> None:
            """Remember what each version said when it was issued, and each action's first state."""
            for advice in self.advices():
                if advice.status == AdviceStatus.ISSUED and advice.id not in self.issued:
                    assert verify_hash(advice)
                    self.issued[advice.id] = _advice_snapshot(advice)
                for action in advice.actions:
                    if advice.status != AdviceStatus.DRAFT:
                        self.first_status.setdefault(action.id, action.status)

        # --- start later in the lifecycle (through the same services) ------------------------

        @initialize(start=st.sampled_from(["accepted", "discussed", "issued", "in_execution"]))
        def start_at(self, start):
            if start == "accepted":
                return
            self.schedule("RIGHT")
            self.discuss("RIGHT")
            if start in ("issued", "in_execution"):
                self.draft("RIGHT")
                self.write("RIGHT")
                self.add_action("RIGHT", 0)
                self.add_action("RIGHT", 1)
                self.issue("RIGHT")
                assert self.case.status == CaseStatus.ADVISED
            if start == "in_execution":
                self.act("confirm", 0, "RIGHT")
                self.act("confirm", 1, "RIGHT")
                assert self.case.status == CaseStatus.IN_EXECUTION

        # --- meeting steps --------------------------------------------------------------------

        @rule(who=WHO)
        def schedule(self, who):
            actor = self.actor(who, w.chair)

            def go():
                meeting = new_meeting(self.case.team)
                add_item(meeting, self.case, actor)
                publish_agenda(meeting, actor)

            self.attempt("schedule", go)

        @precondition(lambda m: m.open_item() is not None)
        @rule(who=WHO)
        def discuss(self, who):
            item = self.open_item()
            if item is not None:
                self.attempt("discuss", lambda: mark_discussed(item, self.actor(who, w.chair)))

        @precondition(lambda m: m.open_item() is not None)
        @rule(who=WHO)
        def postpone(self, who):
            item = self.open_item()
            if item is not None:
                self.attempt("postpone", lambda: postpone_item(item, self.actor(who, w.secretary)))

        @rule(who=st.sampled_from(ACTORS))
        def withdraw(self, who):
            self.attempt("withdraw", lambda: case_services.withdraw_case(self.case, getattr(w, who), reason="Moved away."))

        # --- the advice -----------------------------------------------------------------------

        def draft_or_none(self) -> Advice | None:
            return draft_of(self.case)

        @rule(who=WHO)
        def draft(self, who):
            self.attempt("draft", lambda: draft_advice(self.case, self.actor(who, w.secretary)))

        @precondition(lambda m: m.draft_or_none() is not None)
        @rule(who=WHO)
        def write(self, who):
            advice = self.draft_or_none()
            if advice is not None:
                self.attempt("write", lambda: update_draft(
                    advice, self.actor(who, w.secretary), expected_version=advice.lock_version,
                    situation="Eviction pending.", advice_text=f"Grant urgency now (v{advice.version})."))

        @precondition(lambda m: m.draft_or_none() is not None)
        @rule(who=WHO, org=st.integers(0, 1))
        def add_action(self, who, org):
            advice = self.draft_or_none()
            if advice is not None:
                self.attempt("add_action", lambda: advice_drafting.add_action(
                    advice, self.actor(who, w.secretary), organisation_id=orgs[org].id,
                    description=f"Do your part ({orgs[org].name}).",
                    deadline=team_today(w.team) + timedelta(days=14)))

        @precondition(lambda m: m.draft_or_none() is not None)
        @rule(who=WHO)
        def issue(self, who):
            advice = self.draft_or_none()
            if advice is not None:
                self.attempt("issue", lambda: issue_advice(advice, self.actor(who, w.chair)))

        @precondition(lambda m: current_advice(m.case) is not None)
        @rule(who=WHO)
        def correct(self, who):
            current = current_advice(self.case)
            if current is not None:
                self.attempt("correct", lambda: correct_advice(current, self.actor(who, w.chair),
                                                                               reason="A typo."))

        # --- the actions ----------------------------------------------------------------------

        def pick_action(self, index: int) -> Action | None:
            current = current_advice(self.case)
            if current is None or not current.actions:
                return None
            actions = sorted(current.actions, key=lambda a: a.id)
            return actions[index % len(actions)]

        @precondition(lambda m: m.pick_action(0) is not None)
        @rule(index=st.integers(0, 1), who=WHO)
        def confirm(self, index, who):
            self.act("confirm", index, who)

        @precondition(lambda m: m.pick_action(0) is not None)
        @rule(index=st.integers(0, 1), who=WHO)
        def complete(self, index, who):
            self.act("complete", index, who)

        @precondition(lambda m: m.pick_action(0) is not None)
        @rule(index=st.integers(0, 1), who=WHO)
        def refuse(self, index, who):
            self.act("refuse", index, who)

        def act(self, kind, index, who):
            action = self.pick_action(index)
            if action is None:
                return
            right = db.session.get(type(w.contact), min(contacts[action.organisation_id]))
            actor = self.actor(who, right)
            status_before = action.status
            call = {
                "confirm": lambda: confirm_action(action, actor, expected_version=action.version),
                "complete": lambda: complete_action(
                    action, actor, expected_version=action.version, note="Done.",
                    done_on=team_today(w.team)),
                "refuse": lambda: refuse_action(action, actor, expected_version=action.version,
                                                                reason="Not ours."),
            }[kind]
            refused = self.attempt(kind, call)
            is_contact = actor.id in contacts[action.organisation_id]
            if not is_contact:
                # Only the action's organisation: everyone else is refused as such.
                assert isinstance(refused, PermissionDenied), (kind, actor.name, refused)
            elif refused is None:
                db.session.refresh(action)
                assert (status_before, action.status) in ACTION_TRANSITIONS, (kind, status_before, action.status)

        @precondition(lambda m: m.pick_action(0) is not None)
        @rule(index=st.integers(0, 3), who=WHO, drop=st.booleans())
        def decide(self, index, who, drop):
            action = self.pick_action(index)
            if action is None:
                return
            actor = self.actor(who, w.chair)
            self.attempt("decide", lambda: record_team_decision(
                action, actor, decision="drop" if drop else "extend", note="Decided at the meeting.",
                new_deadline=None if drop else team_today(w.team) + timedelta(days=21)))

        @rule(who=WHO)
        def close(self, who):
            self.attempt("close", lambda: close_case(self.case, self.actor(who, w.owner),
                                                                     outcome="reached", note="It holds."))

        # --- invariants -----------------------------------------------------------------------

        @invariant()
        def issued_advice_never_changes(self):
            check_issued_unchanged(self)

        @invariant()
        def no_case_step_skipped(self):
            check_case_path(self)

        @invariant()
        def no_action_step_skipped(self):
            check_action_paths(self)

    return Lifecycle


def check_issued_unchanged(machine) -> None:
    db.session.expire_all()
    for advice_id, snapshot in machine.issued.items():
        advice = db.session.get(Advice, advice_id)
        assert advice.status in (AdviceStatus.ISSUED, AdviceStatus.SUPERSEDED)
        assert advice.content_hash == compute_hash(advice), f"advice {advice_id}: hash no longer matches"
        assert _advice_snapshot(advice) == snapshot, f"issued advice {advice_id} changed"
    in_force = db.session.scalar(sa.select(sa.func.count(Advice.id)).where(
        Advice.case_id == machine.case.id, Advice.status == AdviceStatus.ISSUED))
    assert in_force <= 1


def check_all(machine) -> None:
    check_issued_unchanged(machine)
    check_case_path(machine)
    check_action_paths(machine)


def check_case_path(machine) -> None:
    """The case's transitions on the audit trail form one unbroken path along TRANSITIONS that
    ends where the case is."""
    db.session.expire_all()
    rows = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "case", AuditEvent.object_id == machine.case.id).order_by(AuditEvent.id)).all()
    at = CaseStatus.DRAFT
    for row in rows:
        if "to" not in (row.details or {}):
            continue  # not a transition (create, edit, evaluation)
        step = (CaseStatus(row.details["from"]), CaseStatus(row.details["to"]))
        assert step[0] == at, f"case jumped from {at} to {step}"
        assert step in case_services.TRANSITIONS, f"case step {step} is not in the table"
        at = step[1]
    case = db.session.get(Case, machine.case.id)
    assert case.status == at
    if at in FINAL:
        assert draft_of(case) is None or at == CaseStatus.WITHDRAWN


def check_action_paths(machine) -> None:
    db.session.expire_all()
    for action_id, first in machine.first_status.items():
        action = db.session.get(Action, action_id)
        rows = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.object_type == "action", AuditEvent.object_id == action_id).order_by(AuditEvent.id)).all()
        at = first
        for row in rows:
            if "to" not in (row.details or {}):
                continue  # escalation, decision notes
            step = (ActionStatus(row.details["from"]), ActionStatus(row.details["to"]))
            assert step[0] == at, f"action {action_id} jumped from {at} to {step}"
            assert step in ACTION_TRANSITIONS, f"action step {step} is not in the table"
            at = step[1]
        assert action.status == at, f"action {action_id} is {action.status} but its trail ends at {at}"


SETTINGS = settings(max_examples=25, stateful_step_count=25, deadline=None,
                    suppress_health_check=list(HealthCheck), database=None, phases=[Phase.generate])


def test_case_advice_and_action_lifecycle_state_machine(app, aw):
    machine = _machine(aw)
    run_state_machine_as_test(machine, settings=SETTINGS)


# --- the checks are not vacuous ---------------------------------------------------------------

def _issued_machine(aw):
    machine = _machine(aw)()
    machine.start_at("issued")
    check_all(machine)
    db.session.commit()  # no open read transaction while the test writes behind the session
    return machine


def test_invariants_catch_a_changed_issued_advice(app, aw):
    """Bypass the services and the guard with plain SQL: the invariant must notice."""
    machine = _issued_machine(aw)
    advice_id = next(iter(machine.issued))
    with db.engine.begin() as conn:
        conn.execute(sa.update(Advice.__table__).where(Advice.__table__.c.id == advice_id)
                     .values(advice_text="Something else"))
    with pytest.raises(AssertionError, match="hash no longer matches"):
        check_issued_unchanged(machine)


def test_invariants_catch_a_skipped_step(app, aw):
    machine = _issued_machine(aw)
    action = machine.pick_action(0)
    with db.engine.begin() as conn:  # open -> done without an audit row: a skipped step
        conn.execute(sa.update(Action.__table__).where(Action.__table__.c.id == action.id).values(status="done"))
        conn.execute(sa.update(Case.__table__).where(Case.__table__.c.id == machine.case.id).values(status="closed"))
    with pytest.raises(AssertionError):
        check_action_paths(machine)
    with pytest.raises(AssertionError):
        check_case_path(machine)


def test_machine_reaches_the_end_of_the_lifecycle(app, aw):
    """The right people, in order, take a case from accepted to closed through the same steps
    (so the machine's steps can reach every state they guard)."""
    machine = _machine(aw)()
    machine.start_at("issued")
    for index in range(2):
        machine.act("confirm", index, "RIGHT")
        machine.act("complete", index, "RIGHT")
    assert machine.case.status == CaseStatus.COMPLETED
    machine.act("confirm", 0, "contact2")  # a settled action: refused, nothing changes
    machine.close("other_owner")
    assert machine.case.status == CaseStatus.COMPLETED
    machine.close("RIGHT")
    db.session.refresh(machine.case)
    assert machine.case.status == CaseStatus.CLOSED
    check_all(machine)
