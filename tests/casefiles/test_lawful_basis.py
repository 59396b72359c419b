"""A lawful basis on every case: the starting list as FIELD.md corrects it, no submission without a
ground in force for each receiving organisation (service and form), the old single choice
migrated, the list kept by the chair or secretary only."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from casefiles import lawful_basis, services
from casefiles.lawful_models import BasisStatus, LegalBasis
from casefiles.models import Case, CaseStatus
from core.db import db
from core.errors import ServiceError
from tests.conftest import COMPLETE_CASE, login, post_form


def _basis(team, key):
    lawful_basis.ensure_list(team.id)
    return db.session.scalar(sa.select(LegalBasis).where(LegalBasis.team_id == team.id, LegalBasis.key == key))


def test_starting_list_is_corrected_and_seeded_once(world):
    assert lawful_basis.ensure_list(world.team.id) == len(lawful_basis.STARTING_LIST)
    assert lawful_basis.ensure_list(world.team.id) == 0
    assert _basis(world.team, "wams").status == BasisStatus.STALLED_BILL  # a bill declared controversial, not law
    assert "2023" in _basis(world.team, "wams").allows
    assert _basis(world.team, "wgs_partnerships").status == BasisStatus.ADOPTED_NOT_IN_FORCE
    assert "plan van aanpak" in _basis(world.team, "wgs_4a").allows and "geen vroegsignalering" in _basis(world.team, "wgs_4a").allows
    assert all(b.source_url.startswith("https://") for b in lawful_basis.bases(world.team.id))


def test_no_submission_without_a_ground_in_force_for_each_recipient(world, make_org):
    second = make_org("Schuldhulp Gooistad", team=world.team)
    fields = {k: v for k, v in COMPLETE_CASE.items() if k != "legal_ground"}
    case = services.create_case(world.team, world.owner, domains=["housing"], organisation_ids=[world.org.id, second.id],
                                **fields)
    assert case.referring_organisation_id == world.org.id  # the owner's organisation: needs no ground
    with pytest.raises(ServiceError, match="Schuldhulp Gooistad"):
        services.submit_case(case, world.owner)
    assert case.status == CaseStatus.DRAFT
    wams = _basis(world.team, "wams")
    services.update_case(case, world.owner, recipient_grounds={second.id: wams.id})
    with force_locale("en"), pytest.raises(ServiceError, match="in force"):
        services.submit_case(case, world.owner)
    assert case.status == CaseStatus.DRAFT
    services.update_case(case, world.owner, recipient_grounds={second.id: _basis(world.team, "wmo_5_1_1").id})
    services.submit_case(case, world.owner)
    assert case.status == CaseStatus.SUBMITTED
    assert [(g.organisation_id, g.basis.key) for g in case.recipient_grounds] == [(second.id, "wmo_5_1_1")]


def test_the_form_refuses_submission_with_a_clear_message(client, world, make_org):
    second = make_org("Schuldhulp Gooistad", team=world.team)
    login(client, world.owner2)  # no organisation of their own: the referring partner must be chosen
    url = f"/teams/{world.team.id}/cases/new"
    form = {"household_pseudonym": "Gezin Linde", "household_composition": "Vader, zoon", "domains": ["housing"],
            "tried": "x", "blockage": "y", "household_goal": "z", "question": "q", "urgency": "normal",
            "consent_date": "2026-01-05", "consent_method": "written", "organisations": [str(second.id)], "save_submit": "1"}
    response = post_form(client, url, form)
    case = db.session.scalar(sa.select(Case))
    assert case.status == CaseStatus.DRAFT and case.recipient_grounds == []
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="referring_organisation-error"' in page and "Schuldhulp Gooistad" in page
    edit = f"/cases/{case.id}/edit"
    wmo = _basis(world.team, "wmo_5_1_1")
    response = post_form(client, edit, {**form, "version": str(case.version), "referring_organisation": str(world.org.id),
                                         f"ground-{second.id}": str(wmo.id)})
    db.session.refresh(case)
    assert case.status == CaseStatus.SUBMITTED and case.referring_organisation_id == world.org.id
    detail = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Wmo 2015 art. 5.1.1 lid 1" in detail and "Woonstichting De Vaart" in detail


def test_the_old_single_choice_becomes_a_ground_per_recipient(world, make_org):
    second = make_org("Schuldhulp Gooistad", team=world.team)
    case = services.create_case(world.team, world.owner, domains=["housing"], organisation_ids=[second.id],
                                **{**COMPLETE_CASE, "legal_ground": "public_task"})
    assert [g.basis.key for g in case.recipient_grounds] == ["avg_public_task"]
    services.submit_case(case, world.owner)


def test_only_the_chair_or_secretary_keeps_the_list(client, world):
    url = f"/legal-grounds/teams/{world.team.id}"
    login(client, world.owner)
    assert client.get(url).status_code == 404
    login(client, world.secretary)
    assert "Wams" in client.get(url).get_data(as_text=True)
    wgs = _basis(world.team, "wgs_partnerships")
    post_form(client, url, {"basis_id": str(wgs.id), "statute": wgs.statute, "article": "", "allows": "In werking.",
                            "status": "in_force", "source_url": "https://example.org/wgs", "save": "1"})
    db.session.refresh(wgs)
    assert wgs.status == BasisStatus.IN_FORCE
    response = post_form(client, url, {"statute": "Wet X", "status": "law-ish", "save": "1"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LegalBasis).where(LegalBasis.statute == "Wet X")) == 0
