"""The steps of the whole journey, each as a person does it on the real pages, checking what
they see in Dutch (``nl`` looks the app's texts up in the Dutch catalogue)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def click(person, role: str, name: str, *, exact: bool = True):
    """Click a link or button by its visible (Dutch) name and wait for the next page."""
    with person.page.expect_navigation():
        person.page.get_by_role(role, name=name, exact=exact).first.click()


def case_id_from(person) -> int:
    match = re.search(r"/cases/(\d+)", person.path())
    assert match, person.path()
    return int(match.group(1))


def owner_drafts_and_submits(owner, nl, pseudonym: str, *, shots: bool = False) -> tuple[str, int]:
    owner.goto("/")
    click(owner, "link", nl("New case for %(team)s", team="Expertteam Gooistad"))
    page = owner.page
    page.fill("#household_pseudonym", pseudonym)
    page.fill("#household_composition", "Moeder (34), twee kinderen (6 en 9)")
    page.check("input[name=domains][value=housing]")
    page.check("input[name=domains][value=debt]")
    for box in page.locator("input[name=organisations]").all():
        box.check()
    page.fill("#tried", "Reguliere schuldhulp; een woonconsulent; de wijkcoach.")
    page.fill("#blockage", "Geen urgentieverklaring zolang er een huurschuld openstaat.")
    page.fill("#household_goal", "Een eigen, betaalbaar huis voor ons drieën.")
    page.fill("#consent_date", (date.today() - timedelta(days=2)).isoformat())
    page.select_option("#consent_method", "written")
    # The lawful basis: the referring partner, and a ground in force for each organisation involved.
    page.select_option("#referring_organisation", index=1)
    for select in page.locator("select[name^=ground-]").all():
        select.select_option(label="Wmo 2015 art. 5.1.1 lid 1")
    # First a draft: the question is still missing.
    click(owner, "button", nl("Save draft"))
    reference = owner.heading().split(" ")[0]
    assert nl("Draft %(reference)s saved.", reference=reference) in owner.flash()
    assert page.locator(".badge.status-draft").inner_text().strip() == nl("Draft")
    assert nl("Before you can submit, complete:") in page.locator("main").inner_text()
    owner.check("draft case", shot="60-reis-concept" if shots else None)
    click(owner, "link", nl("Edit"))
    page.fill("#question", "Kan urgentie worden verleend voordat de huurschuld is afgelost?")
    click(owner, "button", nl("Save and submit"))
    assert nl("Case %(reference)s has been submitted to the expert team.", reference=reference) in owner.flash()
    assert page.locator(".badge.status-submitted").inner_text().strip() == nl("Submitted")
    return reference, case_id_from(owner)


def secretary_intake(secretary, nl, reference: str, *, decision: str, message: str = "", shots: bool = False) -> None:
    secretary.goto("/")
    assert reference in secretary.page.locator("main").inner_text(), "the case waits for intake on the home page"
    click(secretary, "link", reference)
    click(secretary, "link", nl("Intake", same=True))
    secretary.check("intake")
    if decision == "accept":
        for box in secretary.page.locator("input[name=criteria]").all():
            box.check()
        if message:
            secretary.page.fill("#message", message)
        if shots:
            secretary.shot("62-reis-intake")
        click(secretary, "button", nl("Accept into the queue"))
        assert nl("Case %(reference)s accepted into the queue.", reference=reference) in secretary.flash()
        assert secretary.page.locator(".badge.status-accepted").inner_text().strip() == nl("In the queue")
    else:
        secretary.page.fill("#message", message)
        click(secretary, "button", nl("Return for more information"))
        assert nl("Case %(reference)s returned to the case owner.", reference=reference) in secretary.flash()


def secretary_plans_meeting(secretary, nl, world, reference: str, *, shots: bool = False) -> int:
    """An extra meeting starting in a few minutes; the agenda proposed from the queue and published."""
    secretary.goto("/meetings/")
    click(secretary, "link", nl("Add an extra meeting for %(team)s", team=world.team_name))
    start = datetime.now(AMSTERDAM) + timedelta(minutes=10)
    start = start.replace(second=0, microsecond=0)
    end = min(start + timedelta(minutes=45), start.replace(hour=23, minute=59))
    page = secretary.page
    page.fill("#day", start.date().isoformat())
    page.fill("#start", start.strftime("%H:%M"))
    page.fill("#end", end.strftime("%H:%M"))
    page.fill("#location", "Stadhuis, zaal 2.14")
    secretary.check("new meeting form")
    click(secretary, "button", nl("Save"))
    assert nl("Extra meeting added.") in secretary.flash()
    meeting_id = int(re.search(r"/meetings/(\d+)", secretary.path()).group(1))
    click(secretary, "link", nl("Agenda", same=True))
    click(secretary, "button", nl("Fill up from the queue"))
    assert nl("%(num)d cases proposed from the queue.", num=1) in secretary.flash()
    assert reference in page.locator("main").inner_text()
    secretary.check("agenda", shot="63-reis-agenda" if shots else None)
    click(secretary, "button", nl("Publish the agenda and notify"))
    assert nl("The agenda was published and everyone invited was notified.") in secretary.flash()
    assert reference in page.locator("main").inner_text()
    secretary.check("published meeting", shot="64-reis-overleg" if shots else None)
    return meeting_id


def chair_records_attendance(chair, nl, world, meeting_id: int, *, shots: bool = False) -> None:
    chair.goto(f"/meetings/{meeting_id}")
    click(chair, "link", nl("Attendance"))
    page = chair.page
    for key in ("chair", "secretary", "expert_housing", "expert_debt"):
        page.select_option(f"#status-{world.people[key].id}", "present")
    chair.check("attendance", shot="65-reis-aanwezigheid" if shots else None)
    click(chair, "button", nl("Save attendance"))
    assert nl("Attendance saved.") in chair.flash()
    assert nl("Quorum met") in page.locator("main").inner_text()


def chair_discusses(chair, nl, meeting_id: int, reference: str, *, shots: bool = False) -> None:
    chair.goto(f"/meetings/{meeting_id}")
    click(chair, "link", nl("Session"))
    assert reference in chair.page.locator("#current-title").inner_text()
    chair.check("live session", shot="66-reis-sessie" if shots else None)
    click(chair, "button", nl("Discussed"))
    assert nl("%(reference)s discussed; the advice can now be drafted.", reference=reference) in chair.flash()
    assert nl("Every item has been decided.") in chair.page.locator("main").inner_text()


def chair_issues_advice(chair, nl, world, case_id: int, reference: str, *, shots: bool = False) -> None:
    chair.goto(f"/cases/{case_id}")
    click(chair, "link", nl("Advice and actions"))
    assert chair.heading() == nl("Advice on %(reference)s", reference=reference)
    click(chair, "button", nl("Start the draft advice"))
    assert nl("The draft advice has been started.") in chair.flash()
    page = chair.page
    # One form for everything; with JavaScript a second action row is added in place.
    page.fill("#situation", "Moeder met twee kinderen, huurschuld bij de woonstichting.")
    page.fill("#blockage", "Urgentie wacht op de schuld; de schuld wacht op een huis.")
    page.fill("#advice_text", "Verleen urgentie nu en regel de schuld via een saneringskrediet.")
    deadline = (date.today() + timedelta(days=21)).isoformat()
    rows = (("housing", "Urgentie verlenen en een woning aanbieden."),
            ("debt", "Een saneringskrediet aanbieden binnen drie weken."))
    for i, (org, what) in enumerate(rows):
        if i:
            page.get_by_role("button", name=nl("Add an action")).click()
        page.select_option(f"#actions-{i}-organisation", label=world.orgs[org])
        page.fill(f"#actions-{i}-description", what)
        page.fill(f"#actions-{i}-deadline", deadline)
    # Leaving with unsaved changes asks first.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name=reference).first.click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"] and "/edit" in page.url
    click(chair, "button", nl("Save the draft"))
    assert nl("The draft was saved.") in chair.flash()
    for _org, what in rows:
        assert what in page.locator("main").inner_text()
    chair.check("advice draft", shot="67-reis-adviesconcept" if shots else None)
    click(chair, "button", nl("Save and issue the advice"))
    assert nl("The advice has been issued and locked.") in chair.flash()
    assert chair.heading().startswith(nl("Binding advice on %(reference)s", reference=reference))
    chair.check("issued advice", shot="68-reis-advies" if shots else None)


def contact_opens_action(contact, nl, reference: str):
    contact.goto("/")
    click(contact, "link", nl("Actions"))
    assert contact.heading() == nl("Our actions")
    contact.check("actions of the contact")
    with contact.page.expect_navigation():
        contact.page.locator("main a", has_text=reference).first.click()
    contact.check("action page")
