"""The administrators' pages for API clients (blueprint ``api_admin``): list, create (the secret
shown once), change scopes and expiry, rotate the secret with a grace period, revoke. Thin:
``api.clients`` changes state and audits, the view commits."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from accounts.admin import all_organisations
from core.db import db
from core.errors import ServiceError
from core.forms import Form, MultiCheckboxField, PostForm
from core.models import Organisation
from core.paging import keyset
from core.permissions import is_admin
from core.web import require, show_refusal

from . import clients
from .models import SCOPES, ApiClient

bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-clients", template_folder="templates")

SCOPE_LABELS = {
    "actions:read": _l("Read the organisation's actions"),
    "actions:write": _l("Confirm, report done or refuse actions"),
    "signals:read": _l("Read signal requests"),
    "signals:write": _l("Report a client seen"),
}
GRACE_CHOICES = [(0, _l("None: the old secret stops at once")), (1, _l("1 day")), (7, _l("7 days")),
                 (30, _l("30 days"))]


class ClientForm(Form):
    organisation_id = SelectField(_l("Organisation"), coerce=int, choices=[], validators=[DataRequired()])
    name = StringField(_l("Name of the system"), validators=[DataRequired(), Length(max=100)],
                       description=_l("For example the case system of the organisation."))
    scopes = MultiCheckboxField(_l("Permissions"), choices=[(s, SCOPE_LABELS[s]) for s in SCOPES],
                                validators=[DataRequired()])
    expires_on = DateField(_l("Valid until"), validators=[Optional()], description=_l("Leave empty for no end date."))


class EditForm(Form):
    scopes = MultiCheckboxField(_l("Permissions"), choices=[(s, SCOPE_LABELS[s]) for s in SCOPES],
                                validators=[DataRequired()])
    expires_on = DateField(_l("Valid until"), validators=[Optional()], description=_l("Leave empty for no end date."))


class RotateForm(Form):
    grace_days = SelectField(_l("The old secret stays valid for"), coerce=int, choices=GRACE_CHOICES, default=7)


@bp.before_request
@login_required
def _require_admin():
    require(is_admin(current_user))


def _get(client_id: int) -> ApiClient:
    client = db.session.get(ApiClient, client_id)
    if client is None:
        abort(404)
    return client


@bp.get("/")
def clients_list():
    page = keyset(sa.select(ApiClient).options(sa.orm.joinedload(ApiClient.organisation)),
                  ApiClient.id, ApiClient.id, cursor=request.args.get("after"), size=50)
    return render_template("api/clients.html", clients=page, scope_labels=SCOPE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
def client_new():
    form = ClientForm()
    form.organisation_id.choices = [(o.id, o.name) for o in all_organisations(active_only=True)]
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation_id.data)
        try:
            client, secret = clients.create_client(current_user, organisation, name=form.name.data,
                                                   scopes=form.scopes.data, expires_on=form.expires_on.data)
        except ServiceError as exc:
            db.session.rollback()
            show_refusal(exc)
        else:
            db.session.commit()
            return render_template("api/secret.html", client=client, secret=secret, new=True)
    return render_template("api/client_new.html", form=form), 400 if request.method == "POST" else 200


def _render(client: ApiClient, edit: EditForm | None = None, rotate: RotateForm | None = None, status: int = 200):
    if edit is None:
        edit = EditForm(scopes=client.scope_list,
                        expires_on=client.expires_at.date() if client.expires_at else None)
    teams = sorted((m for m in client.user.memberships if m.active), key=lambda m: m.team.name)
    return render_template("api/client.html", client=client, edit=edit, rotate=rotate or RotateForm(),
                           post=PostForm(), teams=teams, scope_labels=SCOPE_LABELS), status


@bp.get("/<int:client_id>")
def client(client_id: int):
    return _render(_get(client_id))


@bp.post("/<int:client_id>")
def client_edit(client_id: int):
    client = _get(client_id)
    form = EditForm()
    if not form.validate_on_submit():
        return _render(client, edit=form, status=400)
    try:
        clients.update_client(client, current_user, scopes=form.scopes.data, expires_on=form.expires_on.data)
    except ServiceError as exc:
        db.session.rollback()
        show_refusal(exc)
        return _render(client, edit=form, status=400)
    db.session.commit()
    flash(_("The API client was saved."), "success")
    return redirect(url_for("api_admin.client", client_id=client.id))


@bp.post("/<int:client_id>/rotate")
def client_rotate(client_id: int):
    client = _get(client_id)
    form = RotateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        secret = clients.rotate_secret(client, current_user, grace=timedelta(days=form.grace_days.data))
    except ServiceError as exc:
        db.session.rollback()
        show_refusal(exc)
        return _render(client, rotate=form, status=400)
    db.session.commit()
    return render_template("api/secret.html", client=client, secret=secret, new=False)


@bp.post("/<int:client_id>/revoke")
def client_revoke(client_id: int):
    client = _get(client_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        clients.revoke_client(client, current_user)
    except ServiceError as exc:
        db.session.rollback()
        show_refusal(exc)
        return _render(client, status=400)
    db.session.commit()
    flash(_("The API client was revoked: its tokens no longer work."), "success")
    return redirect(url_for("api_admin.client", client_id=client.id))
