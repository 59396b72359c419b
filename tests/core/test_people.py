"""The people queries across teams (core.people): the set-based jobs tell the chairs and the
contacts of every team they touched with one query, whatever the number of teams."""
from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from core.models import Membership, Role
from core.people import contacts_by_team, members_by_team


def test_members_by_team_groups_the_active_people_of_a_role_per_team_in_one_query(world, make_user, count_queries):
    second_chair = make_user("chair", "secretary", team=world.team, name="Second Chair")
    gone = make_user("chair", team=world.other_team, name="Former Chair")
    db.session.execute(sa.update(Membership).where(Membership.user_id == gone.id).values(active=False))
    db.session.commit()
    team, other = world.team.id, world.other_team.id
    with count_queries() as counter:
        chairs = members_by_team({team, other}, Role.CHAIR)
    assert counter.count == 1
    assert chairs == {team: [world.chair, second_chair], other: [world.other_chair]}
    assert members_by_team({team}, Role.SECRETARY) == {team: [world.secretary, second_chair]}
    with count_queries() as counter:
        assert members_by_team(set(), Role.CHAIR) == {}
    assert counter.count == 0


def test_contacts_by_team_groups_the_contacts_per_team_and_organisation_in_one_query(world, make_user, make_org,
                                                                                    count_queries):
    other_org = make_org("Zorgbureau Oost", team=world.other_team)
    elsewhere = make_user("org_contact", team=world.other_team, organisation=other_org, name="Contact Oost")
    both = make_user("org_contact", team=world.other_team, organisation=world.org, name="Contact in two teams")
    db.session.add(Membership(user=both, team=world.team, role=Role.ORG_CONTACT, organisation=world.org))
    db.session.commit()
    team, other, org, oost = world.team.id, world.other_team.id, world.org.id, other_org.id
    with count_queries() as counter:
        contacts = contacts_by_team({team, other}, {org, oost})
    assert counter.count == 1
    assert contacts == {(team, org): [world.contact, both], (other, org): [both], (other, oost): [elsewhere]}
    assert contacts_by_team({team}, {oost}) == {}
    assert contacts_by_team({team}, set()) == {}
