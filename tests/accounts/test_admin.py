"""Administration: teams, people, roles, organisations and commitments, through the browser and
through the services; non-admins are kept out; deactivation ends sessions and keeps history."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from accounts.services import (
    add_membership,
    create_user,
    deactivate_user,
    end_membership,
    reactivate_user,
    update_user,
)
from accounts.teams import (
    create_organisation,
    create_team,
    end_commitment,
    set_commitment,
    update_organisation,
    update_team,
)
from core.audit import AuditEvent
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Commitment, Domain, Membership, Organisation, Role, Team, User
from tests.conftest import PASSWORD, csrf_token, login, post_form

NEW_PASSWORD = "a long enough new password"


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def audit_actions(**where) -> list[str]:
    query = sa.select(AuditEvent.action).order_by(AuditEvent.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return list(db.session.scalars(query))


def text(response) -> str:
    return response.get_data(as_text=True)


def team_form(**overrides) -> dict:
    data = {
        "name": "Expertteam Noordstad",
        "municipality": "Noordstad",
        "code": "nrd",
        "domains": ["ggz", "housing", "debt"],
        "meeting_weekday": "1",
        "meeting_start": "09:00",
        "meeting_end": "12:00",
        "location": "Stadhuis, zaal 2",
        "capacity": "4",
        "quorum": "3",
    }
    data.update(overrides)
    return data


@pytest.fixture
def admin_client(client, world):
    """The administrator, signed in with the English interface (messages are checked in English)."""
    world.admin.locale = "en"
    db.session.commit()
    login(client, world.admin)
    return client


@pytest.fixture
def english():
    with force_locale("en"):
        yield


# --- teams ------------------------------------------------------------------------------------

def test_admin_creates_a_team_with_domains_and_meeting_defaults(admin_client, world):
    page = admin_client.get("/admin/teams/new")
    assert page.status_code == 200
    assert 'value="09:00"' in text(page)  # the model's defaults prefill the form

    response = post_form(admin_client, "/admin/teams/new", team_form())
    assert response.status_code == 302
    team = db.session.scalar(sa.select(Team).where(Team.name == "Expertteam Noordstad"))
    assert team is not None
    assert team.code == "NRD"  # upper-cased
    assert set(team.domain_values) == {Domain.GGZ, Domain.HOUSING, Domain.DEBT}
    assert (team.meeting_weekday, team.capacity, team.quorum, team.location) == (1, 4, 3, "Stadhuis, zaal 2")
    assert response.headers["Location"] == f"/admin/teams/{team.id}"
    assert audit_actions(object_type="team") == ["team.create"]

    listing = admin_client.get("/admin/teams")
    assert "Expertteam Noordstad" in text(listing)


def test_team_name_and_code_must_be_unique(admin_client, world):
    response = post_form(admin_client, "/admin/teams/new", team_form(code="GOO"))
    assert response.status_code == 200
    assert "already used by another team" in text(response)
    response = post_form(admin_client, "/admin/teams/new", team_form(name=world.team.name.upper(), code="NEW"))
    assert "There is already a team called" in text(response)
    assert count(Team) == 2
    assert audit_actions(object_type="team") == []


def test_team_edit_changes_defaults_and_keeps_domains_of_active_experts(admin_client, world):
    url = f"/admin/teams/{world.team.id}"
    page = admin_client.get(url)
    assert "Expert Housing" in text(page)  # the team's members with their roles
    assert "Woonstichting De Vaart" in text(page)  # and its committed organisations

    # World's expert covers housing: that domain cannot be dropped while they are active.
    response = post_form(admin_client, url, team_form(name=world.team.name, code="GOO", domains=["ggz"]))
    assert response.status_code == 200
    assert "still have active experts" in text(response)
    db.session.expire_all()
    assert Domain.HOUSING in world.team.domain_values

    response = post_form(admin_client, url, team_form(name=world.team.name, code="GOO", domains=["ggz", "housing"],
                                                      meeting_weekday="3", meeting_start="13:30", meeting_end="16:00",
                                                      capacity="6"))
    assert response.status_code == 302
    db.session.expire_all()
    assert set(world.team.domain_values) == {Domain.GGZ, Domain.HOUSING}
    assert (world.team.meeting_weekday, world.team.capacity, world.team.meeting_start.hour) == (3, 6, 13)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "team.update"))
    assert {"domains", "meeting_weekday", "capacity"} <= set(event.details["fields"])


def test_team_form_refuses_end_before_start_and_tampered_domain(admin_client, world):
    response = post_form(admin_client, "/admin/teams/new", team_form(meeting_start="12:00", meeting_end="09:00"))
    assert "The end time must be after the start time." in text(response)
    response = post_form(admin_client, "/admin/teams/new", team_form(domains=["ggz", "astrology"]))
    assert response.status_code == 200
    assert "not a valid choice" in text(response).lower()
    response = post_form(admin_client, "/admin/teams/new", team_form(meeting_weekday="9"))
    assert "not a valid choice" in text(response).lower()
    assert count(Team) == 2


# --- people -----------------------------------------------------------------------------------

def test_admin_creates_a_user_and_gives_roles(admin_client, world):
    response = post_form(admin_client, "/admin/users/new", {
        "name": "  Nieuwe Expert ", "email": "Nieuw.Expert@Example.TEST", "password": NEW_PASSWORD, "locale": "en",
    })
    assert response.status_code == 302, text(response)
    user = db.session.scalar(sa.select(User).where(User.name == "Nieuwe Expert"))
    assert user.email == "nieuw.expert@example.test"
    assert user.password_hash != NEW_PASSWORD and user.check_password(NEW_PASSWORD)
    assert user.locale == "en" and not user.is_admin and user.active

    url = f"/admin/users/{user.id}/memberships"
    response = post_form(admin_client, url, {"team_id": world.team.id, "role": "expert", "domain": "debt"},
                         token_from=f"/admin/users/{user.id}")
    assert response.status_code == 302, text(response)
    response = post_form(admin_client, url, {"team_id": world.team.id, "role": "org_contact", "organisation_id": world.org.id},
                         token_from=f"/admin/users/{user.id}")
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    assert user.roles_in(world.team.id) == {Role.EXPERT, Role.ORG_CONTACT}
    expert = next(m for m in user.memberships if m.role == Role.EXPERT)
    assert expert.domain == Domain.DEBT and expert.organisation_id is None
    assert user.organisation_ids(world.team.id) == {world.org.id}
    assert audit_actions(actor_id=world.admin.id)[-3:] == ["user.create", "membership.add", "membership.add"]

    # The new person can sign in with the password the administrator set.
    other = admin_client.application.test_client()
    assert post_form(other, "/login", {"email": "NIEUW.expert@example.test", "password": NEW_PASSWORD}).status_code == 302

    page = admin_client.get(f"/admin/users/{user.id}")
    assert "Debt assistance" in text(page) and "Woonstichting De Vaart" in text(page)


def test_new_user_needs_a_long_enough_password(admin_client, world):
    response = post_form(admin_client, "/admin/users/new", {"name": "X", "email": "x@example.test", "password": ""})
    assert response.status_code == 200
    assert "This field is required." in text(response)
    response = post_form(admin_client, "/admin/users/new", {"name": "X", "email": "x@example.test", "password": "short"})
    assert "Use at least 12 characters." in text(response)
    assert count(User, User.email == "x@example.test") == 0


def test_duplicate_email_is_refused_on_create_and_update(admin_client, world):
    before = count(User)
    response = post_form(admin_client, "/admin/users/new", {
        "name": "Copy", "email": world.owner.email.upper(), "password": NEW_PASSWORD, "locale": "nl",
    })
    assert response.status_code == 200
    assert "Another account already uses the e-mail address" in text(response)
    assert count(User) == before

    url = f"/admin/users/{world.chair.id}"
    response = post_form(admin_client, url, {"name": "Chair", "email": world.owner.email, "locale": "nl"})
    assert response.status_code == 200
    assert "Another account already uses the e-mail address" in text(response)
    db.session.expire_all()
    assert world.chair.email != world.owner.email
    assert "user.create" not in audit_actions() and "user.update" not in audit_actions()


def test_user_update_keeps_password_when_empty_and_a_new_one_ends_sessions(admin_client, world, app):
    user_client = app.test_client()
    login(user_client, world.owner)
    url = f"/admin/users/{world.owner.id}"
    old_hash = world.owner.password_hash

    response = post_form(admin_client, url, {"name": "Owner Renamed", "email": world.owner.email, "locale": "en"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (world.owner.name, world.owner.locale, world.owner.password_hash) == ("Owner Renamed", "en", old_hash)
    assert user_client.get("/").status_code == 200  # no password change: the session goes on

    response = post_form(admin_client, url, {"name": "Owner Renamed", "email": world.owner.email, "locale": "en",
                                             "password": NEW_PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert world.owner.check_password(NEW_PASSWORD)
    assert user_client.get("/").headers["Location"].startswith("/login")
    details = [e.details for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.update"))]
    assert details[-1]["fields"] == ["password"]
    assert NEW_PASSWORD not in str(details)


def test_deactivation_ends_the_users_session_and_keeps_history(admin_client, world, app, create_case):
    case = create_case("submitted", owner=world.owner)
    owner_events = count(AuditEvent, AuditEvent.actor_id == world.owner.id)
    assert owner_events >= 2

    user_client = app.test_client()
    login(user_client, world.owner)
    assert user_client.get("/").status_code == 200

    response = post_form(admin_client, f"/admin/users/{world.owner.id}/deactivate", token_from=f"/admin/users/{world.owner.id}")
    assert response.status_code == 302
    assert user_client.get("/").status_code == 302
    assert user_client.get("/").headers["Location"].startswith("/login")
    # and signing in again is refused
    assert post_form(user_client, "/login", {"email": world.owner.email, "password": PASSWORD}).status_code == 200

    db.session.expire_all()
    owner = db.session.get(User, world.owner.id)
    assert owner is not None and not owner.active
    assert all(m.active for m in owner.memberships)  # roles stay recorded
    from casefiles.models import Case

    assert db.session.get(Case, case.id).owner_id == owner.id
    assert count(AuditEvent, AuditEvent.actor_id == owner.id) >= owner_events + 1  # + the refused login
    assert audit_actions(object_type="user", object_id=owner.id)[-2:] == ["user.deactivate", "user.login"]

    response = post_form(admin_client, f"/admin/users/{owner.id}/reactivate", token_from=f"/admin/users/{owner.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert owner.active
    assert login(user_client, owner).status_code == 302


def test_admin_cannot_lock_themselves_out(admin_client, world):
    url = f"/admin/users/{world.admin.id}"
    page = admin_client.get(url)
    assert "You cannot deactivate your own account." in text(page)

    response = post_form(admin_client, f"{url}/deactivate", token_from=url, follow_redirects=True)
    assert "You cannot deactivate your own account." in text(response)
    response = post_form(admin_client, url, {"name": "Admin", "email": world.admin.email, "locale": "nl"})
    assert response.status_code == 200
    assert "You cannot remove your own administrator rights." in text(response)
    db.session.expire_all()
    assert world.admin.active and world.admin.is_admin
    assert admin_client.get("/admin/").status_code == 200
    assert "user.deactivate" not in audit_actions() and "user.update" not in audit_actions()


def test_users_list_filters_by_team_and_searches_in_a_fixed_number_of_queries(admin_client, world, make_user, count_queries):
    page = text(admin_client.get(f"/admin/users?team={world.other_team.id}"))
    assert "Other Owner" in page and "Other Chair" in page and "Owner One" not in page

    page = text(admin_client.get("/admin/users?q=CHAIR"))
    assert "Other Chair" in page and ">Chair<" in page and "Owner One" not in page
    page = text(admin_client.get(f"/admin/users?q={world.contact.email}"))
    assert "Contact" in page and "Owner One" not in page
    page = text(admin_client.get("/admin/users?q=%25"))  # a literal %, not a wildcard
    assert "No one matches." in page

    # A tampered filter value shows an error and filters on nothing.
    response = admin_client.get("/admin/users?team=abc")
    assert response.status_code == 200 and "Owner One" in text(response)

    # The test shares its session with the requests: empty the identity map before each count,
    # as on a real server, so already-loaded objects do not hide queries.
    db.session.expunge_all()
    with count_queries() as few:
        assert admin_client.get("/admin/users").status_code == 200
    for n in range(8):
        make_user("case_owner", "chair", team=world.other_team, organisation=world.org)
    db.session.expunge_all()
    with count_queries() as many:
        assert admin_client.get("/admin/users").status_code == 200
    assert many.count == few.count


# --- roles ------------------------------------------------------------------------------------

def test_tampered_select_values_are_refused_and_save_nothing(admin_client, world):
    user_url = f"/admin/users/{world.owner2.id}"
    url = f"{user_url}/memberships"
    memberships = count(Membership)
    for bad in [
        {"team_id": "99999", "role": "chair"},
        {"team_id": "abc", "role": "chair"},
        {"team_id": world.team.id, "role": "superuser"},
        {"team_id": world.team.id, "role": "expert", "domain": "astrology"},
        {"team_id": world.team.id, "role": "org_contact", "organisation_id": "99999"},
        {"team_id": world.team.id, "role": "org_contact", "organisation_id": "1 or 1=1"},
    ]:
        response = post_form(admin_client, url, bad, token_from=user_url)
        assert response.status_code == 200, bad
        body = text(response)
        assert "error-summary" in body and "field-error" in body, bad
        assert count(Membership) == memberships, bad
    assert "membership.add" not in audit_actions()

    org_url = f"/admin/organisations/{world.org.id}"
    response = post_form(admin_client, f"{org_url}/commitments",
                         {"team_id": "99999", "committed_on": "2026-01-01"}, token_from=org_url)
    assert response.status_code == 200 and "field-error" in text(response)
    assert count(Commitment) == 1


def test_role_rules_give_clear_errors(admin_client, world, make_team):
    small = make_team(name="Klein team", code="KLN", domains=[Domain.GGZ])
    user_url = f"/admin/users/{world.owner2.id}"
    url = f"{user_url}/memberships"
    cases = [
        ({"team_id": small.id, "role": "expert"}, "An expert needs a domain."),
        ({"team_id": small.id, "role": "expert", "domain": "police"}, "does not cover the domain"),
        ({"team_id": small.id, "role": "org_contact"}, "An organisation contact needs an organisation."),
        ({"team_id": small.id, "role": "chair", "domain": "ggz"}, "Only experts have a domain"),
        ({"team_id": world.team.id, "role": "case_owner"}, "already has the role"),
    ]
    before = count(Membership)
    for data, message in cases:
        response = post_form(admin_client, url, data, token_from=user_url)
        assert response.status_code == 200
        assert message in text(response), data
    assert count(Membership) == before


def test_ending_a_role_keeps_it_and_adding_it_again_resumes_it(admin_client, world):
    membership = next(m for m in world.expert.memberships if m.role == Role.EXPERT)
    user_url = f"/admin/users/{world.expert.id}"
    response = post_form(admin_client, f"/admin/memberships/{membership.id}/end", token_from=user_url)
    assert response.status_code == 302
    db.session.expire_all()
    assert not membership.active
    assert not world.expert.has_role(world.team.id, Role.EXPERT)
    assert count(Membership, Membership.id == membership.id) == 1

    response = post_form(admin_client, f"/admin/memberships/{membership.id}/end", token_from=user_url, follow_redirects=True)
    assert "This role has already ended." in text(response)

    response = post_form(admin_client, f"{user_url}/memberships",
                         {"team_id": world.team.id, "role": "expert", "domain": "ggz"}, token_from=user_url)
    assert response.status_code == 302
    db.session.expire_all()
    assert membership.active and membership.domain == Domain.GGZ
    assert count(Membership, Membership.user_id == world.expert.id) == 1
    assert audit_actions(object_type="membership") == ["membership.end", "membership.add"]


# --- organisations and commitments ------------------------------------------------------------

def test_admin_creates_an_organisation_and_sets_and_ends_a_commitment(admin_client, world):
    response = post_form(admin_client, "/admin/organisations/new", {"name": "GGZ Noord", "domains": ["ggz", "addiction"]})
    assert response.status_code == 302, text(response)
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "GGZ Noord"))
    assert set(org.domain_values) == {Domain.GGZ, Domain.ADDICTION}
    assert org.commitment_for(world.team.id) is None

    response = post_form(admin_client, "/admin/organisations/new", {"name": "ggz noord"})
    assert "There is already an organisation called" in text(response)
    assert count(Organisation, sa.func.lower(Organisation.name) == "ggz noord") == 1

    org_url = f"/admin/organisations/{org.id}"
    signed = date.today() - timedelta(days=10)
    response = post_form(admin_client, f"{org_url}/commitments",
                         {"team_id": world.team.id, "committed_on": signed.isoformat(), "note": "Convenant 2026"},
                         token_from=org_url)
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    commitment = org.commitment_for(world.team.id)
    assert commitment.committed_on == signed and commitment.note == "Convenant 2026" and commitment.is_active()

    # Setting it again corrects the one row for this team.
    corrected = signed - timedelta(days=5)
    response = post_form(admin_client, f"{org_url}/commitments",
                         {"team_id": world.team.id, "committed_on": corrected.isoformat()}, token_from=org_url)
    assert response.status_code == 302
    assert count(Commitment, Commitment.organisation_id == org.id) == 1
    db.session.expire_all()
    assert commitment.committed_on == corrected

    # A signing date in the future, or an end before signing, is refused.
    response = post_form(admin_client, f"{org_url}/commitments",
                         {"team_id": world.team.id, "committed_on": (date.today() + timedelta(days=3)).isoformat()},
                         token_from=org_url)
    assert "The signing date cannot be in the future." in text(response)
    response = post_form(admin_client, f"{org_url}/commitments",
                         {"team_id": world.team.id, "committed_on": signed.isoformat(),
                          "ended_on": (signed - timedelta(days=1)).isoformat()}, token_from=org_url)
    assert "The end date must be after the signing date." in text(response)
    db.session.expire_all()
    assert commitment.committed_on == corrected

    response = post_form(admin_client, f"/admin/commitments/{commitment.id}/end", token_from=org_url)
    assert response.status_code == 302
    db.session.expire_all()
    assert commitment.ended_on == date.today() and not commitment.is_active()
    response = post_form(admin_client, f"/admin/commitments/{commitment.id}/end", token_from=org_url, follow_redirects=True)
    assert "This commitment has already ended." in text(response)

    assert audit_actions(team_id=world.team.id, object_type="commitment") == ["commitment.set", "commitment.set", "commitment.end"]
    assert "GGZ Noord" in text(admin_client.get("/admin/organisations"))


def test_organisation_can_be_deactivated_and_then_gets_no_new_contacts(admin_client, world):
    org_url = f"/admin/organisations/{world.org.id}"
    response = post_form(admin_client, org_url, {"name": world.org.name, "domains": ["housing"]})  # 'active' unchecked
    assert response.status_code == 302
    db.session.expire_all()
    assert not world.org.active and world.org.domain_values == [Domain.HOUSING]
    user_url = f"/admin/users/{world.owner2.id}"
    response = post_form(admin_client, f"{user_url}/memberships",
                         {"team_id": world.team.id, "role": "org_contact", "organisation_id": world.org.id},
                         token_from=user_url)
    assert response.status_code == 200  # an inactive organisation is no longer a choice
    assert not world.owner2.has_role(world.team.id, Role.ORG_CONTACT)


# --- access -----------------------------------------------------------------------------------

def _admin_urls(app, world) -> list[tuple[str, str]]:
    commitment = world.org.commitment_for(world.team.id)
    ids = {
        "team_id": world.team.id,
        "user_id": world.owner.id,
        "membership_id": world.owner.memberships[0].id,
        "organisation_id": world.org.id,
        "commitment_id": commitment.id,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("admin.", "admin_teams.")):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", str(ids[arg]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


@pytest.mark.parametrize("who", ["owner", "chair", "secretary", "expert", "contact"])
def test_non_admins_get_403_on_every_admin_route(client, world, app, who):
    urls = _admin_urls(app, world)
    assert len(urls) >= 16
    login(client, getattr(world, who))
    token = csrf_token(client, "/")
    for method, path in urls:
        response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (method, path)
    db.session.expire_all()
    assert world.owner.active and world.org.commitment_for(world.team.id).ended_on is None


def test_anonymous_visitors_are_sent_to_login(client, world, app):
    for method, path in _admin_urls(app, world):
        if method == "GET":
            response = client.get(path)
            assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


def test_admin_pages_show_no_case_content(admin_client, world, create_case):
    case = create_case("submitted", owner=world.owner, household_pseudonym="Gezin Geheim")
    for path in ["/admin/", "/admin/teams", f"/admin/teams/{world.team.id}", "/admin/users",
                 f"/admin/users/{world.owner.id}", "/admin/organisations", f"/admin/organisations/{world.org.id}"]:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert "Gezin Geheim" not in text(response) and case.reference not in text(response), path


# --- services ---------------------------------------------------------------------------------

def test_every_service_checks_the_admin_and_writes_an_audit_row(world):
    admin = world.admin
    steps = []

    def run(action, fn, *args, **kw):
        before = count(AuditEvent, AuditEvent.action == action)
        result = fn(*args, **kw)
        db.session.commit()
        assert count(AuditEvent, AuditEvent.action == action, AuditEvent.actor_id == admin.id) == before + 1, action
        steps.append(action)
        return result

    fields = dict(name="T", municipality="M", code="TTT", meeting_weekday=1, meeting_start=world.team.meeting_start,
                  meeting_end=world.team.meeting_end, location="", capacity=4, quorum=3)
    team = run("team.create", create_team, admin, domains=[Domain.GGZ], **fields)
    run("team.update", update_team, team, admin, domains=[Domain.GGZ, Domain.POLICE], **{**fields, "quorum": 2})
    user = run("user.create", create_user, admin, email="S@Example.test", name="S", password=NEW_PASSWORD)
    assert user.email == "s@example.test"
    run("user.update", update_user, user, admin, email=user.email, name="S2", is_admin=False, locale="en")
    membership = run("membership.add", add_membership, user, admin, team=team, role=Role.EXPERT, domain=Domain.POLICE)
    run("membership.end", end_membership, membership, admin)
    version = user.session_version
    run("user.deactivate", deactivate_user, user, admin)
    assert not user.active and user.session_version == version + 1
    run("user.reactivate", reactivate_user, user, admin)
    org = run("organisation.create", create_organisation, admin, name="O", domains=[Domain.POLICE])
    run("organisation.update", update_organisation, org, admin, name="O2", domains=[], active=True)
    commitment = run("commitment.set", set_commitment, org, team, admin, committed_on=date.today())
    run("commitment.end", end_commitment, commitment, admin)
    assert len(steps) == 12

    # Not one of them works for a non-admin, and a refusal changes nothing.
    events = count(AuditEvent)
    chair = world.chair
    refused = [
        lambda: create_team(chair, domains=[Domain.GGZ], **{**fields, "name": "X", "code": "XX"}),
        lambda: update_team(team, chair, domains=[Domain.GGZ], **fields),
        lambda: create_user(chair, email="x@example.test", name="X", password=NEW_PASSWORD),
        lambda: update_user(user, chair, email=user.email, name="X", is_admin=True, locale="nl"),
        lambda: deactivate_user(user, chair),
        lambda: reactivate_user(user, chair),
        lambda: add_membership(chair, chair, team=team, role=Role.CHAIR),
        lambda: end_membership(world.chair.memberships[0], chair),
        lambda: create_organisation(chair, name="X"),
        lambda: update_organisation(org, chair, name="X", domains=[]),
        lambda: set_commitment(org, team, chair, committed_on=date.today()),
        lambda: end_commitment(world.org.commitment_for(world.team.id), chair),
    ]
    for attempt in refused:
        with pytest.raises(PermissionDenied):
            attempt()
        db.session.rollback()
    assert count(AuditEvent) == events
    assert not db.session.get(User, user.id).is_admin


def test_services_refuse_bad_input_with_a_clear_message(world, english):
    admin = world.admin
    with pytest.raises(ServiceError, match="at least 12 characters"):
        create_user(admin, email="y@example.test", name="Y", password="short")
    with pytest.raises(ServiceError, match="already uses"):
        create_user(admin, email=" " + world.owner.email.upper(), name="Y", password=NEW_PASSWORD)
    with pytest.raises(ServiceError, match="does not cover"):
        small = create_team(admin, domains=[Domain.GGZ], name="S", municipality="S", code="SML",
                                     meeting_weekday=1, meeting_start=world.team.meeting_start,
                                     meeting_end=world.team.meeting_end, capacity=4, quorum=2)
        add_membership(world.owner2, admin, team=small, role=Role.EXPERT, domain=Domain.POLICE)
    db.session.rollback()
    assert count(User, User.email == "y@example.test") == 0
    assert count(Team) == 2
