"""Pages of the hard cases: hold, lost contact and signals (blueprint ``holds``).

The signal pages are for organisation contacts: they show the reference, the pseudonym and whom
to call, never intake details; contacts of other organisations get a 404."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casefiles import permissions as case_permissions
from casefiles.web import get_case
from core.db import db
from core.errors import ServiceError
from core.forms import PostForm
from core.i18n import labels
from core.people import committed_organisations
from core.slots import render_partial
from core.web import show_refusal

from . import permissions, queries, services
from .forms import HoldForm, SeenForm, SignalRequestForm
from .models import ContactSignalRequest, HoldReason

bp = Blueprint("holds", __name__, template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page of the hard cases needs a signed-in user."""


def _held_cases_for(team_id: int):
    return [h for h in queries.held_cases(team_id) if case_permissions.can_view(current_user, h.case)]


def template_globals() -> dict:
    """The labels of the hold reasons, translated once per list (``core.i18n.labels``)."""
    return {"hold_reason_labels": lambda: labels(HoldReason)}


def hold_badge(case, **_context):
    """The hold marker below the case page's status line (slot ``casefiles.detail.status``)."""
    return render_partial("casefiles/holds/_badge.html", case=case, hold=queries.active_hold(case))


def held_cases(meeting, **_context):
    """The team's held cases in the back-on-the-table part of the meeting page (slot
    ``meeting.detail.on_hold``), those the viewer may read."""
    return render_partial("casefiles/holds/_back_on_table.html", meeting=meeting, held=_held_cases_for(meeting.team_id))


def _signal_form(case) -> SignalRequestForm:
    form = SignalRequestForm(prefix="s")
    form.organisations.choices = [(o.id, o.name) for o in committed_organisations(case.team)]
    return form


def _page(case, hold_form=None, signal_form=None, status=200):
    return render_template(
        "casefiles/holds/hold.html", case=case, hold=queries.active_hold(case), hold_form=hold_form or HoldForm(prefix="h"),
        signal_form=signal_form or _signal_form(case), requests=queries.case_signal_requests(case), post=PostForm(),
        can_hold=permissions.can_hold(current_user, case), can_request=permissions.can_request_signals(current_user, case),
    ), status


@bp.route("/cases/<int:case_id>/hold", methods=["GET", "POST"])
def hold(case_id: int):
    case = get_case(case_id)
    form = HoldForm(prefix="h")
    if form.is_submitted():
        if not permissions.can_hold(current_user, case):
            abort(403)
        if form.validate():
            try:
                services.put_on_hold(case, current_user, reason=form.reason.data, note=form.note.data,
                               retry_on=form.retry_on.data)
            except ServiceError as exc:
                show_refusal(exc)
            else:
                db.session.commit()
                flash(_("Case %(reference)s is on hold.", reference=case.reference), "success")
                return redirect(url_for("holds.hold", case_id=case.id))
        return _page(case, hold_form=form, status=400)
    return _page(case)


@bp.post("/cases/<int:case_id>/resume")
def hold_resume(case_id: int):
    case = get_case(case_id)
    if not permissions.can_hold(current_user, case):
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.resume_case(case, current_user)
    except ServiceError as exc:
        show_refusal(exc)
    else:
        db.session.commit()
        flash(_("Case %(reference)s resumed; signal requests ended.", reference=case.reference), "success")
    return redirect(url_for("holds.hold", case_id=case.id))


@bp.post("/cases/<int:case_id>/signal-requests")
def signal_request(case_id: int):
    case = get_case(case_id)
    if not permissions.can_request_signals(current_user, case):
        abort(403)
    form = _signal_form(case)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _page(case, signal_form=form, status=400)
    try:
        services.request_signals(case, current_user, organisation_ids=form.organisations.data,
                           whom_to_call=form.whom_to_call.data, last_contact_on=form.last_contact_on.data)
    except ServiceError as exc:
        show_refusal(exc)
        return _page(case, signal_form=form, status=400)
    db.session.commit()
    flash(_("The organisations were asked to signal."), "success")
    return redirect(url_for("holds.hold", case_id=case.id))


@bp.get("/signals")
def signals():
    """The contact's open signal requests."""
    if not current_user.organisation_ids():
        abort(404)
    return render_template("casefiles/holds/signals.html", requests=queries.contact_requests(current_user))


@bp.route("/signals/<int:request_id>", methods=["GET", "POST"])
def signal(request_id: int):
    request_ = db.session.get(ContactSignalRequest, request_id)
    if request_ is None or not permissions.is_signal_contact(current_user, request_):
        abort(404)
    form = SeenForm()
    if form.is_submitted():
        if not request_.active:
            abort(409)
        if form.validate():
            try:
                services.report_seen(request_, current_user, note=form.note.data)
            except ServiceError as exc:
                show_refusal(exc)
            else:
                db.session.commit()
                flash(_("Thank you. The case owner has been told."), "success")
                return redirect(url_for("holds.signal", request_id=request_.id))
    return render_template("casefiles/holds/signal.html", req=request_, form=form)
