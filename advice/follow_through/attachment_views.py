"""Sharing case files with the actions (blueprint ``action_attachments``): the chair's page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from advice import permissions
from advice.web import get_advice
from casefiles.attachments.services import case_attachments
from core.db import db
from core.errors import ServiceError
from core.forms import PostForm
from core.routing import parse_id
from core.web import audit_read, show_refusal

from . import attachment_shares

bp = Blueprint("action_attachments", __name__, url_prefix="/advice", template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


def _pairs(values: list[str]) -> set[tuple[int, int]]:
    pairs = set()
    for value in values:
        file_part, _sep, action_part = value.partition("-")
        file_id, action_id = parse_id(file_part), parse_id(action_part)
        if file_id is not None and action_id is not None:
            pairs.add((file_id, action_id))
    return pairs


@bp.route("/<int:advice_id>/attachments", methods=["GET", "POST"])
def share(advice_id: int):
    advice = get_advice(advice_id)
    if not permissions.can_share_attachments(current_user, advice):
        abort(403)
    if request.method == "POST":
        if not PostForm().validate_on_submit():
            abort(400)
        try:
            added, removed = attachment_shares.set_shares(advice, current_user, _pairs(request.form.getlist("share")))
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("Sharing saved: %(added)d added, %(removed)d stopped.", added=added, removed=removed), "success")
        return redirect(url_for("action_attachments.share", advice_id=advice.id))
    audit_read(advice.case, "attachments_share")
    return render_template("advice/follow_through/attachments.html", advice=advice, case=advice.case, post=PostForm(),
                           files=case_attachments(advice.case), shared=attachment_shares.shares_of(advice))
