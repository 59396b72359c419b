"""The organisation contact on a phone, and the live session followed on a second screen."""
from __future__ import annotations

from datetime import date

from .conftest import PHONE, UNTRANSLATED_ADVICE
from .steps import click, contact_opens_action


def no_sideways_scroll(person, where: str) -> None:
    overflow = person.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{where} is {overflow}px wider than a phone screen"


@UNTRANSLATED_ADVICE
def test_organisation_contact_on_a_phone(people, meeting_with_case, world, nl):
    case = meeting_with_case(advise=True, pseudonym="Gezin Linde")
    contact = people("contact_housing", viewport=PHONE)
    contact.check("contact's home on a phone")
    no_sideways_scroll(contact, "home")
    contact_opens_action(contact, nl, case.reference)
    no_sideways_scroll(contact, "action page")
    contact.shot("80-telefoon-actie")
    main = contact.page.locator("main").inner_text()
    assert f"Actie voor {world.orgs['housing']}." in main
    assert f"Actie voor {world.orgs['debt']}." not in main, "a contact sees only their own organisation's action"
    # Buttons are big enough to tap (WCAG 2.5.5 asks 44 px; we keep it).
    box = contact.page.get_by_role("button", name=nl("Confirm: we will do it")).bounding_box()
    assert box["height"] >= 44
    click(contact, "button", nl("Confirm: we will do it"))
    assert nl("Thank you: the action is confirmed.") in contact.flash()
    contact.page.fill("#d-note", "Woning aangeboden en geaccepteerd.")
    contact.page.fill("#d-done_on", date.today().isoformat())
    click(contact, "button", nl("Report done"))
    assert nl("Thank you: the action is reported done.") in contact.flash()
    done = contact.page.locator(".badge.action-done").first
    assert done.inner_text().strip(), "done is written out, not only green"
    contact.check("action done on a phone", shot="81-telefoon-actie-gedaan")
    no_sideways_scroll(contact, "action page after done")
    nl.assert_all_dutch()


def test_live_session_followed_on_a_second_screen(people, meeting_with_case, world, nl):
    case = meeting_with_case(pseudonym="Gezin Wilg")
    expert = people("expert_housing")
    expert.page.clock.install()  # the page refreshes every 20 seconds: the test moves the clock
    expert.goto(f"/meetings/{case.meeting_id}/live")
    follow = expert.page.locator("#follow")
    assert nl("You follow the session read-only. This page refreshes by itself.") in expert.page.locator("main").inner_text()
    assert case.reference in follow.inner_text()
    assert expert.page.locator("form[action*='/outcome']").count() == 0, "an expert cannot decide items"
    expert.check("live page for an expert", shot="90-live-deskundige")
    discussed = nl("Discussed")
    assert discussed not in follow.inner_text()

    chair = people("chair")
    response = chair.goto(f"/meetings/{case.meeting_id}/live")
    # The app's own script (static/meeting.js) runs under a Content-Security-Policy without
    # 'unsafe-inline'; the console collector fails the test on any blocked script or style.
    csp = response.headers.get("content-security-policy", "")
    assert "script-src" in csp or "default-src" in csp, f"no Content-Security-Policy: {csp!r}"
    assert "unsafe-inline" not in csp.split("script-src", 1)[-1].split(";", 1)[0]
    notes = "Woonstichting kan urgentie verlenen als de schuld onder regie komt."
    chair.page.fill("#notes", notes)  # saved by itself while the chair types (autosave)
    chair.page.wait_for_function("(text) => document.querySelector('.notes-status').innerText.includes(text)",
                                 arg=nl("Saved"), timeout=5_000)
    click(chair, "button", discussed)
    assert nl("%(reference)s discussed; the advice can now be drafted.", reference=case.reference) in chair.flash()

    # The expert's screen updates itself, without a reload.
    expert.page.clock.run_for(21_000)
    expert.page.wait_for_function(
        "([text, notes]) => document.querySelector('#follow').innerText.includes(text) && document.querySelector('#follow').innerText.includes(notes)",
        arg=[discussed, notes], timeout=5_000)
    assert expert.page.locator("#follow .badge.outcome-discussed").inner_text().strip() == discussed
    expert.check("live page after the update", shot="91-live-deskundige-bijgewerkt")
