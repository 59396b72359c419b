"""The live session and the minutes (blueprint ``meeting_session``): the chair or secretary
runs the agenda item by item with notes and outcomes; experts follow read-only on their own
screen; afterwards the secretary edits and closes the minutes. Thin: forms validate, services
change state, the view commits."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casefiles.blockage.views import map_section
from core import privacy
from core.clock import team_zone, utcnow
from core.db import db
from core.documents import render_pdf, send_document
from core.errors import PermissionDenied, ServiceError
from core.forms import PostForm
from core.web import audit_read, require, show_refusal

from . import permissions
from . import session as notes_service
from .attendance import quorum_status
from .forms import MinutesForm, NotesForm, OutcomeForm
from .lifecycle import VersionConflict
from .minutes import close_minutes, compile_minutes, update_minutes
from .models import Meeting, MeetingStatus
from .session import end_session, mark_discussed, postpone_item, withdraw_item
from .views import get_item, get_meeting

bp = Blueprint("meeting_session", __name__, url_prefix="/meetings", template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


def _case_map(context: dict):
    """The blockage map of the current item's case, where the live page shows it (for who runs
    the meeting), loaded before the page is rendered (``casefiles.blockage``)."""
    current = context["current"]
    return map_section(current.case) if context["can_run"] and current is not None else None


def _live_context(meeting: Meeting) -> dict:
    focus_id = request.args.get("item", type=int)
    current = next((i for i in meeting.open_items if i.id == focus_id), None) or meeting.current_item
    return {
        "meeting": meeting,
        "current": current,
        "now": utcnow(),
        "quorum": quorum_status(meeting),
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
            audit_read(current.case, "meeting_live_follow")
            session["live_items_read"] = [*session.get("live_items_read", []), current.id][-50:]
        return render_template("meeting/_follow.html", **context)
    if current is not None:  # the current item's story, blockage, question and notes
        audit_read(current.case, "meeting_live")
    notes_form = NotesForm(formdata=None, notes=current.notes if current else "",
                           notes_version=current.notes_version if current else 0)
    return render_template("meeting/live.html", notes_form=notes_form, outcome_form=OutcomeForm(), case_map=_case_map(context),
                           action_form=PostForm(), conflict=None, **context)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/items/<int:item_id>/notes")
def save_notes(item_id: int):
    """Save an item's notes: JSON for the autosave, a normal form post without JavaScript."""
    item = get_item(item_id)
    meeting = item.meeting
    require(permissions.can_run(current_user, meeting) or permissions.can_edit_agenda(current_user, meeting))
    form = NotesForm()
    if not form.validate_on_submit():
        if _wants_json():
            return jsonify(status="invalid", message=_("The notes could not be saved. Reload the page.")), 400
        flash(_("The notes could not be saved."), "error")
        return redirect(url_for("meeting_session.live", meeting_id=meeting.id, item=item.id))
    text = form.notes.data or ""
    try:
        notes_service.save_notes(item, current_user, text, form.notes_version.data)
    except VersionConflict as exc:
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
        return render_template("meeting/live.html", notes_form=notes_form, outcome_form=OutcomeForm(), case_map=_case_map(context),
                               action_form=PostForm(), conflict=exc.current_text, **context), 409
    except ServiceError as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify(status="refused", message=exc.message), 403 if isinstance(exc, PermissionDenied) else 400
        show_refusal(exc)
        return redirect(url_for("meeting_session.live", meeting_id=meeting.id, item=item.id))
    db.session.commit()
    if _wants_json():
        return jsonify(status="saved", notes_version=item.notes_version, message=_("Saved"))
    flash(_("Notes saved."), "success")
    return redirect(url_for("meeting_session.live", meeting_id=meeting.id, item=item.id))


@bp.post("/items/<int:item_id>/outcome")
def item_outcome(item_id: int):
    item = get_item(item_id)
    meeting = item.meeting
    require(permissions.can_run(current_user, meeting))
    form = OutcomeForm()
    if not form.validate_on_submit():
        abort(400)
    reference = item.case.reference
    try:
        if form.discussed.data:
            mark_discussed(item, current_user)
            done = _("%(reference)s discussed; the advice can now be drafted.", reference=reference)
        elif form.postponed.data:
            postpone_item(item, current_user)
            done = _("%(reference)s postponed to the head of the queue.", reference=reference)
        elif form.withdrawn.data:
            withdraw_item(item, current_user, reason=form.reason.data or "")
            done = _("%(reference)s withdrawn.", reference=reference)
        else:
            abort(400)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("meeting_session.live", meeting_id=meeting.id, item=item.id))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("meeting_session.live", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/end")
def end(meeting_id: int):
    meeting = get_meeting(meeting_id)
    require(permissions.can_run(current_user, meeting))
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        end_session(meeting, current_user)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("meeting_session.live", meeting_id=meeting.id))
    db.session.commit()
    flash(_("The session has ended. Items not reached were postponed; the minutes are ready."), "success")
    return redirect(url_for("meeting_session.minutes", meeting_id=meeting.id))


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
                require(permissions.can_manage(current_user, meeting))
                if PostForm().validate_on_submit():
                    compile_minutes(meeting, current_user)
                    db.session.commit()
                    flash(_("The minutes were compiled again from the items."), "success")
                return redirect(url_for("meeting_session.minutes", meeting_id=meeting.id))
            if "close" in request.form:
                require(can_edit)
                if PostForm().validate_on_submit():
                    close_minutes(meeting, current_user)
                    db.session.commit()
                    flash(_("The minutes are closed."), "success")
                return redirect(url_for("meeting_session.minutes", meeting_id=meeting.id))
            require(can_edit)
            form = MinutesForm()
            if form.validate_on_submit():
                update_minutes(meeting, current_user, form.text.data or "", form.version.data)
                db.session.commit()
                flash(_("Minutes saved."), "success")
                return redirect(url_for("meeting_session.minutes", meeting_id=meeting.id))
        except VersionConflict as exc:
            db.session.rollback()
            flash(exc.message, "error")
            conflict = exc.current_text
            form = MinutesForm(formdata=None, text=request.form.get("text", ""), version=exc.current_version)
            status = 409
        except ServiceError as exc:
            show_refusal(exc)
            return redirect(url_for("meeting_session.minutes", meeting_id=meeting.id))
    # The minutes hold every item's notes: one audit row for the page view, naming the cases.
    privacy.record_reads([i.case for i in meeting.items], current_user, "minutes", team_id=meeting.team_id,
                         object_id=meeting.id)
    privacy.commit_read()
    return render_template(
        "meeting/minutes.html", meeting=meeting, form=form, can_edit=can_edit, conflict=conflict,
        action_form=PostForm(), can_compile=permissions.can_manage(current_user, meeting)
        and meeting.status == MeetingStatus.HELD,
    ), status


@bp.get("/<int:meeting_id>/minutes.pdf")
def minutes_pdf(meeting_id: int):
    """The closed minutes as PDF/A (the team's archive copy); audited like the page."""
    meeting = get_meeting(meeting_id)
    if not permissions.is_team_member(current_user, meeting.team_id) or meeting.minutes_closed_at is None:
        abort(404)
    local_day = meeting.starts_at.astimezone(team_zone(meeting.team)).date()
    body = render_pdf("meeting/documents/minutes.html", title=lambda: f"{meeting.team.name} — {_('Minutes')} {local_day:%d-%m-%Y}",
                      meeting=meeting)
    response = send_document(body, f"{meeting.team.code}-notulen-{local_day.isoformat()}.pdf")
    privacy.record_reads([i.case for i in meeting.items], current_user, "minutes_pdf", team_id=meeting.team_id,
                         object_id=meeting.id)
    db.session.commit()
    return response
