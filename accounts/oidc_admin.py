"""The administrator's view of sign-in through identity providers (blueprint ``oidc_admin``):
the configured providers without their secrets, and a person's links, which can be removed.

Removing a link is a sensitive step (re-authentication, see ``init_app`` in ``accounts``): it
ends the person's sessions, and their next sign-in through the provider links again by verified
e-mail address.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import audit
from core.db import db
from core.forms import PostForm
from core.models import User
from core.permissions import is_admin
from core.web import require

from . import oidc
from .oidc_models import IdentityLink

bp = Blueprint("oidc_admin", __name__, url_prefix="/admin/sign-in", template_folder="templates")


@bp.before_request
@login_required
def require_admin_page():
    require(is_admin(current_user))


@bp.get("/")
def providers():
    """Every configured provider (no secrets) with its number of linked people."""
    counts = dict(db.session.execute(
        sa.select(IdentityLink.provider, sa.func.count()).group_by(IdentityLink.provider)
    ).all())
    return render_template("accounts/admin/oidc_providers.html",
                           providers=[p.public() for p in oidc.sign_in_providers()], counts=counts,
                           redirect_uris={p.name: oidc.redirect_uri(p) for p in oidc.sign_in_providers()})


@bp.get("/people/<int:user_id>")
def person(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    links = db.session.scalars(
        sa.select(IdentityLink).where(IdentityLink.user_id == user.id).order_by(IdentityLink.linked_at)
    ).all()
    names = {p.name: p.display_name for p in oidc.sign_in_providers()}
    return render_template("accounts/admin/oidc_person.html", user=user, links=links, names=names, form=PostForm())


@bp.post("/links/<int:link_id>/remove")
def link_remove(link_id: int):
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    link = db.session.get(IdentityLink, link_id)
    if link is None:
        abort(404)
    user = link.user
    audit.record("user.identity_unlink", object_type="user", object_id=user.id, actor=current_user,
                 details={"provider": link.provider, "link": link.id})
    db.session.delete(link)
    if user.id != current_user.id:
        user.session_version += 1  # the person's sessions end with the link
    db.session.commit()
    flash(_("The link has been removed. At the next sign-in through the provider, the account is linked again by its verified e-mail address."), "success")
    return redirect(url_for("oidc_admin.person", user_id=user.id))
