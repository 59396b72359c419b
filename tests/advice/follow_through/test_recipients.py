"""A legal ground for every organisation that receives a case's data, also for those that got it
after submission (through an action of the advice): the case page says which one has none, and
the owner records it on the case's legal-grounds page."""
from __future__ import annotations

import sqlalchemy as sa

from casefiles import lawful_basis
from casefiles.lawful_models import BasisStatus, CaseRecipientGround
from core.audit import AuditEvent
from core.db import db
from tests.conftest import login, post_form


def test_a_later_recipient_gets_its_ground_recorded(client, aw, issued):
    advice = issued()
    case = advice.case
    aw.owner.locale = "en"
    db.session.commit()
    login(client, aw.owner)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "No legal ground in force is recorded for" in page and aw.org2.name in page
    url = f"/advice/cases/{case.id}/legal-grounds"
    assert f'href="{url}"' in page
    grounds_page = client.get(url).get_data(as_text=True)
    assert aw.org2.name in grounds_page and "Action of the advice" in grounds_page
    assert aw.org.name not in grounds_page.split("<tbody>")[1]  # the referring partner: the controller
    bases = lawful_basis.bases(case.team_id)
    in_force = next(b for b in bases if b.status == BasisStatus.IN_FORCE)
    stalled = next(b for b in bases if b.status == BasisStatus.STALLED_BILL)
    # A tampered choice changes nothing.
    assert post_form(client, url, {f"ground-{aw.org2.id}": "999999"}).status_code == 400
    assert db.session.get(CaseRecipientGround, (case.id, aw.org2.id)) is None
    # A stalled bill is recorded but does not count: the notice stays.
    assert post_form(client, url, {f"ground-{aw.org2.id}": str(stalled.id)}).status_code == 302
    assert "No legal ground in force is recorded for" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert post_form(client, url, {f"ground-{aw.org2.id}": str(in_force.id)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseRecipientGround, (case.id, aw.org2.id)).legal_basis_id == in_force.id
    assert "No legal ground in force is recorded for" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    details = db.session.scalars(sa.select(AuditEvent.details).where(AuditEvent.action == "case.grounds")
                                 .order_by(AuditEvent.id.desc())).first()
    assert details["grounds"][str(aw.org2.id)] == in_force.id


def test_only_the_owner_chair_and_secretary_record_grounds(client, aw, issued):
    case = issued().case
    url = f"/advice/cases/{case.id}/legal-grounds"
    for user, allowed in ((aw.chair, True), (aw.secretary, True), (aw.expert, False), (aw.contact, False),
                          (aw.other_chair, False)):
        login(client, user)
        assert (client.get(url).status_code == 200) is allowed, user.name
    login(client, aw.expert)
    assert "No legal ground in force" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
