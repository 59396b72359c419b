"""The demo loads through the real services, and a second run adds nothing."""
from datetime import date

import sqlalchemy as sa

from casefiles.models import Case, CaseStatus
from core.audit import AuditEvent
from core.clock import utcnow
from core.db import db
from core.jobs import registered
from core.models import Commitment, Membership, Role, User
from expertteam.demo import DEMO_PASSWORD, seed
from expertteam.demo.financing import PILOT
from notifications.models import Notification
from tests.expertteam.demo_ladder_checks import STATUSES as LADDER_STATUSES
from tests.expertteam.demo_ladder_checks import check_ladder_demo


def _counts():
    return {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (User, Membership, Commitment, Case, AuditEvent, Notification)}


def test_demo_is_complete_and_idempotent(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "loaded" in result.output
    first = _counts()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "nothing added" in result.output
    assert _counts() == first
    # Its history lies in the past: seed-demo sealed the first checkpoint, so the nightly check holds.
    assert "audit chain intact" in registered(app)["audit.verify"].func(utcnow())

    roles = db.session.execute(sa.select(Membership.role, sa.func.count()).group_by(Membership.role)).all()
    assert dict(roles) == {Role.CHAIR: 1, Role.SECRETARY: 1, Role.EXPERT: 8, Role.ORG_CONTACT: 8, Role.CASE_OWNER: 3,
                           Role.MUNICIPALITY: 1}
    assert first["Commitment"] == 8
    statuses = {c.household_pseudonym: c.status for c in db.session.scalars(sa.select(Case))}
    assert statuses == {
        "Gezin Amber": CaseStatus.ADVISED,
        "Gezin Bos": CaseStatus.IN_EXECUTION,
        "Gezin Cedar": CaseStatus.SCHEDULED,
        "Gezin Dijk": CaseStatus.ACCEPTED,
        "Dhr. Eik": CaseStatus.RETURNED,
        "Gezin Fransen": CaseStatus.CLOSED,
        "Gezin Gerritsen": CaseStatus.SUBMITTED,
        "Gezin Peeters": CaseStatus.CLOSED, "Gezin Linde": CaseStatus.DRAFT,  # expertteam/demo/plan.py
        **{pseudonym: CaseStatus.CLOSED for pseudonym, *_rest in PILOT},  # expertteam/demo/financing.py
        **LADDER_STATUSES,  # expertteam/demo/ladder.py
    }
    # The advice is issued and locked; the evaluation of the closed case is due.
    from advice.closure.models import CaseClosure
    from advice.models import Advice, AdviceStatus

    issued = db.session.scalars(sa.select(Advice).where(Advice.status == AdviceStatus.ISSUED)).all()
    assert len(issued) == 4 + len(PILOT) + 2 and all(len(a.content_hash) == 64 for a in issued)  # + the ladder's two
    closure = db.session.scalar(sa.select(CaseClosure).join(Case, Case.id == CaseClosure.case_id)
                                .where(Case.household_pseudonym == "Gezin Fransen"))
    assert closure.outcome.value == "reached" and closure.evaluation_due_on <= date.today()
    # Pay for success: one agreement, cases in every ledger state, all booked, one correction.
    from financing import statement
    from financing.models import EntryKind, FinancingAgreement, LedgerEntry

    agreement = db.session.scalar(sa.select(FinancingAgreement))
    summary = statement.summary(agreement, date.today())
    assert all(summary.cases[state.value] for state in statement.STATES) and summary.unbooked == 0, summary
    assert db.session.scalar(sa.select(sa.func.count()).where(LedgerEntry.kind == EntryKind.CORRECTION)) == 1
    # Made through the services: the trail and the notifications real use leaves.
    assert first["AuditEvent"] > 10 and first["Notification"] > 5
    chair = db.session.scalar(sa.select(User).where(User.email == "voorzitter@gooistad.example"))
    assert chair.check_password(DEMO_PASSWORD)
    from tests.expertteam.demo_plan_checks import check_plan_demo

    check_plan_demo()  # issue 17 parts 2-4 on the same seeded demo (expertteam/demo/plan.py)
    check_ladder_demo()  # issue 17 parts 1 and 5 (expertteam/demo/ladder.py)


def test_demo_accounts_sign_in_with_the_code_demo_code_prints(app, client):
    from tests.conftest import csrf_token

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    email = "voorzitter@gooistad.example"
    response = client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": email,
                                           "password": DEMO_PASSWORD})
    assert response.headers["Location"].startswith("/login/verify")  # enrolled: asks for the code
    result = runner.invoke(args=["demo-code", email])
    assert result.exit_code == 0
    code = result.stdout.strip().splitlines()[0]
    assert len(code) == 6 and code.isdigit()
    response = client.post("/login/verify", data={"csrf_token": csrf_token(client, "/login/verify"), "code": code})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_demo_code_serves_only_demo_accounts_and_never_production(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-code", world.owner.email])
    assert result.exit_code != 0 and "demo accounts" in result.output
    app.config["PRODUCTION"] = True
    result = runner.invoke(args=["demo-code", "voorzitter@gooistad.example"])
    assert result.exit_code != 0 and "production" in result.output
