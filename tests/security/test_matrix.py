"""Every route of app.url_map x every role, with objects of another team, another owner and
another organisation: foreign objects answer 403/404 and leak nothing. A route that is not
classified in ACCESS below fails the test, so a new route needs an access decision first.

And the sentinel test: a marker in every sensitive field of a case, every page rendered as each
role, the marker only where that role may see it.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from expertteam.extensions import db
from tests.conftest import csrf_token, login

MARKER = "ZZMARKERZZ"
SENSITIVE = ("household_composition", "tried", "blockage", "household_goal", "question", "proposed_invitees", "consent_note")

#: Every endpoint with its access class:
#: public  - open to anyone (tests/test_access.py says why);
#: pending - a step of signing in (only with a pending password step in the session);
#: self    - the signed-in user's own account or own lists (no object of anyone else in the URL);
#: admin   - administrators only (objects are installation-wide);
#: object  - takes ids of team-scoped objects: foreign ones must answer 403/404 and leak nothing.
ACCESS = {
    "static": "public", "healthz": "public", "auth.login": "public", "auth.set_language": "public",
    "meeting.feed": "public",
    "mfa.verify": "pending", "mfa.enrol": "pending", "mfa.qr": "pending",
    "auth.logout": "self", "auth.change_password": "self", "mfa.after_codes": "self", "mfa.manage": "self",
    "mfa.new_recovery_codes": "self", "mfa.reauth": "self", "mfa.reset_own": "self",
    "casefiles.index": "self", "notifications.inbox": "self", "notifications.preferences": "self",
    "notifications.read_all": "self", "meeting.index": "self", "meeting.renew_feed": "self",
    "advice.actions": "self",
    "admin.index": "admin", "admin.teams": "admin", "admin.team_new": "admin", "admin.team_edit": "admin",
    "admin.users": "admin", "admin.user_new": "admin", "admin.user_edit": "admin", "admin.user_deactivate": "admin",
    "admin.user_reactivate": "admin", "admin.membership_add": "admin", "admin.membership_end": "admin",
    "admin.organisations": "admin", "admin.organisation_new": "admin", "admin.organisation_edit": "admin",
    "admin.commitment_set": "admin", "admin.commitment_end": "admin", "mfa.admin_reset": "admin",
    "notifications.jobs": "admin", "notifications.retry": "admin", "notifications.retry_all": "admin",
    "casefiles.detail": "object", "casefiles.edit": "object", "casefiles.intake": "object",
    "casefiles.submit": "object", "casefiles.withdraw": "object", "casefiles.new": "object",
    "casefiles.queue": "object", "casefiles.criteria": "object",
    "privacy.export": "object", "privacy.reads": "object",
    "notifications.open": "object",
    "meeting.detail": "object", "meeting.agenda": "object", "meeting.attendance": "object", "meeting.cancel": "object",
    "meeting.end": "object", "meeting.ics": "object", "meeting.item_outcome": "object", "meeting.live": "object",
    "meeting.minutes": "object", "meeting.move": "object", "meeting.new_extra": "object", "meeting.publish": "object",
    "meeting.save_notes": "object",
    "advice.action": "object", "advice.agenda": "object", "advice.case": "object", "advice.catalogue": "object",
    "advice.close": "object", "advice.confirm": "object", "advice.confirm_link": "object", "advice.correct": "object",
    "advice.decide": "object", "advice.discard": "object", "advice.done": "object", "advice.edit": "object",
    "advice.followup": "object", "advice.issue": "object", "advice.overview": "object", "advice.print": "object",
    "advice.refuse": "object", "advice.remove": "object", "advice.review": "object", "advice.show": "object",
    "dashboard.index": "object", "dashboard.csv": "object", "dashboard.report": "object", "dashboard.norm": "object",
    "casefiles.needs": "object", "casefiles.need_add": "object", "casefiles.need_edit": "object",
    "casefiles.need_link": "object", "casefiles.need_unlink": "object", "casefiles.map_svg": "object",
    "casefiles.need_ties": "object", "casefiles.hold": "object", "casefiles.hold_resume": "object",
    "casefiles.signal_request": "object", "casefiles.signal": "object", "casefiles.signals": "self",
}

ROLES = ["owner", "owner2", "chair", "secretary", "expert", "contact", "admin", "other_chair", "other_owner"]
#: Ids nobody has: for object kinds whose foreign instances this test cannot make yet (advice
#: packages in progress) the route must still refuse an id that is not the user's.
MISSING = 987654


def test_every_route_is_classified(app):
    unclassified = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ACCESS))
    assert unclassified == [], f"routes without an access decision in tests/security/test_matrix.py: {unclassified}"
    stale = sorted(set(ACCESS) - {r.endpoint for r in app.url_map.iter_rules()})
    assert stale == [], f"ACCESS names routes that no longer exist: {stale}"


@pytest.fixture
def foreign(world, create_case, make_org):
    """Objects of another team, another owner and another organisation, all carrying MARKER."""
    from notifications.services import notify

    def fields(label):
        return {f: f"{MARKER}{label} {f}" for f in SENSITIVE}

    home = create_case("accepted", household_pseudonym=f"{MARKER}HOME", **fields("HOME"))
    away = create_case("accepted", team=world.other_team, owner=world.other_owner, household_pseudonym=f"{MARKER}AWAY", **fields("AWAY"))
    owner2_draft = create_case("draft", owner=world.owner2, household_pseudonym=f"{MARKER}DRAFT2", **fields("DRAFT2"))
    owner_draft = create_case("draft", owner=world.owner, household_pseudonym=f"{MARKER}DRAFT1", **fields("DRAFT1"))
    other_org = make_org("Andere Organisatie", team=world.team)
    meetings = {}
    try:
        from meeting.jobs import ensure_meetings
        from meeting.models import Meeting

        ensure_meetings(datetime.now(timezone.utc))
        db.session.commit()
        for team in (world.team, world.other_team):
            meetings[team.id] = db.session.scalar(sa.select(Meeting.id).where(Meeting.team_id == team.id).order_by(Meeting.id).limit(1))
    except ImportError:  # pragma: no cover - meeting package absent
        pass
    notes = {}
    for user in (world.owner, world.other_owner, world.chair):
        rows = notify([user], "case.accepted", {"reference": f"{MARKER}NOTE"}, f"/cases/{home.id}")
        db.session.commit()
        notes[user.id] = rows[0].id
    return dict(home=home, away=away, owner2_draft=owner2_draft, owner_draft=owner_draft, other_org=other_org,
                meetings=meetings, notes=notes)


def _foreign_values(world, user, objs) -> list[dict]:
    """Parameter sets that name objects this user must not reach."""
    in_home = world.team.id in user.team_ids()
    other_team = world.other_team if in_home or not user.team_ids() else world.team
    foreign_case = objs["away"] if other_team.id == world.other_team.id else objs["home"]
    sets = [{"case_id": foreign_case.id, "team_id": other_team.id,
             "meeting_id": objs["meetings"].get(other_team.id) or MISSING}]
    # Another owner's draft in the user's own team (invisible to everyone but its owner).
    draft = objs["owner_draft"] if user.id == world.owner2.id else objs["owner2_draft"]
    sets.append({"case_id": draft.id, "team_id": other_team.id, "meeting_id": objs["meetings"].get(other_team.id) or MISSING})
    if user.id in (world.contact.id, world.admin.id):  # no case content at all
        sets.append({"case_id": objs["home"].id, "team_id": other_team.id, "meeting_id": objs["meetings"].get(other_team.id) or MISSING})
    for values in sets:
        values["notification_id"] = next(n for uid, n in objs["notes"].items() if uid != user.id)
        for name in ("item_id", "advice_id", "action_id", "closure_id", "need_id", "link_id", "request_id"):
            values[name] = MISSING
        values["token"] = "not-a-valid-token"
        values["kind"] = "x"
    return sets


def _build(rule, values) -> str:
    path = rule.rule
    for arg in rule.arguments:
        assert arg in values, f"{rule.endpoint}: no foreign value for <{arg}>: add one to _foreign_values"
        path = re.sub(r"<(?:[^:<>]+:)?" + arg + r">", str(values[arg]), path)
    return path


@pytest.mark.parametrize("role", ROLES)
def test_foreign_objects_are_refused_and_leak_nothing(app, client, world, foreign, role):
    user = getattr(world, role)
    login(client, user)
    with client.session_transaction() as s:
        s["auth_at"] = int(time.time())  # re-authenticated: the access rule itself must refuse
    token = csrf_token(client, "/")
    checked = 0
    for rule in app.url_map.iter_rules():
        kind = ACCESS[rule.endpoint]
        if kind in ("public", "pending", "self") or (kind == "admin" and user.is_admin):
            continue
        # Admin routes: the object in the URL may be anything; non-admins are refused.
        value_sets = [{a: MISSING for a in rule.arguments}] if kind == "admin" else _foreign_values(world, user, foreign)
        for values in value_sets:
            if kind == "admin":
                values = {a: (world.owner.id if a == "user_id" else MISSING) for a in rule.arguments}
            url = _build(rule, values)
            if rule.endpoint in ("casefiles.new", "meeting.new_extra", "casefiles.queue", "casefiles.criteria",
                                 "advice.agenda", "advice.overview", "advice.catalogue", "dashboard.index", "dashboard.csv",
                                 "dashboard.report", "dashboard.norm") and values.get("team_id") in user.team_ids():
                continue  # the user's own team is not foreign
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method, data={"csrf_token": token})
                body = response.get_data(as_text=True)
                if response.status_code == 302:
                    # A redirect is fine only when where it leads refuses too (e.g. an invalid
                    # e-mailed link sends the user to the object's page, which answers 404).
                    location = response.headers["Location"]
                    assert not location.startswith(("/login", "http")), (role, rule.endpoint, location)
                    response = client.get(location)
                    body += response.get_data(as_text=True)
                assert response.status_code in (403, 404), (role, rule.endpoint, method, url, response.status_code)
                assert MARKER not in body, (role, rule.endpoint, method, url)
                checked += 1
    assert checked > 40
    db.session.expire_all()
    for name in ("home", "away", "owner2_draft", "owner_draft"):
        case = foreign[name]
        assert case.household_pseudonym.startswith(MARKER) and case.blockage.startswith(MARKER), name


# --- sentinel: where may the marker appear? ---------------------------------------------------

#: Roles that may read the accepted case of their team (DESIGN.md: need to know).
MAY_READ = {"owner", "chair", "secretary", "expert"}
HOME = MARKER + "HOME"  # the marker of the one case this test renders


def _own_values(world, objs) -> dict:
    return {
        "case_id": objs["home"].id, "team_id": world.team.id,
        "meeting_id": objs["meetings"].get(world.team.id) or MISSING,
        "notification_id": MISSING, "item_id": MISSING, "advice_id": MISSING, "action_id": MISSING,
        "closure_id": MISSING, "token": "x", "kind": "x", "user_id": MISSING, "membership_id": MISSING,
        "organisation_id": MISSING, "commitment_id": MISSING, "filename": "app.css",
        "need_id": MISSING, "link_id": MISSING, "request_id": MISSING,
    }


@pytest.mark.parametrize("role", ROLES)
def test_sentinel_marker_appears_only_where_the_role_may_see_it(app, client, world, foreign, role):
    user = getattr(world, role)
    login(client, user)
    with client.session_transaction() as s:
        s["auth_at"] = int(time.time())
    values = _own_values(world, foreign)
    seen_on = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or ACCESS[rule.endpoint] == "pending" or rule.endpoint == "static":
            continue
        url = _build(rule, values)
        urls = [url] + ([url + "?format=json"] if rule.endpoint == "privacy.export" else [])
        for u in urls:
            body = client.get(u).get_data(as_text=True)
            if HOME in body:
                seen_on.append(rule.endpoint)
    if role in MAY_READ:
        assert "casefiles.detail" in seen_on, (role, seen_on)
        # Only pages about the case itself (its detail, export, advice/meeting pages) show it.
        assert all(e.split(".")[0] in ("casefiles", "privacy", "meeting", "advice", "notifications") for e in seen_on), seen_on
        if role == "expert":
            assert "privacy.export" not in seen_on
    else:
        assert seen_on == [], (role, seen_on)
