"""Pages of the blockage map, on the casefiles blueprint. Thin: forms validate, services change,
we commit. The map itself is drawn by templates/casefiles/_blockage_map.html, included on the case
page and the live meeting page (the ``blockage_map_for`` template helper checks need-to-know)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.db import db
from core.errors import ServiceError
from core.web import show_refusal

from . import needs_services as ns
from .blockage_svg import drawing as svg_drawing
from .blockage_svg import render as render_svg
from .needs import Need, NeedLink, NeedStatus
from .needs_forms import LinkForm, NeedForm, PostForm, TieForm
from .views import _organisations_for, bp, get_case


def _map_or_none(case):
    if case is None or not ns.can_view_map(current_user, case):
        return None
    return ns.blockage_map(case)


@bp.app_context_processor
def _blockage_globals():
    return {
        "blockage_map_for": _map_or_none,
        "blockage_svg_data": lambda bmap, prefix="bm": svg_drawing(bmap, id_prefix=prefix),
        "can_edit_map": lambda case: ns.can_edit_map(current_user, case),
        "need_tie_form": _tie_form,
    }


def _require_edit(case) -> None:
    if not ns.can_edit_map(current_user, case):
        abort(403)


def _need_form(case, need: Need | None = None) -> NeedForm:
    form = NeedForm(obj=None if need is None or request.method == "POST" else need, prefix="n")
    form.decided_by.choices = [(0, _("— nobody / not known —"))] + [(o.id, o.name) for o in _organisations_for(case.team)]
    if need is not None and request.method != "POST":
        form.decided_by.data = need.decided_by_id or 0
        form.status.data = need.status.value
    return form


def _link_form(bmap) -> LinkForm:
    form = LinkForm(prefix="l")
    choices = [(n.id, n.title) for n in bmap.needs]
    form.need.choices = choices
    form.waits_for.choices = choices
    return form


def _get_need(need_id: int) -> tuple[Need, object]:
    need = db.session.get(Need, need_id)
    if need is None:
        abort(404)
    return need, get_case(need.case_id)


def _manage_page(case, *, need_form=None, link_form=None, status=200):
    bmap = ns.blockage_map(case)
    return render_template(
        "casefiles/needs.html", case=case, bmap=bmap, need_form=need_form or _need_form(case),
        link_form=link_form or _link_form(bmap), post=PostForm(),
    ), status


@bp.get("/cases/<int:case_id>/needs")
def needs(case_id: int):
    case = get_case(case_id)
    _require_edit(case)
    return _manage_page(case)


def _done(case, message: str | None = None):
    db.session.commit()
    if message:
        flash(message, "success")
    return redirect(url_for("casefiles.needs", case_id=case.id))


def _freed_message(freed: list[Need]) -> str | None:
    if not freed:
        return None
    return _("Free now: %(needs)s.", needs=", ".join(n.title for n in freed))


@bp.post("/cases/<int:case_id>/needs/add")
def need_add(case_id: int):
    case = get_case(case_id)
    _require_edit(case)
    form = _need_form(case)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _manage_page(case, need_form=form, status=400)
    try:
        ns.add_need(case, current_user, title=form.title.data, decided_by_id=form.decided_by.data or None,
                    rule=form.rule.data or "", status=form.status.data)
    except ServiceError as exc:
        show_refusal(exc)
        return _manage_page(case, need_form=form, status=400)
    return _done(case, _("The need was added."))


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
def need_edit(need_id: int):
    need, case = _get_need(need_id)
    _require_edit(case)
    form = _need_form(case, need)
    remove = PostForm()
    if request.method == "POST":
        if request.form.get("remove") == "1":
            if not remove.validate_on_submit():
                abort(400)
            try:
                ns.remove_need(need, current_user)
            except ServiceError as exc:
                show_refusal(exc)
                return redirect(url_for("casefiles.need_edit", need_id=need_id))
            return _done(case, _("The need was removed."))
        if form.validate_on_submit():
            try:
                freed = ns.update_need(need, current_user, title=form.title.data,
                                       decided_by_id=form.decided_by.data or None, rule=form.rule.data or "",
                                       status=form.status.data)
            except ServiceError as exc:
                show_refusal(exc)
            else:
                db.session.commit()
                flash(_("The need was saved."), "success")
                message = _freed_message(freed)
                if message:
                    flash(message, "success")
                return redirect(url_for("casefiles.needs", case_id=case.id))
    return render_template("casefiles/needs_edit.html", case=case, need=need, form=form, remove=remove)


@bp.post("/cases/<int:case_id>/needs/link")
def need_link(case_id: int):
    case = get_case(case_id)
    _require_edit(case)
    bmap = ns.blockage_map(case)
    form = _link_form(bmap)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _manage_page(case, link_form=form, status=400)
    try:
        ns.link_needs(bmap.by_id[form.need.data], bmap.by_id[form.waits_for.data], current_user,
                      reason=form.reason.data)
    except ServiceError as exc:
        show_refusal(exc)
        return _manage_page(case, link_form=form, status=400)
    return _done(case, _("The arrow was added."))


@bp.post("/need-links/<int:link_id>/unlink")
def need_unlink(link_id: int):
    link = db.session.get(NeedLink, link_id)
    if link is None:
        abort(404)
    case = get_case(link.need.case_id)
    _require_edit(case)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        ns.unlink(link, current_user)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("casefiles.needs", case_id=case.id))
    return _done(case, _("The arrow was removed."))


@bp.get("/cases/<int:case_id>/blockage-map.svg")
def map_svg(case_id: int):
    """The map alone, e.g. to download or print it."""
    case = get_case(case_id)
    bmap = ns.blockage_map(case)
    response = Response(render_svg(bmap), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="{case.reference}-blockage-map.svg"'
    return response


# --- ties of the draft advice -----------------------------------------------------------------

def _tie_form(advice):
    """The form on the advice draft page (None when the case has no needs)."""
    bmap = ns.blockage_map(advice.case)
    if not bmap:
        return None
    form = TieForm(prefix="tie")
    form.needs.choices = [(n.id, n.title) for n in bmap.needs]
    if request.endpoint != "casefiles.need_ties":
        form.needs.data = [n.id for n in ns.broken_needs(advice)]
    return form


@bp.post("/advice/<int:advice_id>/needs")
def need_ties(advice_id: int):
    from advice import permissions as advice_permissions
    from advice.models import Advice

    advice = db.session.get(Advice, advice_id)
    if advice is None:
        abort(404)
    case = get_case(advice.case_id)
    if not advice_permissions.can_edit(current_user, advice):
        abort(404 if not advice_permissions.can_view_advice(current_user, advice) else 403)
    form = _tie_form(advice)
    if form is None or not form.validate_on_submit():
        abort(400)
    valid = {n.id for n in ns.needs_of(case)}
    action_needs: dict[int, int | None] = {}
    for action in advice.actions:
        raw = request.form.get(f"tie-action-{action.id}", "")
        if raw == "":
            action_needs[action.id] = None
        elif raw.isdigit() and int(raw) in valid:
            action_needs[action.id] = int(raw)
        else:
            abort(400)
    try:
        ns.tie_needs(advice, current_user, need_ids=form.needs.data or [], action_needs=action_needs)
    except ServiceError as exc:
        show_refusal(exc)
    else:
        db.session.commit()
        flash(_("The ties to the blockage map were saved."), "success")
    return redirect(url_for("advice.edit", case_id=case.id))


STATUS_CHOICES = list(NeedStatus)
