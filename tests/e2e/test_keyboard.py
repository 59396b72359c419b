"""Keyboard alone: a case owner writes and submits a case with Tab, Space, Enter and typing only.
Every control is reachable in order, and the focus is always visible."""
from __future__ import annotations

MAX_TABS = 120


def focused(page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement;
        const s = getComputedStyle(e);
        return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name'), value: e.value,
                text: (e.innerText || e.value || '').trim(), outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth),
                shadow: s.boxShadow};
    }""")


def tab_to(page, selector: str, *, within: int = MAX_TABS) -> dict:
    """Press Tab until the element matching ``selector`` has the focus; its focus must be visible."""
    for _ in range(within):
        page.keyboard.press("Tab")
        if page.evaluate("(sel) => document.activeElement && document.activeElement.matches(sel)", selector):
            now = focused(page)
            visible = (now["outline"] != "none" and now["outlineWidth"] >= 2) or now["shadow"] not in ("none", "")
            assert visible, f"no visible focus on {selector}: {now}"
            return now
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def enter(page):
    """Press Enter on the focused link or button and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_submit_a_case_with_the_keyboard_only(people, nl):
    owner = people("owner")
    page = owner.page
    page.goto(owner.base_url + "/")

    # The first Tab shows the skip link, which jumps to the content.
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["tag"] == "a" and skip["text"] == nl("Skip to content")
    assert page.locator(".skip-link").bounding_box()["x"] >= 0, "the skip link shows when focused"

    new_case = nl("New case for %(team)s", team="Expertteam Gooistad")
    link = tab_to(page, "main a.button[href$='/cases/new']")
    assert link["text"] == new_case
    enter(page)
    assert owner.heading() == new_case

    def type_into(selector: str, text: str):
        tab_to(page, selector)
        page.keyboard.type(text)

    type_into("#household_pseudonym", "Gezin Toetsenbord")
    type_into("#household_composition", "Vader (41), zoon (15)")
    tab_to(page, "input[name=domains][value=housing]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=domains][value=debt]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=organisations]")
    page.keyboard.press("Space")
    type_into("#tried", "Schuldhulp en een woonconsulent.")
    type_into("#blockage", "Geen urgentie zolang de huurschuld openstaat.")
    type_into("#household_goal", "Een eigen huis.")
    type_into("#question", "Kan urgentie worden verleend voor de schuld is afgelost?")
    # A closed select takes typed letters (type-ahead) without opening.
    type_into("#urgency", nl("High")[:4])
    assert page.input_value("#urgency") == "high"
    tab_to(page, "#consent_date")
    page.keyboard.type("01012025")  # day = month: the same date whether the field shows dd-mm or mm/dd
    assert page.input_value("#consent_date") == "2025-01-01"
    type_into("#consent_method", nl("In writing (signed form)")[:5])
    assert page.input_value("#consent_method") == "written"
    # The lawful basis: the referring partner (another organisation than the one involved), then a
    # ground in force for the organisation involved, each chosen by typing its first letters.
    involved = page.get_attribute("input[name=organisations] >> nth=0", "value")
    partner = page.evaluate("(v) => [...document.querySelectorAll('#referring_organisation option')]"
                            ".find(o => o.value && o.value !== v).textContent", involved)
    type_into("#referring_organisation", partner[:8])
    assert page.input_value("#referring_organisation") not in ("", involved)
    type_into(f"#ground-{involved}", "Wmo 2015 art. 5")
    assert page.locator(f"#ground-{involved} option:checked").inner_text().startswith("Wmo 2015 art. 5.1.1")
    assert page.is_checked("input[name=domains][value=housing]") and page.is_checked("input[name=domains][value=debt]")

    tab_to(page, "#save_submit")
    owner.check("new case form, filled in by keyboard")
    enter(page)

    assert "/cases/" in owner.path() and "/new" not in owner.path(), owner.flash()
    reference = owner.heading().split(" ")[0]
    assert nl("Case %(reference)s has been submitted to the expert team.", reference=reference) in owner.flash()
    assert page.locator(".badge.status-submitted").inner_text().strip() == nl("Submitted")
    owner.check("case page after keyboard submission")


def test_errors_are_reachable_by_keyboard(people, nl):
    """After a refused form the summary takes the focus path first; its links lead to the field."""
    owner = people("owner")
    page = owner.page
    owner.goto("/")
    page.get_by_role("link", name=nl("New case for %(team)s", team="Expertteam Gooistad")).click()
    tab_to(page, "#save")
    enter(page)
    summary_link = "main .error-summary a[href='#household_pseudonym']"
    assert page.locator(summary_link).is_visible()
    tab_to(page, summary_link)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "household_pseudonym"
