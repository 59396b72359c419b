"""The whole loop with four people (and the organisations' two contacts), each in their own
browser context, every step checked in Dutch and under axe-core."""
from __future__ import annotations

from datetime import date

from .conftest import UNTRANSLATED_ADVICE
from .steps import (
    chair_discusses,
    chair_issues_advice,
    chair_records_attendance,
    click,
    contact_opens_action,
    owner_drafts_and_submits,
    secretary_intake,
    secretary_plans_meeting,
)


@UNTRANSLATED_ADVICE
def test_the_whole_journey(people, world, nl):
    owner = people("owner")
    secretary = people("secretary")
    chair = people("chair")

    # 1. The case owner drafts and submits a case.
    reference, case_id = owner_drafts_and_submits(owner, nl, "Gezin Amber", shots=True)
    owner.check("submitted case", shot="61-reis-ingediend")

    # 2. The secretary returns it; the owner sees why, fixes it and submits again.
    secretary_intake(secretary, nl, reference, decision="return",
                     message="Graag aanvullen wat de schuldhulp precies heeft geprobeerd.")
    owner.goto(f"/cases/{case_id}")
    assert owner.page.locator(".badge.status-returned").inner_text().strip() == nl("Returned for more information")
    assert "Graag aanvullen wat de schuldhulp precies heeft geprobeerd." in owner.page.locator(".timeline").inner_text()
    owner.check("returned case")
    click(owner, "link", nl("Edit"))
    owner.page.fill("#tried", "Reguliere schuldhulp (afgewezen wegens lopende huurschuld); een woonconsulent; de wijkcoach.")
    click(owner, "button", nl("Save and submit"))
    assert nl("Case %(reference)s has been submitted to the expert team.", reference=reference) in owner.flash()

    # 3. The secretary accepts it into the queue.
    secretary_intake(secretary, nl, reference, decision="accept", shots=True)

    # 4. The agenda is proposed and published.
    meeting_id = secretary_plans_meeting(secretary, nl, world, reference, shots=True)
    owner.goto(f"/cases/{case_id}")
    assert owner.page.locator(".badge.status-scheduled").inner_text().strip() == nl("On the agenda")

    # 5. At the meeting the chair records attendance, takes the case and issues the advice
    #    with actions for two organisations.
    chair_records_attendance(chair, nl, world, meeting_id, shots=True)
    chair_discusses(chair, nl, meeting_id, reference, shots=True)
    chair_issues_advice(chair, nl, world, case_id, reference, shots=True)

    # 6. The housing corporation's contact confirms and completes its action.
    housing = people("contact_housing")
    contact_opens_action(housing, nl, reference)
    housing.shot("70-reis-actie-contactpersoon")
    click(housing, "button", nl("Confirm: we will do it"))
    assert nl("Thank you: the action is confirmed.") in housing.flash()
    housing.page.fill("#d-note", "Urgentie verleend; woning aan de Lindelaan aangeboden en geaccepteerd.")
    housing.page.fill("#d-done_on", date.today().isoformat())
    click(housing, "button", nl("Report done"))
    assert nl("Thank you: the action is reported done.") in housing.flash()
    housing.check("action done")

    # 7. The debt service's contact refuses, with a reason.
    debt = people("contact_debt")
    contact_opens_action(debt, nl, reference)
    reason = "Een saneringskrediet kan pas na drie maanden stabiel inkomen."
    debt.page.fill("#r-reason", reason)
    click(debt, "button", nl("Refuse the action"))
    assert nl("The action is refused; the chair has been told.") in debt.flash()
    debt.check("action refused", shot="71-reis-actie-geweigerd")
    refused_badge = debt.page.locator(".badge.action-refused").first
    assert refused_badge.inner_text().strip(), "refused is written out, not only red"

    # 8. The refusal shows up for the chair, who records the team's decision.
    chair.goto("/notifications/")
    assert reference in chair.page.locator("main").inner_text()
    chair.check("chair's inbox")
    chair.goto(f"/advice/teams/{world.team_id}/back-on-table")
    back_on_table = chair.page.locator("main").inner_text()
    assert reason in back_on_table and world.orgs["debt"] in back_on_table
    chair.check("list back on the table", shot="72-reis-terug-op-tafel")
    click(chair, "link", nl("Record the decision"))
    chair.page.check("input[name=decision][value=drop]")
    chair.page.fill("#note", "Het team laat de actie vervallen; de woonstichting treft een betalingsregeling.")
    click(chair, "button", nl("Record the decision"))
    assert nl("The team's decision has been recorded.") in chair.flash()

    # 9. The case owner sees the advice and, with everything done, closes the case.
    owner.goto(f"/cases/{case_id}")
    assert owner.page.locator(".badge.status-completed").inner_text().strip() == nl("Completed")
    click(owner, "link", nl("Advice and actions"))
    advice_text = owner.page.locator("main").inner_text()
    assert "Verleen urgentie nu en regel de schuld via een saneringskrediet." in advice_text
    assert world.orgs["housing"] in advice_text and world.orgs["debt"] in advice_text
    owner.check("advice for the case owner", shot="73-reis-advies-casushouder")
    click(owner, "link", nl("Close the case"))
    owner.page.check("input[name=outcome][value=partly]")
    owner.page.fill("#note", "Het gezin woont in een eigen huis; de schuld loopt nog via een regeling.")
    owner.check("close the case")
    click(owner, "button", nl("Close the case"))
    assert nl("Case %(reference)s is closed. In three months you will be asked whether it holds.",
              reference=reference) in owner.flash()
    assert owner.page.locator(".badge.status-closed").inner_text().strip() == nl("Closed")
    owner.check("closed case", shot="74-reis-gesloten")
    nl.assert_all_dutch()
