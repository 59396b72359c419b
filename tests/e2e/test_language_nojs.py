"""The language switch, and the app without JavaScript."""
from __future__ import annotations


def test_language_switch(people, nl, en):
    visitor = people()
    visitor.goto("/login")
    assert visitor.page.get_attribute("html", "lang") == "nl"
    assert visitor.heading() == "Inloggen"
    switch = visitor.page.locator("form.lang-switch button")
    assert switch.inner_text().strip() == "English" and switch.get_attribute("lang") == "en"
    switch.click()
    assert visitor.page.get_attribute("html", "lang") == "en"
    assert visitor.heading() == en("Sign in") == "Sign in"
    assert visitor.path().startswith("/login"), "the switch stays on the same page"
    visitor.check("sign-in in English", shot="05-sign-in-english")

    # A signed-in person's choice is kept with their account.
    owner = people("owner")
    assert owner.page.get_attribute("html", "lang") == "nl"
    assert owner.heading() == nl("Welcome, %(name)s", name="Anna de Vries")
    owner.goto("/notifications/")
    owner.page.locator("form.lang-switch button").click()
    assert owner.path().startswith("/notifications/"), owner.path()
    assert owner.page.get_attribute("html", "lang") == "en"
    assert owner.page.get_by_role("link", name="Home").count() >= 1
    owner.check("inbox in English")
    owner.goto("/")
    assert owner.heading() == "Welcome, Anna de Vries"
    # Every request of the page must be finished first: a late response (a stylesheet, the
    # favicon) refreshes the session cookie and would sign the person in again after the clear.
    owner.page.wait_for_load_state("networkidle")
    owner.context.clear_cookies()
    owner.login()
    assert owner.page.get_attribute("html", "lang") == "en", "the language comes back at the next sign-in"
    owner.page.locator("form.lang-switch button").click()
    assert owner.page.get_attribute("html", "lang") == "nl"
    assert owner.heading() == "Welkom, Anna de Vries"


def test_case_intake_works_without_javascript(people, nl):
    """Sign-in (both steps), writing and submitting a case and the intake are plain HTML forms."""
    owner = people("owner", javascript=False)
    page = owner.page
    assert owner.heading() == nl("Welcome, %(name)s", name="Anna de Vries")
    page.get_by_role("link", name=nl("New case for %(team)s", team="Expertteam Gooistad")).click()
    page.fill("#household_pseudonym", "Gezin Zonder Script")
    page.fill("#household_composition", "Moeder (29), dochter (2)")
    page.check("input[name=domains][value=housing]")
    page.check("input[name=domains][value=ggz]")
    page.fill("#tried", "Wijkteam en GGZ-behandeling.")
    page.fill("#blockage", "De wachtlijst voor beschermd wonen.")
    page.fill("#household_goal", "Rust en een eigen plek.")
    page.fill("#question", "Kan er een tijdelijke plek komen?")
    page.fill("#consent_date", "2025-01-01")
    page.select_option("#consent_method", "verbal")
    page.select_option("#referring_organisation", index=1)
    for select in page.locator("select[name^=ground-]").all():
        select.select_option(label="Wmo 2015 art. 5.1.1 lid 1")
    page.get_by_role("button", name=nl("Save and submit")).click()
    reference = owner.heading().split(" ")[0]
    assert nl("Case %(reference)s has been submitted to the expert team.", reference=reference) in owner.flash()

    secretary = people("secretary", javascript=False)
    secretary.page.get_by_role("link", name=reference).click()
    secretary.page.get_by_role("link", name=nl("Intake", same=True), exact=True).click()
    for box in secretary.page.locator("input[name=criteria]").all():
        box.check()
    secretary.page.get_by_role("button", name=nl("Accept into the queue")).click()
    assert nl("Case %(reference)s accepted into the queue.", reference=reference) in secretary.flash()
    assert secretary.page.locator(".badge.status-accepted").inner_text().strip() == nl("In the queue")


def test_the_advice_draft_works_without_javascript(people, meeting_with_case, world, nl):
    """The one-form draft without JavaScript: one blank action row at a time, removing by a box,
    saving everything with one button, then saving and issuing."""
    from datetime import date, timedelta

    from tests.e2e.steps import click

    item = meeting_with_case(discussed=True)
    chair = people("chair", javascript=False)
    page = chair.page
    chair.goto(f"/advice/cases/{item.id}/edit")
    click(chair, "button", nl("Start the draft advice"))
    assert page.get_by_role("button", name=nl("Add an action")).is_hidden()  # no script: no such button
    page.fill("#advice_text", "Verleen urgentie nu.")
    deadline = (date.today() + timedelta(days=14)).isoformat()
    for org, what in (("housing", "Een woning aanbieden."), ("debt", "Een saneringskrediet aanbieden.")):
        page.select_option("#actions-0-organisation", label=world.orgs[org])
        page.fill("#actions-0-description", what)
        page.fill("#actions-0-deadline", deadline)
        click(chair, "button", nl("Save the draft"))
        assert nl("The draft was saved.") in chair.flash()
        assert what in page.locator("main").inner_text()
        assert page.input_value("#advice_text") == "Verleen urgentie nu."  # the texts were saved too
    page.check("input[name=remove_actions]>> nth=1")
    click(chair, "button", nl("Save the draft"))
    assert "Een saneringskrediet aanbieden." not in page.locator("main").inner_text()
    click(chair, "button", nl("Save and issue the advice"))
    assert nl("The advice has been issued and locked.") in chair.flash()
