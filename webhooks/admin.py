"""The administrators' pages for webhook endpoints (blueprint ``webhooks_admin``): list, create
(the secret shown once), change, renew the secret, disable or enable, remove, and each
endpoint's delivery log (keyset-paged, newest first). Thin: ``webhooks.services`` changes state
and audits, the view commits."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from accounts.admin import all_organisations
from core.db import db
from core.errors import ServiceError
from core.forms import Form, MultiCheckboxField, PostForm
from core.models import Organisation
from core.paging import keyset
from core.permissions import is_admin
from core.web import require, show_refusal

from . import services
from .events import TYPE_PREFIX, registered
from .models import WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks_admin", __name__, url_prefix="/admin/webhooks", template_folder="templates")


class EndpointForm(Form):
    organisation_id = SelectField(_l("Organisation"), coerce=int, choices=[], validators=[DataRequired()])
    url = StringField(_l("Address (https://…)"), validators=[DataRequired(), Length(max=500)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    event_types = MultiCheckboxField(_l("Events"), choices=[], validators=[DataRequired()])

    def fill(self, organisations) -> None:
        self.organisation_id.choices = [(o.id, o.name) for o in organisations]
        self.event_types.choices = [(key, label) for key, label in registered().items()]


@bp.before_request
@login_required
def _require_admin():
    require(is_admin(current_user))


def _get(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


@bp.get("/")
def endpoints():
    rows = db.session.scalars(sa.select(WebhookEndpoint).options(sa.orm.joinedload(WebhookEndpoint.organisation))
                              .order_by(WebhookEndpoint.id)).all()
    return render_template("webhooks/endpoints.html", endpoints=rows, labels=registered())


@bp.route("/new", methods=["GET", "POST"])
def endpoint_new():
    form = EndpointForm()
    form.fill(all_organisations(active_only=True))
    if form.validate_on_submit():
        try:
            endpoint, secret = services.create_endpoint(
                current_user, db.session.get(Organisation, form.organisation_id.data), url=form.url.data,
                event_types=form.event_types.data, description=form.description.data)
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            return render_template("webhooks/secret.html", endpoint=endpoint, secret=secret)
    return render_template("webhooks/endpoint_new.html", form=form), 400 if request.method == "POST" else 200


def _render(endpoint: WebhookEndpoint, form: EndpointForm | None = None, status: int = 200):
    if form is None:
        form = EndpointForm(organisation_id=endpoint.organisation_id, url=endpoint.url,
                            description=endpoint.description, event_types=endpoint.event_types)
    form.fill([endpoint.organisation])
    log = keyset(sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                 .options(sa.orm.joinedload(WebhookDelivery.event)),
                 WebhookDelivery.id, WebhookDelivery.id, cursor=request.args.get("log"), size=50)
    return render_template("webhooks/endpoint.html", endpoint=endpoint, form=form, post=PostForm(), log=log,
                           labels=registered(), prefix=TYPE_PREFIX), status


@bp.get("/<int:endpoint_id>")
def endpoint(endpoint_id: int):
    return _render(_get(endpoint_id))


@bp.post("/<int:endpoint_id>")
def endpoint_edit(endpoint_id: int):
    endpoint = _get(endpoint_id)
    form = EndpointForm()
    form.fill([endpoint.organisation])
    if not form.validate_on_submit():
        return _render(endpoint, form, 400)
    try:
        services.update_endpoint(endpoint, current_user, url=form.url.data, event_types=form.event_types.data,
                                 description=form.description.data)
    except ServiceError as exc:
        show_refusal(exc)
        return _render(endpoint, form, 400)
    db.session.commit()
    flash(_("The webhook was saved."), "success")
    return redirect(url_for("webhooks_admin.endpoint", endpoint_id=endpoint.id))


def _post(endpoint_id: int, do, message: str):
    endpoint = _get(endpoint_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        result = do(endpoint)
    except ServiceError as exc:
        show_refusal(exc)
        return _render(endpoint, status=400)
    db.session.commit()
    if isinstance(result, str):  # a new secret: shown once
        return render_template("webhooks/secret.html", endpoint=endpoint, secret=result)
    flash(message, "success")
    return redirect(url_for("webhooks_admin.endpoint", endpoint_id=endpoint.id))


@bp.post("/<int:endpoint_id>/enable")
def endpoint_enable(endpoint_id: int):
    return _post(endpoint_id, lambda e: services.set_active(e, current_user, True),
                 _("The webhook is enabled; waiting events will be delivered."))


@bp.post("/<int:endpoint_id>/disable")
def endpoint_disable(endpoint_id: int):
    return _post(endpoint_id, lambda e: services.set_active(e, current_user, False),
                 _("The webhook is disabled; events are kept until it is enabled."))


@bp.post("/<int:endpoint_id>/secret")
def endpoint_secret(endpoint_id: int):
    return _post(endpoint_id, lambda e: services.renew_secret(e, current_user), "")


@bp.post("/<int:endpoint_id>/delete")
def endpoint_delete(endpoint_id: int):
    endpoint = _get(endpoint_id)
    if not PostForm().validate_on_submit():
        abort(400)
    services.delete_endpoint(endpoint, current_user)
    db.session.commit()
    flash(_("The webhook was removed."), "success")
    return redirect(url_for("webhooks_admin.endpoints"))
