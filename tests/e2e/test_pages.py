"""Every page that exists, per role, in a real browser: WCAG 2.0/2.1 A/AA (axe-core) with zero
violations, the page language, no inline code, no console errors; screenshots of the main pages."""
from __future__ import annotations

import re

from .conftest import PHONE


def visit(person, path: str, label: str, *, shot: str | None = None, status: int = 200):
    response = person.goto(path)
    assert response.status == status, f"{label}: {path} answered {response.status}"
    person.check(label, shot=shot)


def test_sign_in_pages_are_accessible_and_dutch(people, nl):
    visitor = people()
    visit(visitor, "/login", "sign-in", shot="01-inloggen")
    assert visitor.page.get_attribute("html", "lang") == "nl"
    assert visitor.heading() == nl("Sign in") == "Inloggen"

    # Nothing filled in: the errors are summarised at the top and announced next to each field.
    visitor.page.locator("form:has(#password) [type=submit]").click()
    summary = visitor.page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    assert nl("Please correct the following") in summary.inner_text()
    assert summary.locator("a[href='#email']").count() == 1
    assert summary.locator("a[href='#password']").count() == 1
    for name in ("email", "password"):
        control = visitor.page.locator(f"#{name}")
        assert control.get_attribute("aria-invalid") == "true"
        described = control.get_attribute("aria-describedby") or ""
        assert f"{name}-error" in described.split()
        error = visitor.page.locator(f"#{name}-error")
        assert error.is_visible() and error.inner_text().strip()
        # the label is tied to the field
        assert visitor.page.locator(f"label[for={name}]").count() == 1
    visitor.check("sign-in with errors", shot="02-inloggen-met-fouten")

    # A summary link takes the keyboard user to the field.
    summary.locator("a[href='#email']").click()
    assert visitor.page.evaluate("document.activeElement.id") == "email"

    # A wrong password: a plain message, nothing about which part was wrong.
    visitor.page.fill("#email", "anna@gooistad.example")
    visitor.page.fill("#password", "not the password")
    visitor.page.locator("form:has(#password) [type=submit]").click()
    assert nl("E-mail address or password is not correct, or the account is not active.") in visitor.flash()
    visitor.check("sign-in refused")

    # The second step: the code page, accessible too.
    visitor.page.fill("#email", "anna@gooistad.example")
    visitor.page.fill("#password", _password())
    visitor.page.locator("form:has(#password) [type=submit]").click()
    assert "/login/verify" in visitor.page.url, visitor.page.url
    visitor.check("second factor", shot="03-inloggen-code")


def _password():
    from tests.conftest import PASSWORD

    return PASSWORD


def test_case_owner_pages(people, make_case, nl):
    draft = make_case("draft", pseudonym="Gezin Amber")
    returned = make_case("returned", pseudonym="Gezin Berk")
    owner = people("owner")
    visit(owner, "/", "home of the case owner", shot="10-start-casushouder")
    assert owner.heading() == nl("Welcome, %(name)s", name="Anna de Vries")
    assert owner.page.locator("table.list").count() >= 2  # one table per status

    new_url = owner.page.get_by_role("link", name=nl("New case for %(team)s", team="Expertteam Gooistad")).get_attribute("href")
    visit(owner, new_url, "new case form", shot="11-nieuwe-casus")
    # Every control has a label (or, for checkbox groups, a legend).
    unlabeled = owner.page.evaluate("""() => [...document.querySelectorAll('main input:not([type=hidden]):not([type=submit]):not([type=button]), main select, main textarea')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)""")
    assert unlabeled == []

    # An empty form: errors at the top and next to the field.
    owner.page.get_by_role("button", name=nl("Save draft")).click()
    assert owner.page.locator(".error-summary").is_visible()
    error = owner.page.locator("#household_pseudonym-error")
    assert error.is_visible()
    assert "household_pseudonym-error" in owner.page.locator("#household_pseudonym").get_attribute("aria-describedby").split()
    owner.check("new case form with errors", shot="12-nieuwe-casus-met-fouten")

    visit(owner, f"/cases/{draft.id}", "case page (draft)", shot="13-casus-concept")
    assert draft.reference in owner.heading()
    visit(owner, f"/cases/{draft.id}/edit", "edit case")
    visit(owner, f"/cases/{returned.id}", "case page (returned)")
    badge = owner.page.locator(".badge.status-returned")
    assert badge.inner_text().strip(), "the status is written out, not only coloured"
    visit(owner, f"/cases/{draft.id}/withdraw", "withdraw case")
    visit(owner, "/notifications/", "inbox of the case owner", shot="14-berichten")
    visit(owner, "/notifications/preferences", "notification preferences")
    visit(owner, "/account/password", "change password")
    visit(owner, "/meetings/", "meetings of the case owner")


def test_secretary_and_chair_pages(people, make_case, world, nl):
    submitted = make_case("submitted", pseudonym="Gezin Ceder", urgency="crisis")
    make_case("accepted", pseudonym="Gezin Den")
    make_case("accepted", pseudonym="Gezin Els", urgency="high")
    secretary = people("secretary")
    visit(secretary, "/", "home of the secretary", shot="20-start-secretaris")
    assert nl("Waiting for intake") in secretary.page.locator("main").inner_text()
    crisis = secretary.page.locator(".badge.urgency-crisis").first
    assert crisis.inner_text().strip(), "urgency is written out, not only coloured"
    visit(secretary, f"/cases/{submitted.id}/intake", "intake", shot="21-intake")
    visit(secretary, f"/teams/{world.team_id}/queue", "queue", shot="22-wachtrij")
    assert secretary.page.locator("table.list tbody tr").count() == 2
    visit(secretary, f"/teams/{world.team_id}/criteria", "intake checklist")
    visit(secretary, "/meetings/", "meetings of the secretary", shot="23-overleggen")

    chair = people("chair")
    visit(chair, "/", "home of the chair")
    visit(chair, f"/cases/{submitted.id}", "case page for the chair")


def test_expert_and_contact_pages(people, make_case, world):
    make_case("accepted", pseudonym="Gezin Fluit")
    expert = people("expert_housing")
    visit(expert, "/", "home of an expert")
    visit(expert, f"/teams/{world.team_id}/queue", "queue for an expert")
    visit(expert, "/meetings/", "meetings of an expert")
    contact = people("contact_housing")
    visit(contact, "/", "home of an organisation contact", shot="30-start-contactpersoon")
    visit(contact, "/notifications/", "inbox of an organisation contact")


def test_admin_pages(people, world):
    admin = people("admin")
    visit(admin, "/admin/", "administration", shot="40-beheer")
    for path, label in [
        ("/admin/teams", "teams"), (f"/admin/teams/{world.team_id}", "team"), ("/admin/teams/new", "new team"),
        ("/admin/users", "people"), (f"/admin/users/{world.people['owner'].id}", "person"), ("/admin/users/new", "new person"),
        ("/admin/organisations", "organisations"), (f"/admin/organisations/{world.org_ids['housing']}", "organisation"),
        ("/admin/organisations/new", "new organisation"), ("/notifications/admin/jobs", "jobs and mail"),
    ]:
        visit(admin, path, f"admin: {label}", shot="41-beheer-mensen" if path == "/admin/users" else None)


def test_error_page_is_accessible(people, nl):
    owner = people("owner")
    owner.allow_console(r"status of 404")  # the browser reports the 404 we ask for
    visit(owner, "/cases/999999", "not found", status=404)
    assert owner.page.locator("h1").inner_text().strip()


def test_lists_read_well_on_a_phone(people, make_case, world):
    for name in ("Gezin Gaai", "Gezin Hazelaar", "Gezin Iep"):
        make_case("accepted", pseudonym=name)
    make_case("draft", pseudonym="Gezin Jasmijn")
    make_case("submitted", pseudonym="Gezin Kers")
    for key, path, shot in [("owner", "/", "50-telefoon-mijn-casussen"),
                            ("secretary", f"/teams/{world.team_id}/queue", "51-telefoon-wachtrij"),
                            ("secretary", "/", None)]:
        person = people(key, viewport=PHONE)
        visit(person, path, f"{path} on a phone", shot=shot)
        # Nothing wider than the screen: no sideways scrolling.
        overflow = person.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a phone screen"
        # Table rows become cards whose cells carry their column name.
        cell = person.page.locator("table.list tbody td").first
        assert cell.get_attribute("data-label")
        assert person.page.locator("table.list thead").first.bounding_box()["x"] < 0 or not person.page.locator("table.list thead").first.is_visible()
        label = person.page.evaluate("(td) => getComputedStyle(td, '::before').content", cell.element_handle())
        assert re.sub(r'^"|"$', "", label).strip(), "the column name shows before the value"
        person.context.close()
