"""Every route of app.url_map x every role, with objects of another team, another owner and
another organisation: foreign objects answer 403/404 and leak nothing. A route that is not
classified in ACCESS below fails the test, so a new route needs an access decision first.

And the sentinel test: a marker in every sensitive field of a case, every page rendered as each
role, the marker only where that role may see it.
"""
from __future__ import annotations

import io
import re
import time
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from advice.closure.services import close_case
from advice.drafting.issuing import issue_advice
from advice.drafting.services import add_action, draft_advice, update_draft
from advice.follow_through.services import complete_action
from core.db import db
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
    "calendar.feed": "public", "favicon": "public",
    # Sign-in through an organisation's provider (issue 15): the start and the provider's answer are
    # steps of signing in; after signing out the page that sends the browser on to the provider.
    "oidc.start": "public", "oidc.callback": "public", "oidc.sign_out": "public",
    "oidc.reauth": "self", "oidc.reauth_code": "self",
    "oidc_admin.providers": "admin", "oidc_admin.person": "admin", "oidc_admin.link_remove": "admin",
    "mfa.verify": "pending", "mfa.enrol": "pending", "mfa.qr": "pending",
    "auth.logout": "self", "auth.change_password": "self", "mfa.after_codes": "self", "mfa.manage": "self",
    "mfa.new_recovery_codes": "self", "mfa.reauth": "self", "mfa.reset_own": "self",
    "casefiles.index": "self", "notifications.inbox": "self", "notifications.preferences": "self",
    "notifications.read_all": "self", "meeting.index": "self", "calendar.renew_feed": "self",
    "follow_through.actions": "self",
    "admin.index": "admin", "admin_teams.teams": "admin", "admin_teams.team_new": "admin", "admin_teams.team_edit": "admin",
    "admin.users": "admin", "admin.user_new": "admin", "admin.user_edit": "admin", "admin.user_deactivate": "admin",
    "admin.user_reactivate": "admin", "admin.membership_add": "admin", "admin.membership_end": "admin",
    "admin_teams.organisations": "admin", "admin_teams.organisation_new": "admin", "admin_teams.organisation_edit": "admin",
    "admin_teams.commitment_set": "admin", "admin_teams.commitment_end": "admin", "admin.two_factor_reset": "admin",
    "notifications.jobs": "admin", "notifications.retry": "admin", "notifications.retry_all": "admin",
    "casefiles.detail": "object", "casefiles.edit": "object", "casefiles.intake": "object",
    "casefiles.submit": "object", "casefiles.withdraw": "object", "casefiles.new": "object",
    "casefiles.queue": "object", "casefiles.criteria": "object",
    "casefiles.export": "object", "casefiles.reads": "object",
    "notifications.open": "object",
    "meeting.detail": "object", "meeting.agenda": "object", "meeting.attendance": "object", "meeting.cancel": "object",
    "meeting_session.end": "object", "calendar.ics": "object", "meeting_session.item_outcome": "object", "meeting_session.live": "object",
    "meeting_session.minutes": "object", "meeting.move": "object", "meeting.new_extra": "object", "meeting.publish": "object",
    "meeting_session.save_notes": "object",
    "follow_through.action": "object", "follow_through.agenda": "object", "advice.case": "object", "advice.catalogue": "object",
    "follow_through.close": "object", "follow_through.confirm": "object", "follow_through.confirm_link": "object", "advice.correct": "object",
    "follow_through.decide": "object", "advice.discard": "object", "follow_through.done": "object", "advice.edit": "object",
    "follow_through.evaluation": "object", "advice.issue": "object", "overview.index": "object", "advice.print": "object",
    "follow_through.refuse": "object", "follow_through.review": "object", "advice.show": "object",
    "dashboard.index": "object", "dashboard.csv": "object", "dashboard.report": "object", "dashboard.norm": "object",
    "blockage.needs": "object", "blockage.need_add": "object", "blockage.need_edit": "object",
    "blockage.need_link": "object", "blockage.need_unlink": "object", "blockage.map_svg": "object",
    "holds.hold": "object", "holds.hold_resume": "object",
    "holds.signal_request": "object", "holds.signal": "object", "holds.signals": "self",
    "financing.index": "self", "financing.team": "object", "financing.new": "object", "financing.agreement": "object",
    "financing.edit": "object", "financing.mark": "object", "financing.unmark": "object", "financing.book": "object",
    "financing.statement_page": "object", "financing.statement_print": "object", "financing.statement_csv": "object",
    "financing.statement_ods": "object", "financing.statement_pdf": "object", "recipients.grounds": "object",
    "dashboard.ods": "object", "dashboard.report_pdf": "object", "advice.pdf": "object",
    # Issue 17 parts 2-4: the team's legal grounds, the processing overview, the blockers' export;
    # the plan's progress notes, an advice's signals, the team's list of what blocks cases.
    "lawful_basis.catalogue": "object", "processing.overview": "object", "blocking.csv": "object", "blocking.ods": "object",
    "plan.notes": "object", "plan.advice_lessons": "object", "plan.sources": "object",
    # Old addresses of pages that were renamed: a permanent redirect to the new one, which must refuse.
    "plan.advice_lessons_moved": "object", "plan.sources_moved": "object",
    "follow_through.agenda_moved": "object", "follow_through.evaluation_moved": "object",
    # Issue 17 parts 1 and 5: the escalation ladder (the director's page is reached by a signed
    # link, tests/test_access.py), retention per case result, repeat referrals.
    "escalation.ladder": "object", "escalation.climb": "object", "escalation.steering": "object",
    "escalation.national": "object", "escalation.summary": "object", "escalation.director": "public",
    "retention_terms.terms": "object", "repeats.repeat": "object",
    "meeting_session.minutes_pdf": "object", "attachments.index": "object", "attachments.upload": "object",
    "attachments.download": "object", "attachments.remove": "object", "action_attachments.share": "object",
    # The API (issue 14): bearer tokens only, a session answers 401 and shows nothing; its
    # need-to-know per organisation is tested in tests/api.
    "api.token": "public", "api.openapi_document": "public", "api.actions": "self", "api.action": "self",
    "api.confirm": "self", "api.done": "self", "api.refuse": "self", "api.signal_requests": "self",
    "api.signal_request": "self", "api.seen": "self",
    **{f"api_admin.{name}": "admin" for name in (
        "clients_list", "client_new", "client", "client_edit", "client_rotate", "client_revoke")},
    **{f"webhooks_admin.{name}": "admin" for name in (
        "endpoints", "endpoint_new", "endpoint", "endpoint_edit", "endpoint_enable", "endpoint_disable",
        "endpoint_secret", "endpoint_delete")},
}

ROLES = ["owner", "owner2", "chair", "secretary", "expert", "contact", "municipality", "admin",
         "other_chair", "other_owner", "other_contact"]
#: An id nobody has (for parameters that name no object of this test, e.g. admin routes).
MISSING = 987654


def test_every_route_is_classified(app):
    unclassified = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ACCESS))
    assert unclassified == [], f"routes without an access decision in tests/security/test_matrix.py: {unclassified}"
    stale = sorted(set(ACCESS) - {r.endpoint for r in app.url_map.iter_rules()})
    assert stale == [], f"ACCESS names routes that no longer exist: {stale}"


@pytest.fixture
def people(world, make_user, make_org):
    """The world plus a municipality reader of the team, an organisation committed to the other
    team only with its contact, and a contact of the team's second organisation."""
    world.municipality = make_user("municipality", team=world.team, name="Municipality")
    world.far_org = make_org("Ver Weg Zorg", team=world.other_team)
    world.other_contact = make_user("org_contact", team=world.other_team, organisation=world.far_org, name="Other Contact")
    world.other_org = make_org("Andere Organisatie", team=world.team)
    world.other_org_contact = make_user("org_contact", team=world.team, organisation=world.other_org, name="Other Org Contact")
    return world


def _discussed(create_case, team, owner, chair, meeting, position, label, expert=None):
    """An accepted case put on ``meeting`` (held) as discussed, with MARKER in its intake and notes."""
    from casefiles.models import CaseStatus
    from core.clock import utcnow
    from meeting.models import AgendaItem, Attendance, AttendanceStatus, Outcome

    case = create_case("accepted", team=team, owner=owner, household_pseudonym=f"{MARKER}{label}-PSEUDO",
                       **{f: f"{MARKER}{label}-INTAKE-{f}" for f in SENSITIVE})
    item = AgendaItem(meeting=meeting, case=case, position=position, starts_at=meeting.starts_at, duration_minutes=45,
                      outcome=Outcome.DISCUSSED, outcome_at=utcnow(), outcome_by_id=chair.id,
                      notes=f"{MARKER}{label}-NOTES")
    db.session.add(item)
    if expert is not None and position == 1:
        db.session.add(Attendance(meeting=meeting, user_id=expert.id, status=AttendanceStatus.PRESENT))
    case.status = CaseStatus.DISCUSSED
    db.session.commit()
    return case, item


def _issue(case, chair, label, actions):
    """Draft and issue an advice (MARKER in every text) with ``actions``: [(org, label)]."""

    advice = draft_advice(case, chair)
    update_draft(advice, chair, expected_version=advice.lock_version,
                          situation=f"{MARKER}{label}-SITUATION", blockage=f"{MARKER}{label}-ADVBLOCK",
                          advice_text=f"{MARKER}{label}-ADVICE", legal_free_text=f"{MARKER}{label}-LEGAL")
    deadline = date.today() + timedelta(days=14)
    for org, text in actions:
        add_action(advice, chair, organisation_id=org.id, description=f"{MARKER}{text}", deadline=deadline)
    db.session.commit()
    issue_advice(advice, chair)
    db.session.commit()
    return advice


def build_bundle(create_case, *, team, owner, chair, org, org_contact, label, own_org=None, expert=None) -> dict:
    """Real objects of one team, every free text carrying MARKER + label:

    - a held meeting (minutes) with two discussed cases (agenda item notes);
    - ``adv``: an issued advice with an action for ``org`` (and one for ``own_org`` if given);
    - ``closed``: an advice whose only action ``org_contact`` completed, the case closed by its
      owner through advice.closure.services.close_case (a real CaseClosure);
    - ``mapped``: an accepted case with two needs, a link, a hold and a signal request to ``org``.
    """
    from casefiles.attachments.services import attach
    from casefiles.blockage import services as blockage
    from casefiles.holds import services as holds
    from core.clock import utcnow
    from meeting.models import Meeting, MeetingStatus

    start = (utcnow() - timedelta(hours=3)).replace(microsecond=0)
    meeting = Meeting(team=team, starts_at=start, ends_at=start + timedelta(hours=2), slot_at=start,
                      cutoff_at=start - timedelta(days=4), status=MeetingStatus.HELD, held_at=start,
                      location=f"{MARKER}{label}-LOCATION", minutes_text=f"{MARKER}{label}-MINUTES")
    db.session.add(meeting)
    db.session.commit()
    adv_case, item = _discussed(create_case, team, owner, chair, meeting, 1, label, expert)
    closed_case, _ = _discussed(create_case, team, owner, chair, meeting, 2, label + "C", expert)
    actions = [(org, f"{label}-ACTION")] + ([(own_org, f"{label}-OWNACTION")] if own_org is not None else [])
    advice = _issue(adv_case, chair, label, actions)
    action = next(a for a in advice.actions if a.organisation_id == org.id)
    own_action = next((a for a in advice.actions if own_org is not None and a.organisation_id == own_org.id), None)
    closed_advice = _issue(closed_case, chair, label + "C", [(org, f"{label}C-ACTION")])
    done = closed_advice.actions[0]
    complete_action(done, org_contact, expected_version=done.version,
                             note=f"{MARKER}{label}C-DONE", done_on=date.today())
    db.session.commit()
    closure = close_case(closed_case, owner, outcome="reached", note=f"{MARKER}{label}C-CLOSURE")
    db.session.commit()
    attachment = attach(adv_case, owner, f"{MARKER}{label}-FILE.txt", io.BytesIO(f"{MARKER}{label}-FILE".encode()))
    mapped = create_case("accepted", team=team, owner=owner, household_pseudonym=f"{MARKER}{label}M-PSEUDO",
                         **{f: f"{MARKER}{label}M-INTAKE-{f}" for f in SENSITIVE})
    need = blockage.add_need(mapped, owner, title=f"{MARKER}{label}M-NEED", rule=f"{MARKER}{label}M-RULE")
    other = blockage.add_need(mapped, owner, title=f"{MARKER}{label}M-NEED2")
    link = blockage.link_needs(need, other, owner, reason=f"{MARKER}{label}M-WAITS")
    holds.put_on_hold(mapped, owner, reason="no_contact", note=f"{MARKER}{label}M-HOLD",
                                   retry_on=date.today() + timedelta(days=30))
    request = holds.request_signals(mapped, owner, organisation_ids=[org.id],
                                                 whom_to_call=f"{MARKER}{label}M-CALL",
                                                 last_contact_on=date.today() - timedelta(days=3))[0]
    db.session.commit()
    return dict(meeting=meeting, item=item, adv_case=adv_case, advice=advice, action=action, own_action=own_action,
                closed_case=closed_case, closed_advice=closed_advice, closure=closure, mapped=mapped,
                need=need, link=link, request=request, attachment=attachment)


@pytest.fixture
def foreign(people, create_case):
    """Objects of another team, another owner and another organisation, all carrying MARKER."""
    from notifications.services import notify

    world = people

    def fields(label):
        return {f: f"{MARKER}{label} {f}" for f in SENSITIVE}

    home = create_case("accepted", household_pseudonym=f"{MARKER}HOME", **fields("HOME"))
    away = create_case("accepted", team=world.other_team, owner=world.other_owner, household_pseudonym=f"{MARKER}AWAY", **fields("AWAY"))
    owner2_draft = create_case("draft", owner=world.owner2, household_pseudonym=f"{MARKER}DRAFT2", **fields("DRAFT2"))
    owner_draft = create_case("draft", owner=world.owner, household_pseudonym=f"{MARKER}DRAFT1", **fields("DRAFT1"))
    other_org = world.other_org
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
    # Real advice, actions, meetings, closures, needs and signal requests of both teams. In the
    # home team every action goes to other_org: foreign to world.contact (of world.org).
    bundles = {
        world.team.id: build_bundle(create_case, team=world.team, owner=world.owner, chair=world.chair,
                                    org=other_org, org_contact=world.other_org_contact, label="H-"),
        world.other_team.id: build_bundle(create_case, team=world.other_team, owner=world.other_owner,
                                          chair=world.other_chair, org=world.far_org,
                                          org_contact=world.other_contact, label="AWAY-"),
    }
    from financing.models import FinancingAgreement

    agreements = {}
    for team in (world.team, world.other_team):
        agreement = FinancingAgreement(team_id=team.id, financier="Fonds", starts_on=date(2026, 1, 1),
                                       ends_on=date(2026, 12, 31), price_cents=100)
        db.session.add(agreement)
        db.session.commit()
        agreements[team.id] = agreement.id
    return dict(home=home, away=away, owner2_draft=owner2_draft, owner_draft=owner_draft, other_org=other_org,
                meetings=meetings, notes=notes, bundles=bundles, agreements=agreements)


def _foreign_values(world, user, objs) -> list[dict]:
    """Parameter sets that name objects this user must not reach."""
    in_home = world.team.id in user.team_ids()
    other_team = world.other_team if in_home or not user.team_ids() else world.team
    foreign_case = objs["away"] if other_team.id == world.other_team.id else objs["home"]
    far = objs["bundles"][other_team.id]

    def objects(bundle, case, meeting_id=None):
        return {"case_id": case.id, "team_id": other_team.id,
                "meeting_id": meeting_id or bundle["meeting"].id, "item_id": bundle["item"].id,
                "advice_id": bundle["advice"].id, "action_id": bundle["action"].id,
                "closure_id": bundle["closure"].id, "need_id": bundle["need"].id, "link_id": bundle["link"].id,
                "request_id": bundle["request"].id, "agreement_id": objs["agreements"][other_team.id],
                "attachment_id": bundle["attachment"].id}

    sets = [objects(far, foreign_case, objs["meetings"].get(other_team.id))]
    # The same objects through each kind of case of the other team (in advice, closed, on hold).
    sets += [objects(far, far[name]) for name in ("adv_case", "closed_case", "mapped")]
    # Another owner's draft in the user's own team (invisible to everyone but its owner).
    draft = objs["owner_draft"] if user.id == world.owner2.id else objs["owner2_draft"]
    sets.append(objects(far, draft))
    if user.id in (world.contact.id, world.admin.id, world.municipality.id):  # no case content at all
        home = objs["bundles"][world.team.id]
        for case in (objs["home"], home["closed_case"], home["mapped"]) + ((home["adv_case"],) if user.is_admin else ()):
            values = objects(home, case)
            # world.contact's own organisation has no action in the home bundle: every action,
            # advice, closure and signal request of it belongs to another organisation.
            values["advice_id"] = home["closed_advice"].id if user.id == world.contact.id else home["advice"].id
            sets.append(values)
    for values in sets:
        values["notification_id"] = next(n for uid, n in objs["notes"].items() if uid != user.id)
        values["token"] = "not-a-valid-token"
        values["kind"] = "x"
        values["name"] = "x"  # an identity provider nobody configured
    return sets


def _build(rule, values) -> str:
    path = rule.rule
    for arg in rule.arguments:
        if arg in (rule.defaults or {}):
            continue  # fixed by the rule itself (e.g. the format of a download)
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
    done = set()
    for rule in app.url_map.iter_rules():
        kind = ACCESS[rule.endpoint]
        if kind in ("public", "pending", "self") or (kind == "admin" and user.is_admin):
            continue
        if rule.endpoint.startswith("financing.") and user.is_admin:
            continue  # administrators keep every team's financing agreements (financing/permissions.py)
        # Admin routes: the object in the URL may be anything; non-admins are refused.
        value_sets = [{a: MISSING for a in rule.arguments}] if kind == "admin" else _foreign_values(world, user, foreign)
        for values in value_sets:
            if kind == "admin":
                values = {a: (world.owner.id if a == "user_id" else MISSING) for a in rule.arguments}
            url = _build(rule, values)
            if (rule.endpoint in ("casefiles.new", "meeting.new_extra", "casefiles.queue", "casefiles.criteria",
                                 "follow_through.agenda", "follow_through.agenda_moved", "overview.index", "advice.catalogue", "dashboard.index", "dashboard.csv",
                                 "dashboard.report", "dashboard.norm", "dashboard.ods", "dashboard.report_pdf",
                                 "lawful_basis.catalogue", "processing.overview", "blocking.csv", "blocking.ods", "plan.sources", "plan.sources_moved",
                                 "retention_terms.terms")
                    and values.get("team_id") in user.team_ids()):
                continue  # the user's own team is not foreign
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if (method, url) in done:
                    continue
                done.add((method, url))
                response = client.open(url, method=method, data={"csrf_token": token})
                body = response.get_data(as_text=True)
                if response.status_code in (301, 308):  # an old address: where it leads must refuse
                    response = client.open(response.headers["Location"], method=method, data={"csrf_token": token})
                    body += response.get_data(as_text=True)
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
        "need_id": MISSING, "link_id": MISSING, "request_id": MISSING, "agreement_id": MISSING, "client_id": MISSING, "endpoint_id": MISSING,
        "attachment_id": MISSING, "name": "x",
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
        urls = [url] + ([url + "?format=json"] if rule.endpoint == "casefiles.export" else [])
        for u in urls:
            body = client.get(u).get_data().decode("utf-8", "replace")  # PDF, ODS: bytes
            if HOME in body:
                seen_on.append(rule.endpoint)
    if role in MAY_READ:
        assert "casefiles.detail" in seen_on, (role, seen_on)
        # Only pages about the case itself (its detail, export, advice/meeting pages) show it.
        assert all(e.split(".")[0] in ("casefiles", "privacy", "meeting", "advice", "notifications") for e in seen_on), seen_on
        if role == "expert":
            assert "casefiles.export" not in seen_on
    else:
        assert seen_on == [], (role, seen_on)


# --- sentinel of the advice and meeting texts -------------------------------------------------

#: Who renders the pages of the home team's advised case, and which markers they must (not) see.
TEXT_ROLES = ["owner", "chair", "secretary", "expert", "contact", "municipality", "admin",
              "other_chair", "other_owner", "other_contact"]
ADV = "ADV-"  # the label of the advised case of this test
#: The intake details (the household pseudonym is not among them: the contact's action page
#: shows it by design, next to the case reference - advice/follow_through/templates/advice/follow_through/action.html).
INTAKE = [f"{MARKER}{ADV}-INTAKE-{f}" for f in SENSITIVE]
NOTES, MINUTES = f"{MARKER}{ADV}-NOTES", f"{MARKER}{ADV}-MINUTES"
ADVICE_TEXT, OWN_ACTION = f"{MARKER}{ADV}-ADVICE", f"{MARKER}{ADV}-OWNACTION"


@pytest.mark.parametrize("role", TEXT_ROLES)
def test_sentinel_advice_and_meeting_texts(app, client, people, create_case, role):
    """MARKER in the intake, the meeting notes and minutes, the advice texts and the action
    descriptions of one advised case; every GET page rendered as ``role``:

    - the contact of the action's organisation sees the advice text and its own action, never the
      intake nor the notes or minutes of the meeting;
    - administrators, the municipality and other teams' people see none of it;
    - experts of the team see the notes and the advice.
    """
    world = people
    bundle = build_bundle(create_case, team=world.team, owner=world.owner, chair=world.chair, org=world.other_org,
                          org_contact=world.other_org_contact, label=ADV, own_org=world.org, expert=world.expert)
    user = getattr(world, role)
    login(client, user)
    with client.session_transaction() as s:
        s["auth_at"] = int(time.time())
    own_action = bundle["own_action"]
    values = {
        "case_id": bundle["adv_case"].id, "team_id": world.team.id, "meeting_id": bundle["meeting"].id,
        "item_id": bundle["item"].id, "advice_id": bundle["advice"].id,
        "action_id": own_action.id if role == "contact" else bundle["action"].id,
        "closure_id": bundle["closure"].id, "need_id": bundle["need"].id, "link_id": bundle["link"].id,
        "request_id": bundle["request"].id, "notification_id": MISSING, "token": "x", "kind": "x",
        "user_id": MISSING, "membership_id": MISSING, "organisation_id": MISSING, "commitment_id": MISSING,
        "filename": "app.css", "agreement_id": MISSING, "attachment_id": bundle["attachment"].id, "client_id": MISSING, "endpoint_id": MISSING,
        "name": "x",
    }
    pages: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or ACCESS[rule.endpoint] == "pending" or rule.endpoint == "static":
            continue
        url = _build(rule, values)
        for u in [url] + ([url + "?format=json"] if rule.endpoint == "casefiles.export" else []):
            pages[u] = client.get(u).get_data().decode("utf-8", "replace")  # PDF, ODS: bytes

    def seen(text):
        return sorted(u for u, body in pages.items() if text in body)

    intake_seen = {t: seen(t) for t in INTAKE}
    if role in ("admin", "municipality", "other_chair", "other_owner", "other_contact"):
        leaked = {u: re.findall(MARKER + r"[\w-]*", body)[:5] for u, body in pages.items() if MARKER in body}
        assert leaked == {}, (role, leaked)
    elif role == "contact":
        assert seen(ADVICE_TEXT), "the contact does not see the advice text it must carry out"
        assert seen(OWN_ACTION), "the contact does not see its own action"
        assert {t: u for t, u in intake_seen.items() if u} == {}, "contact sees intake details"
        assert seen(NOTES) == [], ("contact sees meeting notes", seen(NOTES))
        assert seen(MINUTES) == [], ("contact sees meeting minutes", seen(MINUTES))
    else:  # the team's own people
        assert seen(ADVICE_TEXT), (role, "does not see the advice")
        assert intake_seen[f"{MARKER}{ADV}-INTAKE-blockage"], (role, "does not see the case")
        if role in ("expert", "chair", "secretary"):
            assert seen(NOTES), (role, "does not see the meeting notes")
