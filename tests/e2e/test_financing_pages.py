"""Pay for success in a real browser: the chair records an agreement through the form, and the
agreement, its statement and the printable statement pass axe-core (WCAG 2.0/2.1 A/AA); printed,
the statement leaves out the site's navigation and the period form."""
from __future__ import annotations

import re


def test_chair_records_an_agreement_and_prints_the_statement(people, world, make_case):
    make_case("accepted", pseudonym="Gezin Wilg")
    chair = people("chair")
    chair.goto(f"/financing/teams/{world.team_id}")
    chair.check("financing: the team's agreements")
    chair.goto(f"/financing/teams/{world.team_id}/new")
    chair.check("financing: new agreement")
    page = chair.page
    page.fill("#financier", "Stichting Doorbraakfonds Gooi")
    page.fill("#starts_on", "2026-01-01")
    page.fill("#ends_on", "2027-12-31")
    page.fill("#price", "2.500,00")
    with page.expect_navigation():
        page.locator("form button[type=submit], form input[type=submit]").last.click()
    match = re.search(r"/financing/agreements/(\d+)$", chair.path())
    assert match, chair.path()
    main = page.locator("main").inner_text()
    assert "€ 2.500,00" in main.replace("\xa0", " ")
    chair.check("financing: the agreement and its ledger")
    with page.expect_navigation():
        page.locator("form[action$='/book'] button").click()  # "book now": nothing final yet, nothing booked
    assert chair.path() == f"/financing/agreements/{match.group(1)}"
    statement = f"/financing/agreements/{match.group(1)}/statement"
    chair.goto(statement)
    chair.check("financing: the statement")
    chair.goto(statement + "/print")
    chair.check("financing: the printable statement")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".pilot-report .no-print").is_visible()
    assert page.locator("h1").is_visible()
