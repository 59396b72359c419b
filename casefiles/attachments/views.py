"""Case attachments (blueprint ``attachments``): the list and upload form of a case, download,
remove. Downloads are audited reads, always ``attachment`` under the cleaned name
(``core.documents.send_document``: UTF-8 names too), with the detected type, nosniff and a
sandboxing Content-Security-Policy."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casefiles.web import get_case
from core import audit, privacy
from core.db import db
from core.documents import send_document
from core.errors import ServiceError
from core.forms import PostForm
from core.web import audit_read, show_refusal

from . import permissions, services
from .forms import AttachForm
from .models import CaseAttachment

bp = Blueprint("attachments", __name__, template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page of the attachments needs a signed-in user."""


def _page(case, form: AttachForm, status: int = 200):
    return render_template("casefiles/attachments/index.html", case=case, form=form, post=PostForm(),
                           attachments=services.case_attachments(case), max_size=services.human_size(services.max_bytes()),
                           can_attach=permissions.can_attach(current_user, case), attachment_perms=permissions), status


@bp.get("/cases/<int:case_id>/attachments")
def index(case_id: int):
    case = get_case(case_id)
    audit_read(case, "attachments")
    return _page(case, AttachForm())


@bp.post("/cases/<int:case_id>/attachments")
def upload(case_id: int):
    case = get_case(case_id)
    if not permissions.can_attach(current_user, case):
        abort(403)
    form = AttachForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("Choose a file to attach."), "error")
        return _page(case, form, 400)
    upload = form.file.data
    try:
        attachment = services.attach(case, current_user, upload.filename or "", upload.stream)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(case, form, 400)
    db.session.commit()
    flash(_("%(name)s is attached.", name=attachment.name), "success")
    return redirect(url_for("attachments.index", case_id=case.id))


def _get(attachment_id: int) -> CaseAttachment:
    attachment = db.session.get(CaseAttachment, attachment_id)
    if attachment is None or not permissions.can_download(current_user, attachment):
        abort(404)
    return attachment


@bp.get("/attachments/<int:attachment_id>/download")
def download(attachment_id: int):
    attachment = _get(attachment_id)
    try:
        body = services.read(attachment)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("casefiles.index"))
    response = send_document(body, attachment.name, attachment.mimetype)  # text/plain gets charset=utf-8
    # Audited only now the answer is built: a download that fails to build is no read.
    case = attachment.case
    audit.record("case.read", object_type=privacy.ACCESS, object_id=case.id, actor=current_user, team_id=case.team_id,
                 details={"reference": case.reference, "view": "attachment", "attachment": attachment.id})
    db.session.commit()
    return response


@bp.post("/attachments/<int:attachment_id>/remove")
def remove(attachment_id: int):
    attachment = _get(attachment_id)
    case_id = attachment.case_id
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        name = attachment.name
        services.remove(attachment, current_user)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("attachments.index", case_id=case_id))
    db.session.commit()
    flash(_("%(name)s is removed.", name=name), "success")
    return redirect(url_for("attachments.index", case_id=case_id))
