"""Meeting pages (blueprint ``meeting``): the list, a meeting, its agenda, scheduling and
attendance (the live session and minutes are ``meeting.session_views``, calendars
``meeting.calendar_views``). Thin: forms validate, services change state, the view commits.

Need-to-know: team members (experts, chair, secretary) see meetings and agendas; a case owner
sees only a meeting they present at and only their own item; for everyone else a meeting does
not exist (404).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casefiles.models import Case, CaseStatus, Urgency
from core import privacy
from core.clock import team_zone, utcnow
from core.db import db
from core.errors import ServiceError
from core.filters import local_datetime, once_per_request
from core.forms import PostForm
from core.i18n import labels
from core.models import LEAD_ROLES, TEAM_ROLES, Membership, Role, Team, User
from core.paging import keyset
from core.web import get_team, require, show_refusal
from core.slots import Slots, fill_slots

from . import calendar, permissions
from .agenda import (
    add_item,
    agenda_overrun,
    candidate_cases,
    move_item,
    propose_agenda,
    publish_agenda,
    remove_item,
    set_item,
)
from .attendance import quorum_status, record_attendance
from .forms import AddItemForm, AttendanceForm, CancelForm, ItemForm, MeetingTimeForm
from .models import AgendaItem, AttendanceStatus, Meeting, MeetingStatus, Outcome
from .schedule import (
    add_extra_meeting,
    agenda_counts,
    cancel_meeting,
    local_to_utc,
    move_meeting,
    presenting_items_of,
)

bp = Blueprint("meeting", __name__, url_prefix="/meetings", template_folder="templates")

#: Past meetings per page of the meeting list; queued cases offered on the agenda page.
PAST_PAGE = 20
CANDIDATES_SHOWN = 50


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


# --- loading with need-to-know ----------------------------------------------------------------

def _meeting_query():
    """A meeting with what its pages show, in two statements whatever the history: the meeting
    with its team (and domains) and attendance, then its agenda items with case, owner and
    domains (a handful of rows: one meeting's agenda)."""
    return sa.select(Meeting).options(
        sa.orm.joinedload(Meeting.team).joinedload(Team.domains),
        sa.orm.joinedload(Meeting.attendances),
        sa.orm.selectinload(Meeting.items).joinedload(AgendaItem.case).options(
            sa.orm.joinedload(Case.owner), sa.orm.joinedload(Case.domains)),
    )


def get_meeting(meeting_id: int) -> Meeting:
    """A meeting the current user may see, or 404."""
    meeting = db.session.execute(_meeting_query().where(Meeting.id == meeting_id)).unique().scalar_one_or_none()
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


def _lead_team(team_id: int) -> Team:
    team = get_team(team_id)
    require(permissions.is_lead(current_user, team.id))
    return team


def _local(form: MeetingTimeForm, team: Team) -> tuple[datetime, datetime]:
    zone = team_zone(team)
    return (
        local_to_utc(form.day.data, form.start.data, zone),
        local_to_utc(form.day.data, form.end.data, zone),
    )


# --- lists and the meeting page ---------------------------------------------------------------

@bp.get("/")
def index():
    """Upcoming meetings of my teams (and those where I present) in full, past ones a page at a
    time (``?past=``, newest first, counted in SQL), plus my calendar feed."""
    now = utcnow()
    since = now - timedelta(hours=12)
    visible = permissions.visible_meetings_clause(current_user)
    meetings = db.session.scalars(
        sa.select(Meeting).where(visible, Meeting.ends_at >= since)
        .order_by(Meeting.starts_at, Meeting.id).options(sa.orm.joinedload(Meeting.team))
    ).all()
    past_where = (visible, Meeting.ends_at < since)
    past = keyset(
        sa.select(Meeting).where(*past_where).options(sa.orm.joinedload(Meeting.team)),
        Meeting.starts_at, Meeting.id, cursor=request.args.get("past"), size=PAST_PAGE,
        count=sa.select(sa.func.count()).select_from(Meeting).where(*past_where),
    )
    listed = [*meetings, *past.items]
    lead_teams = current_user.team_ids(*LEAD_ROLES)
    unfinished = []
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
    token = calendar.token_to_show(session.pop(calendar.SHOW_ONCE, None), feed)
    if token is not None:
        base = current_app.config.get("APP_BASE_URL") or request.host_url
        feed_url = base.rstrip("/") + url_for("calendar.feed", token=token)
    return render_template(
        "meeting/index.html",
        meetings=meetings,
        past=past,
        item_counts=agenda_counts([m.id for m in listed]),
        own_items=presenting_items_of(current_user, [m for m in listed if not permissions.is_team_member(current_user, m.team_id)]),
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
        quorum=quorum_status(meeting) if member else None,
        action_form=PostForm(),
        perms=permissions,
        # What comes back on the table, filled by the packages above (shown to the team only).
        slots=fill_slots("meeting.detail", meeting=meeting) if member else Slots(),
    )


# --- the agenda -------------------------------------------------------------------------------

@bp.route("/<int:meeting_id>/agenda", methods=["GET", "POST"])
def agenda(meeting_id: int):
    meeting = get_meeting(meeting_id)
    require(permissions.can_manage(current_user, meeting))
    editable = permissions.can_edit_agenda(current_user, meeting)
    add_form = AddItemForm(prefix="add")
    candidates, waiting = candidate_cases(meeting.team_id, CANDIDATES_SHOWN) if editable else ([], 0)
    urgencies = labels(Urgency)  # translated once, not per candidate
    add_form.case_id.choices = [
        (c.id, f"{c.reference} — {c.household_pseudonym} ({urgencies[c.urgency]})") for c in candidates
    ]
    if request.method == "POST":
        require(editable)
        item_form = ItemForm()
        try:
            if "propose" in request.form:
                if PostForm().validate_on_submit():
                    added = propose_agenda(meeting, utcnow(), current_user)
                    db.session.commit()
                    flash(_("%(num)d cases proposed from the queue.", num=len(added)), "success")
            elif add_form.add.data:
                if add_form.validate_on_submit():
                    case = db.session.get(Case, add_form.case_id.data)
                    add_item(meeting, case, current_user, duration=add_form.duration.data)
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
                    remove_item(item, current_user)
                    flash(_("Case %(reference)s taken off the agenda.", reference=reference), "success")
                elif item_form.up.data or item_form.down.data:
                    move_item(item, current_user, by=-1 if item_form.up.data else 1)
                else:
                    set_item(item, current_user, duration=item_form.duration.data,
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
        overrun=agenda_overrun(meeting),
        candidates_shown=len(candidates),
        candidates_waiting=waiting,
        status_labels=labels(CaseStatus),
    )


@bp.post("/<int:meeting_id>/publish")
def publish(meeting_id: int):
    meeting = get_meeting(meeting_id)
    require(permissions.can_edit_agenda(current_user, meeting))
    if not PostForm().validate_on_submit():
        abort(400)
    republish = meeting.status == MeetingStatus.PUBLISHED
    try:
        publish_agenda(meeting, current_user)
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
    require(permissions.can_edit_agenda(current_user, meeting))
    form = CancelForm()
    if form.validate_on_submit():
        try:
            cancel_meeting(meeting, current_user, reason=form.reason.data)
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
    require(permissions.can_edit_agenda(current_user, meeting))
    form = MeetingTimeForm()
    if request.method == "GET":
        zone = team_zone(meeting.team)
        start, end = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
        form.day.data, form.start.data, form.end.data = start.date(), start.time(), end.time()
        form.location.data = meeting.location
    if form.validate_on_submit():
        starts_at, ends_at = _local(form, meeting.team)
        try:
            move_meeting(meeting, current_user, starts_at=starts_at, ends_at=ends_at,
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
            meeting = add_extra_meeting(team, current_user, starts_at=starts_at, ends_at=ends_at,
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
    require(permissions.can_manage(current_user, meeting))
    members = _members(meeting.team_id)
    form = AttendanceForm()
    editable = meeting.status not in (MeetingStatus.CANCELLED, MeetingStatus.CLOSED)
    if form.validate_on_submit():
        require(editable)
        try:
            for user, _memberships in members:
                status = request.form.get(f"status-{user.id}", "")
                if not status:
                    continue  # not recorded
                record_attendance(meeting, current_user, user.id, status,
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
        statuses=list(AttendanceStatus), quorum=quorum_status(meeting), editable=editable,
    )


# --- the live session -------------------------------------------------------------------------


# --- minutes ----------------------------------------------------------------------------------


# --- calendar ---------------------------------------------------------------------------------


def clock(value: datetime | None) -> str:
    """A clock time of the meeting ("09:20"): ``local_datetime(value, 'HH:mm')``, worked out once
    per moment and request (one item's end is the next one's start; the agenda repeats them).
    The template filter ``clock`` (``meeting/_macros.html``)."""
    if value is None:
        return ""
    return once_per_request("meeting_clock", value, lambda: local_datetime(value, "HH:mm"))


#: The enumerations the meeting's templates compare with (registered by ``meeting.init_app``).
TEMPLATE_GLOBALS = {"Outcome": Outcome, "Urgency": Urgency, "Role": Role}
