"""Every action carries its case's team (``Action.team_id``), however it was made: through the
services (drafting, a correction's copies) or appended in a test or shell without a team."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from advice.action_team import ActionTeamError
from advice.drafting.issuing import correct_advice, issue_advice
from advice.guard import ImmutableAdviceError
from advice.models import Action, Advice, AdviceStatus
from casefiles.models import Case, CaseStatus
from core.db import db


def _case(w, team, number: int) -> Case:
    return Case(team_id=team.id, owner_id=w.owner.id, year=2026, number=number, reference=f"{team.code}-T-{number}",
                household_pseudonym="Gezin T", status=CaseStatus.DISCUSSED)


def test_actions_made_by_the_services_carry_the_cases_team(aw, issued):
    v1 = issued()
    assert v1.actions and {a.team_id for a in v1.actions} == {aw.team.id}
    v2 = correct_advice(v1, aw.chair, reason="Wrong deadline")  # copies every action
    db.session.commit()
    assert len(v2.actions) == len(v1.actions)
    assert {a.team_id for a in v2.actions} == {aw.team.id}
    stored = db.session.scalars(sa.select(Action.team_id).join(Advice).where(Advice.case_id == v1.case_id)).all()
    assert len(stored) == 4 and set(stored) == {aw.team.id}


def test_actions_appended_without_a_team_get_the_cases_team(aw):
    # The other team, so a hook that took "the" team from anywhere but the case would fail.
    team = aw.other_team
    deadline = date.today() + timedelta(days=7)
    by_id = Advice(case_id=None, status=AdviceStatus.DRAFT)
    known = _case(aw, team, 1)
    db.session.add(known)
    db.session.flush()
    by_id.case_id = known.id  # only the key, the relationship not loaded (pending advice)
    by_id.actions.append(Action(organisation_id=aw.org.id, description="Do it.", deadline=deadline))
    db.session.add(by_id)
    # A new case and advice in the same flush, the case linked by relationship only.
    fresh = Advice(case=_case(aw, team, 2), status=AdviceStatus.DRAFT)
    fresh.actions = [Action(organisation_id=aw.org.id, description="Do that.", deadline=deadline)]
    db.session.add(fresh)
    # Added on its own, naming only its advice's key.
    db.session.flush()
    loose = Action(advice_id=fresh.id, organisation_id=aw.org2.id, description="Loose.", deadline=deadline)
    db.session.add(loose)
    db.session.commit()
    rows = db.session.execute(sa.select(Action.description, Action.team_id).order_by(Action.id)).all()
    assert rows == [("Do it.", team.id), ("Do that.", team.id), ("Loose.", team.id)]


def test_an_action_cannot_name_another_team_nor_change_it_once_issued(aw, issued):
    advice = issued()
    wrong = Advice(case_id=advice.case_id, version=9, status=AdviceStatus.DRAFT)
    wrong.actions.append(Action(organisation_id=aw.org.id, team_id=aw.other_team.id, description="x",
                                deadline=date.today()))
    db.session.add(wrong)
    with pytest.raises(ActionTeamError):
        db.session.flush()
    db.session.rollback()
    action = advice.actions[0]
    action.team_id = aw.other_team.id
    with pytest.raises(ImmutableAdviceError):
        db.session.flush()
    db.session.rollback()


def _in_force(case_id: int) -> dict[tuple[int, str], bool]:
    """(version, description) -> in_force of every action of the case, as stored."""
    rows = db.session.execute(sa.select(Advice.version, Action.description, Action.in_force).join(Advice)
                              .where(Advice.case_id == case_id)).all()
    return {(version, text): flag for version, text, flag in rows}


def test_actions_are_in_force_exactly_while_their_advice_is_issued(aw, drafted):
    """``Action.in_force`` follows the advice: false in a draft, true once issued, false again
    when a correction supersedes it (the correction's copies then true); the lists, figures and
    jobs read only this flag."""
    draft = drafted()
    db.session.commit()
    assert draft.actions and not any(_in_force(draft.case_id).values())
    issue_advice(draft, aw.chair)
    db.session.commit()
    assert set(_in_force(draft.case_id).values()) == {True}
    v2 = correct_advice(draft, aw.chair, reason="Wrong deadline")
    db.session.commit()
    flags = _in_force(draft.case_id)
    assert {f for (version, _), f in flags.items() if version == 1} == {True}
    assert {f for (version, _), f in flags.items() if version == 2} == {False}
    issue_advice(v2, aw.chair)
    db.session.commit()
    flags = _in_force(draft.case_id)
    assert {f for (version, _), f in flags.items() if version == 1} == {False}
    assert {f for (version, _), f in flags.items() if version == 2} == {True}
    # The same as the advice's status says, row for row.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action).join(Advice).where(
        Action.in_force != (Advice.status == AdviceStatus.ISSUED))) == 0
