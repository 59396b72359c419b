"""The case's legal grounds per receiving organisation (blueprint ``recipients``): the case owner,
chair or secretary records the ground of every organisation that received the case's data,
later ones (through an action, a signal request, attendance) included."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from advice import permissions
from casefiles import lawful_basis
from casefiles.web import get_case
from core.db import db
from core.errors import ServiceError
from core.forms import PostForm
from core.routing import parse_id
from core.web import audit_read, show_refusal

from . import recipients

bp = Blueprint("recipients", __name__, url_prefix="/advice", template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    return None


@bp.route("/cases/<int:case_id>/legal-grounds", methods=["GET", "POST"])
def grounds(case_id: int):
    case = get_case(case_id)
    if not permissions.can_record_grounds(current_user, case):
        abort(403)
    listed = recipients.case_recipients(case)
    bases = lawful_basis.bases(case.team_id)
    form = PostForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        valid = {b.id for b in bases} | {r.basis.id for r in listed if r.basis is not None}
        chosen: dict[int, int | None] = {}
        for r in listed:
            raw = request.form.get(f"ground-{r.organisation_id}", "")
            if raw == "":
                chosen[r.organisation_id] = None
            elif (ground := parse_id(raw)) in valid:
                chosen[r.organisation_id] = ground
            else:
                abort(400)  # a tampered choice
        try:
            lawful_basis.record_grounds(case, current_user, chosen, recipients=[r.organisation_id for r in listed])
        except ServiceError as exc:
            db.session.rollback()
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("The legal grounds were saved."), "success")
            return redirect(url_for("recipients.grounds", case_id=case.id))
    else:
        audit_read(case, "legal_grounds")
    return render_template("advice/follow_through/legal_grounds.html", case=case, recipients=listed, bases=bases, form=form,
                           channels=recipients.CHANNELS)
