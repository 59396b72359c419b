"""The owner marks a case as a repeat referral (blueprint ``repeats``); the case page and the
intake page show the link and the 12-month flag (``casefiles/_repeat.html``)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.forms import PostForm

from .repeats import mark_repeat
from .web import get_case

bp = Blueprint("repeats", __name__)


@bp.post("/cases/<int:case_id>/repeat")
@login_required
def repeat(case_id: int):
    case = get_case(case_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        earlier = mark_repeat(case, current_user, earlier_reference=request.form.get("earlier_reference", ""))
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        if earlier is None:
            flash(_("The link to an earlier case has been removed."), "success")
        elif case.repeat_within_year:
            flash(_("Marked as a repeat referral within 12 months of closing %(reference)s.", reference=earlier.reference), "success")
        else:
            flash(_("Linked to the earlier case %(reference)s.", reference=earlier.reference), "success")
    return redirect(url_for("casefiles.detail", case_id=case.id) + "#repeat")
