"""Meeting pages. Thin: forms validate, services change state, the view commits.

Need-to-know: team members (experts, chair, secretary) see meetings and agendas; a case owner
sees only a meeting they present at and only their own item; for everyone else a meeting does
not exist (404).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from casefiles.models import Case, Urgency
from core import privacy
from core.clock import utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.forms import PostForm
from core.models import LEAD_ROLES, TEAM_ROLES, Membership, Role, Team, User
from core.web import get_team, show_refusal

bp = Blueprint("meeting", __name__, url_prefix="/meetings")

from . import calendar, permissions, services  # noqa: E402
from .forms import (
    AddItemForm,
    AttendanceForm,
    CancelForm,
    ItemForm,
    MeetingTimeForm,
    MinutesForm,
    NotesForm,
    OutcomeForm,
)
from .models import AgendaItem, AttendanceStatus, Meeting, MeetingStatus, Outcome  # noqa: E402

PUBLIC_ENDPOINTS = {"meeting.feed"}


@bp.before_request
def _require_login():
    """Every page needs a signed-in user, except the token-protected calendar feed."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


# --- loading with need-to-know ----------------------------------------------------------------

def _meeting_query():
    return sa.select(Meeting).options(
        sa.orm.joinedload(Meeting.team),
        sa.orm.selectinload(Meeting.items).selectinload(AgendaItem.case).selectinload(Case.domains),
        sa.orm.selectinload(Meeting.items).selectinload(AgendaItem.case).joinedload(Case.owner),
        sa.orm.selectinload(Meeting.attendances),
    )


def get_meeting(meeting_id: int) -> Meeting:
    """A meeting the current user may see, or 404."""
    meeting = db.session.scalar(_meeting_query().where(Meeting.id == meeting_id))
    if meeting is None or not permissions.can_view(current_user, meeting):
        abort(404)
    return meeting


def get_item(item_id: int) -> AgendaItem:
    """An agenda item the current user may see (their own item, for a case owner), or 404."""
    meeting_id = db.session.scalar(sa.select(AgendaItem.meeting_id).where(AgendaItem.id == item_id))
    if meeting_id is None:
        abort(404)
    meeting = get_meeting(meeting_id)
    item = next((i for i in permissions.visible_items(current_user, meeting) if i.id == item_id), None)
    if item is None:
        abort(404)
    return item


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _lead_team(team_id: int) -> Team:
    team = get_team(team_id)
    _require(permissions.is_lead(current_user, team.id))
    return team


def _local(form: MeetingTimeForm, team: Team) -> tuple[datetime, datetime]:
    zone = services.team_zone(team)
    return (
        services.local_to_utc(form.day.data, form.start.data, zone),
        services.local_to_utc(form.day.data, form.end.data, zone),
    )


# --- lists and the meeting page ---------------------------------------------------------------

@bp.get("/")
def index():
    """Upcoming meetings of my teams (and those where I present), plus my calendar feed."""
    now = utcnow()
    meetings = db.session.scalars(
        _meeting_query()
        .where(permissions.visible_meetings_clause(current_user), Meeting.ends_at >= now - timedelta(hours=12))
        .order_by(Meeting.starts_at)
        .limit(60)
    ).all()
    unfinished = []
    lead_teams = current_user.team_ids(*LEAD_ROLES)
    if lead_teams:
        unfinished = db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.team_id.in_(lead_teams), Meeting.status == MeetingStatus.HELD)
            .order_by(Meeting.starts_at)
            .options(sa.orm.joinedload(Meeting.team))
        ).all()
    teams = db.session.scalars(
        sa.select(Team).where(Team.id.in_(lead_teams or {-1})).order_by(Team.name)
    ).all()
    feed = calendar.get_feed(current_user)
    feed_url = None
    if feed is not None:
        base = current_app.config.get("APP_BASE_URL") or request.host_url
        feed_url = base.rstrip("/") + url_for("meeting.feed", token=feed.token)
    return render_template(
        "meeting/index.html",
        meetings=meetings,
        unfinished=unfinished,
        lead_teams=teams,
        feed=feed,
        feed_url=feed_url,
        renew_form=PostForm(),
        perms=permissions,
    )


@bp.get("/<int:meeting_id>")
def detail(meeting_id: int):
    meeting = get_meeting(meeting_id)
    member = permissions.is_team_member(current_user, meeting.team_id)
    items = permissions.visible_items(current_user, meeting)
    # The agenda names the cases (reference, pseudonym): one audit row for the page view.
    privacy.record_reads([i.case for i in items], current_user, "meeting_detail", team_id=meeting.team_id,
                         object_id=meeting.id)
    privacy.commit_read()
    return render_template(
        "meeting/detail.html",
        meeting=meeting,
        items=items,
        member=member,
        quorum=services.quorum_status(meeting) if member else None,
        action_form=PostForm(),
        perms=permissions,
    )


# --- the agenda -------------------------------------------------------------------------------

@bp.route("/<int:meeting_id>/agenda", methods=["GET", "POST"])
def agenda(meeting_id: int):
    meeting = get_meeting(meeting_id)
    _require(permissions.can_manage(current_user, meeting))
    editable = permissions.can_edit_agenda(current_user, meeting)
    add_form = AddItemForm(prefix="add")
    candidates = db.session.scalars(services.candidates_query(meeting.team_id)).all() if editable else []
    add_form.case_id.choices = [
        (c.id, f"{c.reference} — {c.household_pseudonym} ({c.urgency.label})") for c in candidates
    ]
    if request.method == "POST":
        _require(editable)
        item_form = ItemForm()
        try:
            if "propose" in request.form:
                if PostForm().validate_on_submit():
                    added = services.propose_agenda(meeting, utcnow(), current_user)
                    db.session.commit()
                    flash(_("%(num)d cases proposed from the queue.", num=len(added)), "success")
            elif add_form.add.data:
                if add_form.validate_on_submit():
                    case = db.session.get(Case, add_form.case_id.data)
                    services.add_item(meeting, case, current_user, duration=add_form.duration.data)
                    db.session.commit()
                    flash(_("Case %(reference)s added to the agenda.", reference=case.reference), "success")
                else:
                    flash(_("Choose a case from the queue and a duration between 5 and 240 minutes."), "error")
            elif item_form.validate_on_submit():
                item = next((i for i in meeting.items if i.id == item_form.item_id.data), None)
                if item is None:
                    abort(404)
                if item_form.remove.data:
                    reference = item.case.reference
                    services.remove_item(item, current_user)
                    flash(_("Case %(reference)s taken off the agenda.", reference=reference), "success")
                elif item_form.up.data or item_form.down.data:
                    services.move_item(item, current_user, by=-1 if item_form.up.data else 1)
                else:
                    services.set_item(item, current_user, duration=item_form.duration.data,
                                      presenter_invited=item_form.presenter_invited.data)
                    flash(_("Agenda item saved."), "success")
                db.session.commit()
            else:
                errors = [e for f in item_form for e in f.errors]
                flash(" ".join(str(e) for e in errors) or _("The form was not valid."), "error")
        except ServiceError as exc:
            show_refusal(exc)
        return redirect(url_for("meeting.agenda", meeting_id=meeting.id))
    privacy.record_reads([i.case for i in meeting.items] + list(candidates), current_user, "meeting_agenda",
                         team_id=meeting.team_id, object_id=meeting.id)
    privacy.commit_read()
    return render_template(
        "meeting/agenda.html",
        meeting=meeting,
        editable=editable,
        add_form=add_form,
        action_form=PostForm(),
        item_form=ItemForm,
        overrun=services.agenda_overrun(meeting),
    )


@bp.post("/<int:meeting_id>/publish")
def publish(meeting_id: int):
    meeting = get_meeting(meeting_id)
    _require(permissions.can_edit_agenda(current_user, meeting))
    if not PostForm().validate_on_submit():
        abort(400)
    republish = meeting.status == MeetingStatus.PUBLISHED
    try:
        services.publish_agenda(meeting, current_user)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("meeting.agenda", meeting_id=meeting.id))
    db.session.commit()
    flash(_("The changed agenda was published and everyone invited was notified.") if republish
          else _("The agenda was published and everyone invited was notified."), "success")
    return redirect(url_for("meeting.detail", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/cancel", methods=["GET", "POST"])
def cancel(meeting_id: int):
    meeting = get_meeting(meeting_id)
    _require(permissions.can_edit_agenda(current_user, meeting))
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel_meeting(meeting, current_user, reason=form.reason.data)
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("The meeting was cancelled; its cases are back at the head of the queue."), "success")
            return redirect(url_for("meeting.detail", meeting_id=meeting.id))
    return render_template("meeting/cancel.html", meeting=meeting, form=form)


@bp.route("/<int:meeting_id>/move", methods=["GET", "POST"])
def move(meeting_id: int):
    meeting = get_meeting(meeting_id)
    _require(permissions.can_edit_agenda(current_user, meeting))
    form = MeetingTimeForm()
    if request.method == "GET":
        zone = services.team_zone(meeting.team)
        start, end = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
        form.day.data, form.start.data, form.end.data = start.date(), start.time(), end.time()
        form.location.data = meeting.location
    if form.validate_on_submit():
        starts_at, ends_at = _local(form, meeting.team)
        try:
            services.move_meeting(meeting, current_user, starts_at=starts_at, ends_at=ends_at,
                                  location=form.location.data or "")
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("The meeting was moved."), "success")
            return redirect(url_for("meeting.detail", meeting_id=meeting.id))
    return render_template("meeting/time_form.html", meeting=meeting, team=meeting.team, form=form,
                           title=_("Move the meeting"))


@bp.route("/teams/<int:team_id>/new", methods=["GET", "POST"])
def new_extra(team_id: int):
    team = _lead_team(team_id)
    form = MeetingTimeForm()
    if request.method == "GET":
        form.start.data, form.end.data, form.location.data = team.meeting_start, team.meeting_end, team.location
    if form.validate_on_submit():
        starts_at, ends_at = _local(form, team)
        try:
            meeting = services.add_extra_meeting(team, current_user, starts_at=starts_at, ends_at=ends_at,
                                                 location=form.location.data or "")
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("Extra meeting added."), "success")
            return redirect(url_for("meeting.detail", meeting_id=meeting.id))
    return render_template("meeting/time_form.html", meeting=None, team=team, form=form,
                           title=_("Add an extra meeting"))


# --- attendance -------------------------------------------------------------------------------

def _members(team_id: int) -> list[tuple[User, list[Membership]]]:
    rows = db.session.scalars(
        sa.select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.team_id == team_id, Membership.active.is_(True), Membership.role.in_(list(TEAM_ROLES)),
               User.active.is_(True))
        .order_by(User.name, Membership.role)
        .options(sa.orm.contains_eager(Membership.user))
    ).all()
    people: dict[int, tuple[User, list[Membership]]] = {}
    for m in rows:
        people.setdefault(m.user_id, (m.user, []))[1].append(m)
    return list(people.values())


@bp.route("/<int:meeting_id>/attendance", methods=["GET", "POST"])
def attendance(meeting_id: int):
    meeting = get_meeting(meeting_id)
    _require(permissions.can_manage(current_user, meeting))
    members = _members(meeting.team_id)
    form = AttendanceForm()
    editable = meeting.status not in (MeetingStatus.CANCELLED, MeetingStatus.CLOSED)
    if form.validate_on_submit():
        _require(editable)
        try:
            for user, _memberships in members:
                status = request.form.get(f"status-{user.id}", "")
                if not status:
                    continue  # not recorded
                services.record_attendance(meeting, current_user, user.id, status,
                                           request.form.get(f"deputy-{user.id}", ""))
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("Attendance saved."), "success")
            return redirect(url_for("meeting.attendance", meeting_id=meeting.id))
    by_user = {a.user_id: a for a in meeting.attendances}
    return render_template(
        "meeting/attendance.html", meeting=meeting, members=members, by_user=by_user, form=form,
        statuses=list(AttendanceStatus), quorum=services.quorum_status(meeting), editable=editable,
    )


# --- the live session -------------------------------------------------------------------------

def _live_context(meeting: Meeting) -> dict:
    focus_id = request.args.get("item", type=int)
    current = next((i for i in meeting.open_items if i.id == focus_id), None) or meeting.current_item
    return {
        "meeting": meeting,
        "current": current,
        "now": utcnow(),
        "quorum": services.quorum_status(meeting),
        "can_run": permissions.can_run(current_user, meeting),
    }


@bp.get("/<int:meeting_id>/live")
def live(meeting_id: int):
    """The chair's and secretary's session page; experts get the same agenda read-only."""
    meeting = get_meeting(meeting_id)
    if not permissions.is_team_member(current_user, meeting.team_id):
        abort(404)  # a case owner never sees the other items
    context = _live_context(meeting)
    current = context["current"]
    if request.args.get("fragment"):
        # The expert's screen refreshes itself every 20 seconds: one read row per item per
        # sign-in session (the first time that item's notes reach this screen), not per poll.
        if current is not None and current.id not in session.get("live_items_read", []):
            privacy.record_read(current.case, current_user, "meeting_live_follow")
            privacy.commit_read()
            session["live_items_read"] = [*session.get("live_items_read", []), current.id][-50:]
        return render_template("meeting/_follow.html", **context)
    if current is not None:  # the current item's story, blockage, question and notes
        privacy.record_read(current.case, current_user, "meeting_live")
        privacy.commit_read()
    notes_form = NotesForm(formdata=None, notes=current.notes if current else "",
                           notes_version=current.notes_version if current else 0)
    return render_template("meeting/live.html", notes_form=notes_form, outcome_form=OutcomeForm(),
                           action_form=PostForm(), conflict=None, **context)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/items/<int:item_id>/notes")
def save_notes(item_id: int):
    """Save an item's notes: JSON for the autosave, a normal form post without JavaScript."""
    item = get_item(item_id)
    meeting = item.meeting
    _require(permissions.can_run(current_user, meeting) or permissions.can_edit_agenda(current_user, meeting))
    form = NotesForm()
    if not form.validate_on_submit():
        if _wants_json():
            return jsonify(status="invalid", message=_("The notes could not be saved. Reload the page.")), 400
        flash(_("The notes could not be saved."), "error")
        return redirect(url_for("meeting.live", meeting_id=meeting.id, item=item.id))
    text = form.notes.data or ""
    try:
        services.save_notes(item, current_user, text, form.notes_version.data)
    except services.VersionConflict as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify(status="conflict", message=exc.message, notes=exc.current_text,
                           notes_version=exc.current_version), 409
        # Without JavaScript: show the page again with my text in the box and the other text
        # beside it; the form now carries the current version, so saving again is deliberate.
        meeting = get_meeting(meeting.id)
        context = _live_context(meeting)
        context["current"] = next((i for i in meeting.items if i.id == item_id), context["current"])
        notes_form = NotesForm(formdata=None, notes=text, notes_version=exc.current_version)
        flash(exc.message, "error")
        return render_template("meeting/live.html", notes_form=notes_form, outcome_form=OutcomeForm(),
                               action_form=PostForm(), conflict=exc.current_text, **context), 409
    except ServiceError as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify(status="refused", message=exc.message), 403 if isinstance(exc, PermissionDenied) else 400
        show_refusal(exc)
        return redirect(url_for("meeting.live", meeting_id=meeting.id, item=item.id))
    db.session.commit()
    if _wants_json():
        return jsonify(status="saved", notes_version=item.notes_version, message=_("Saved"))
    flash(_("Notes saved."), "success")
    return redirect(url_for("meeting.live", meeting_id=meeting.id, item=item.id))


@bp.post("/items/<int:item_id>/outcome")
def item_outcome(item_id: int):
    item = get_item(item_id)
    meeting = item.meeting
    _require(permissions.can_run(current_user, meeting))
    form = OutcomeForm()
    if not form.validate_on_submit():
        abort(400)
    reference = item.case.reference
    try:
        if form.discussed.data:
            services.mark_discussed(item, current_user)
            done = _("%(reference)s discussed; the advice can now be drafted.", reference=reference)
        elif form.postponed.data:
            services.postpone_item(item, current_user)
            done = _("%(reference)s postponed to the head of the queue.", reference=reference)
        elif form.withdrawn.data:
            services.withdraw_item(item, current_user, reason=form.reason.data or "")
            done = _("%(reference)s withdrawn.", reference=reference)
        else:
            abort(400)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("meeting.live", meeting_id=meeting.id, item=item.id))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("meeting.live", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/end")
def end(meeting_id: int):
    meeting = get_meeting(meeting_id)
    _require(permissions.can_run(current_user, meeting))
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.end_session(meeting, current_user)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("meeting.live", meeting_id=meeting.id))
    db.session.commit()
    flash(_("The session has ended. Items not reached were postponed; the minutes are ready."), "success")
    return redirect(url_for("meeting.minutes", meeting_id=meeting.id))


# --- minutes ----------------------------------------------------------------------------------

@bp.route("/<int:meeting_id>/minutes", methods=["GET", "POST"])
def minutes(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if not permissions.is_team_member(current_user, meeting.team_id):
        abort(404)
    can_edit = permissions.can_edit_minutes(current_user, meeting)
    form = MinutesForm(formdata=None, text=meeting.minutes_text, version=meeting.minutes_version)
    conflict = None
    status = 200
    if request.method == "POST":
        try:
            if "compile" in request.form:
                _require(permissions.can_manage(current_user, meeting))
                if PostForm().validate_on_submit():
                    services.compile_minutes(meeting, current_user)
                    db.session.commit()
                    flash(_("The minutes were compiled again from the items."), "success")
                return redirect(url_for("meeting.minutes", meeting_id=meeting.id))
            if "close" in request.form:
                _require(can_edit)
                if PostForm().validate_on_submit():
                    services.close_minutes(meeting, current_user)
                    db.session.commit()
                    flash(_("The minutes are closed."), "success")
                return redirect(url_for("meeting.minutes", meeting_id=meeting.id))
            _require(can_edit)
            form = MinutesForm()
            if form.validate_on_submit():
                services.update_minutes(meeting, current_user, form.text.data or "", form.version.data)
                db.session.commit()
                flash(_("Minutes saved."), "success")
                return redirect(url_for("meeting.minutes", meeting_id=meeting.id))
        except services.VersionConflict as exc:
            db.session.rollback()
            flash(exc.message, "error")
            conflict = exc.current_text
            form = MinutesForm(formdata=None, text=request.form.get("text", ""), version=exc.current_version)
            status = 409
        except ServiceError as exc:
            show_refusal(exc)
            return redirect(url_for("meeting.minutes", meeting_id=meeting.id))
    # The minutes hold every item's notes: one audit row for the page view, naming the cases.
    privacy.record_reads([i.case for i in meeting.items], current_user, "minutes", team_id=meeting.team_id,
                         object_id=meeting.id)
    privacy.commit_read()
    return render_template(
        "meeting/minutes.html", meeting=meeting, form=form, can_edit=can_edit, conflict=conflict,
        action_form=PostForm(), can_compile=permissions.can_manage(current_user, meeting)
        and meeting.status == MeetingStatus.HELD,
    ), status


# --- calendar ---------------------------------------------------------------------------------

def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/<int:meeting_id>/meeting.ics")
def ics(meeting_id: int):
    meeting = get_meeting(meeting_id)
    body = calendar.build(calendar.meeting_entries(current_user, meeting), current_user,
                          current_app.config.get("APP_BASE_URL", request.host_url), meeting.team.name)
    return _ics(body, f"meeting-{meeting.id}.ics")


@bp.get("/feed/<token>.ics")
def feed(token: str):
    """The private feed: the token is the key, no sign-in (calendar apps cannot sign in)."""
    user = calendar.feed_user(token)
    if user is None:
        abort(404)
    body = calendar.build(calendar.entries_for(user, utcnow()), user,
                          current_app.config.get("APP_BASE_URL", request.host_url), "Expertteam")
    response = _ics(body, "expertteam.ics")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/feed/renew")
def renew_feed():
    if not PostForm().validate_on_submit():
        abort(400)
    calendar.renew_feed(current_user)
    db.session.commit()
    flash(_("Your calendar address is ready. An earlier address no longer works."), "success")
    return redirect(url_for("meeting.index") + "#calendar")


@bp.app_context_processor
def _meeting_globals():
    return {"Outcome": Outcome, "Urgency": Urgency, "Role": Role}
