"""Pages of the blockage map (blueprint ``blockage``). Thin: forms validate, services change,
we commit. The map itself is drawn by ``casefiles/blockage/_map.html``: on its own page, and by
``map_section`` (after need-to-know) in the case page's slot and on the live meeting page."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casefiles.web import get_case
from core.db import db
from core.documents import send_document
from core.errors import ServiceError
from core.forms import PostForm
from core.slots import render_partial
from core.web import show_refusal

from . import permissions, services
from .forms import LinkForm, NeedForm
from .models import Need, NeedLink
from .svg import drawing as svg_drawing
from .svg import render as render_svg

bp = Blueprint("blockage", __name__, template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page of the blockage map needs a signed-in user."""


def _request_map(case):
    """The case's map, read once per request: the manage page and the map it includes share it."""
    maps = g.setdefault("blockage_maps", {})
    if case.id not in maps:
        maps[case.id] = services.blockage_map(case)
    return maps[case.id]


def _map_or_none(case):
    if case is None or not permissions.can_view_map(current_user, case):
        return None
    return _request_map(case)


def template_globals() -> dict:
    """The map's drawing from a loaded map (no statement: the map is loaded with its needs)."""
    return {"blockage_svg_data": lambda bmap, prefix="bm": svg_drawing(bmap, id_prefix=prefix)}


def map_section(case, **_context):
    """The case's blockage map on a page that shows the case (the case page's slot
    ``after_story``; the live meeting, a layer above, calls it); nothing for who may not read
    the case."""
    bmap = _map_or_none(case)
    if bmap is None:
        return None
    return render_partial("casefiles/blockage/_map.html", case=case, bmap=bmap,
                          can_edit=permissions.can_edit_map(current_user, case))


def _require_edit(case) -> None:
    if not permissions.can_edit_map(current_user, case):
        abort(403)


def _need_form(case, need: Need | None = None) -> NeedForm:
    form = NeedForm(obj=None if need is None or request.method == "POST" else need, prefix="n")
    form.decided_by.choices = [(0, _("— nobody / not known —")), *services.decider_choices(case.team_id)]
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
    bmap = _request_map(case)
    return render_template(
        "casefiles/blockage/needs.html", case=case, bmap=bmap, can_edit=permissions.can_edit_map(current_user, case),
        need_form=need_form or _need_form(case),
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
    return redirect(url_for("blockage.needs", case_id=case.id))


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
        services.add_need(case, current_user, title=form.title.data, decided_by_id=form.decided_by.data or None,
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
                services.remove_need(need, current_user)
            except ServiceError as exc:
                show_refusal(exc)
                return redirect(url_for("blockage.need_edit", need_id=need_id))
            return _done(case, _("The need was removed."))
        if form.validate_on_submit():
            try:
                freed = services.update_need(need, current_user, title=form.title.data,
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
                return redirect(url_for("blockage.needs", case_id=case.id))
    return render_template("casefiles/blockage/need_edit.html", case=case, need=need, form=form, remove=remove)


@bp.post("/cases/<int:case_id>/needs/link")
def need_link(case_id: int):
    case = get_case(case_id)
    _require_edit(case)
    bmap = services.blockage_map(case)
    form = _link_form(bmap)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _manage_page(case, link_form=form, status=400)
    try:
        services.link_needs(bmap.by_id[form.need.data], bmap.by_id[form.waits_for.data], current_user,
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
        services.unlink(link, current_user)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("blockage.needs", case_id=case.id))
    return _done(case, _("The arrow was removed."))


@bp.get("/cases/<int:case_id>/blockage-map.svg")
def map_svg(case_id: int):
    """The map alone, e.g. to download or print it."""
    case = get_case(case_id)
    bmap = services.blockage_map(case)
    return send_document(render_svg(bmap).encode(), f"{case.reference}-blockage-map.svg", "image/svg+xml", inline=True)
