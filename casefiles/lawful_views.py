"""The team's list of legal grounds (blueprint ``lawful_basis``): the chair or secretary keeps it."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.db import db
from core.errors import ServiceError
from core.forms import PostForm
from core.routing import parse_id
from core.web import get_team, posted_version, show_refusal

from . import lawful_basis, permissions
from .lawful_forms import LegalBasisForm

bp = Blueprint("lawful_basis", __name__, url_prefix="/legal-grounds", template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    return None


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
def catalogue(team_id: int):
    team = get_team(team_id)
    if not permissions.can_maintain_legal_bases(current_user, team.id):
        abort(404)
    if lawful_basis.ensure_list(team.id):
        db.session.commit()
    form = LegalBasisForm()
    if request.method == "POST":
        try:
            if request.form.get("deactivate") and PostForm().validate():
                lawful_basis.deactivate_basis(team, current_user, posted_version(request.form["deactivate"]))
            elif form.save.data and form.validate():
                lawful_basis.save_basis(team, current_user, statute=form.statute.data, article=form.article.data,
                                        allows=form.allows.data, status=form.status.data, source_url=form.source_url.data,
                                        basis_id=parse_id(form.basis_id.data))
            else:
                flash(_("Please correct the marked fields."), "error")
                return _render(team, form), 400
        except ServiceError as exc:
            show_refusal(exc)
            return _render(team, form), 400
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("lawful_basis.catalogue", team_id=team.id))
    edit_id = parse_id(request.args.get("edit"))
    if edit_id is not None:
        basis = next((b for b in lawful_basis.bases(team.id) if b.id == edit_id), None)
        if basis is not None:
            form = LegalBasisForm(obj=basis, basis_id=str(basis.id), status=basis.status.value)
    return _render(team, form)


def _render(team, form):
    return render_template("casefiles/legal_grounds.html", team=team, bases=lawful_basis.bases(team.id), form=form,
                           post=PostForm())
