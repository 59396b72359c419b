"""The demo loads through the real services, and a second run adds nothing."""
import sqlalchemy as sa

from casefiles.models import Case, CaseStatus
from expertteam.demo import DEMO_PASSWORD, seed
from expertteam.extensions import db
from expertteam.models import AuditEvent, Commitment, Membership, Role, User
from notifications.models import Notification


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

    roles = db.session.execute(sa.select(Membership.role, sa.func.count()).group_by(Membership.role)).all()
    assert dict(roles) == {Role.CHAIR: 1, Role.SECRETARY: 1, Role.EXPERT: 8, Role.ORG_CONTACT: 8, Role.CASE_OWNER: 3}
    assert first["Commitment"] == 8
    statuses = {c.household_pseudonym: c.status for c in db.session.scalars(sa.select(Case))}
    assert statuses["Gezin Cedar"] == CaseStatus.ACCEPTED
    assert statuses["Dhr. Eik"] == CaseStatus.RETURNED
    assert len(set(statuses.values())) >= 4
    # Made through the services: the trail and the notifications real use leaves.
    assert first["AuditEvent"] > 10 and first["Notification"] > 5
    chair = db.session.scalar(sa.select(User).where(User.email == "voorzitter@gooistad.example"))
    assert chair.check_password(DEMO_PASSWORD)
