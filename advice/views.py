"""Advice pages (blueprint ``advice``): drafting, issuing, correcting and printing the advice,
its ties to the blockage map, and the team's catalogue. The organisations' follow-through is in
``advice.follow_through_views``. Thin: forms validate, services change state, we commit.
Anything a user may not see is a 404, whatever its id."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_currency
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casefiles import permissions as case_permissions
from casefiles.blockage import services as blockage
from casefiles.web import get_case
from core.db import db
from core.errors import ServiceError
from core.forms import PostForm
from core.people import committed_organisations
from core.documents import send_document
from core.web import audit_read, get_team, posted_version, show_refusal

from . import documents, forms, permissions, ties
from .catalogue import (
    add_intervention,
    add_legal_reference,
    deactivate_catalogue_entry,
    update_settings,
)
from .closure import closure_of
from .drafting import (
    TEXT_FIELDS,
    add_action,
    add_cost_line,
    add_legal_ground,
    discard_draft,
    draft_advice,
    remove_action,
    remove_cost_line,
    remove_legal_ground,
    update_draft,
)
from .issuing import canonical_content, correct_advice, issue_advice, verify_hash
from .lifecycle import StaleDraft, current_advice, draft_of, settings_for, versions
from .models import Action, Advice, AdviceStatus, CostSide, Intervention, LegalReference

bp = Blueprint("advice", __name__, url_prefix="/advice")


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


@bp.app_template_filter("euros")
def euros(cents: int | None) -> str:
    """Euro cents as a local currency string (computed amounts only)."""
    if cents is None:
        return ""
    return format_currency(cents / 100, "EUR")


@bp.app_context_processor
def _globals():
    return {"advice_perms": permissions, "need_tie_form": _tie_form}


# --- loading with need-to-know ----------------------------------------------------------------

def get_advice(advice_id: int) -> Advice:
    advice = db.session.get(
        Advice, advice_id,
        # One statement for the advice, its case, legal grounds and cost lines (a few each), one
        # for its actions with their organisations: the page's statements do not grow with them.
        options=[sa.orm.joinedload(Advice.case), sa.orm.joinedload(Advice.meeting), sa.orm.joinedload(Advice.legal_grounds),
                 sa.orm.joinedload(Advice.cost_lines),
                 sa.orm.selectinload(Advice.actions).joinedload(Action.organisation)],
    )
    if advice is None or not permissions.can_view_advice(current_user, advice):
        abort(404)
    return advice


# --- the advice -------------------------------------------------------------------------------

@bp.get("/cases/<int:case_id>")
def case(case_id: int):
    """The case's advice: the version in force, else the draft (team), else nothing yet."""
    case = get_case(case_id)
    current = current_advice(case)
    if current is not None:
        return redirect(url_for("advice.show", advice_id=current.id))
    if case_permissions.can_view_queue(current_user, case.team_id) and (
        draft_of(case) is not None or permissions.can_draft(current_user, case)
    ):
        return redirect(url_for("advice.edit", case_id=case.id))
    flash(_("There is no advice on this case yet."), "info")
    return redirect(url_for("casefiles.detail", case_id=case.id))


def _edit_forms(advice: Advice):
    team = advice.case.team
    text = forms.AdviceTextForm(prefix="t")
    ground = forms.GroundForm(prefix="g")
    cost = forms.CostLineForm(prefix="c")
    action = forms.ActionForm(prefix="a")
    refs = db.session.scalars(sa.select(LegalReference).where(
        LegalReference.team_id == team.id, LegalReference.active.is_(True)).order_by(LegalReference.law, LegalReference.article)).all()
    ground.legal_reference.choices = [(r.id, r.title) for r in refs]
    items = db.session.scalars(sa.select(Intervention).where(
        Intervention.team_id == team.id, Intervention.active.is_(True)).order_by(Intervention.name)).all()
    cost.intervention.choices = [(0, _("— entered by hand —"))] + [
        (i.id, f"{i.name} ({euros(i.unit_cost_cents)} {i.unit})") for i in items
    ]
    action.organisation.choices = [(o.id, o.name) for o in committed_organisations(team)]
    return text, ground, cost, action


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
def edit(case_id: int):
    """The draft editor (chair or secretary). Without a draft: a button to start it."""
    case = get_case(case_id)
    advice = draft_of(case)
    if advice is None:
        if not permissions.can_draft(current_user, case):
            abort(404 if not case_permissions.can_view_queue(current_user, case.team_id) else 403)
        start = PostForm()
        if start.validate_on_submit():
            try:
                advice = draft_advice(case, current_user)
            except ServiceError as exc:
                show_refusal(exc)
            else:
                db.session.commit()
                flash(_("The draft advice has been started."), "success")
                return redirect(url_for("advice.edit", case_id=case.id))
        audit_read(case, "advice_start")
        return render_template("advice/start.html", case=case, form=start)
    if not permissions.can_edit(current_user, advice):
        abort(403)
    text, ground, cost, action = _edit_forms(advice)
    if request.method == "POST":
        try:
            if text.save.data and text.validate():
                update_draft(advice, current_user, expected_version=posted_version(text.lock_version.data),
                                      **{f: getattr(text, f).data or "" for f in TEXT_FIELDS})
                flash(_("The texts were saved."), "success")
            elif ground.add_ground.data and ground.validate():
                add_legal_ground(advice, current_user, ground.legal_reference.data)
            elif cost.add_cost.data and cost.validate():
                add_cost_line(advice, current_user, side=cost.side.data, quantity=cost.quantity.data,
                                       intervention_id=cost.intervention.data or None, name=cost.name.data or "",
                                       unit_cost=cost.unit_cost.data, unit=cost.unit.data or "",
                                       source=cost.source.data or "")
            elif action.add_action.data and action.validate():
                add_action(advice, current_user, organisation_id=action.organisation.data,
                                    description=action.description.data, deadline=action.deadline.data)
            else:
                flash(_("Please correct the marked fields."), "error")
                return render_template("advice/edit.html", advice=advice, case=case, text=text, ground=ground,
                                       cost=cost, action=action, post=PostForm()), 400
        except StaleDraft as exc:
            show_refusal(exc)
        except ServiceError as exc:
            show_refusal(exc)
            return render_template("advice/edit.html", advice=advice, case=case, text=text, ground=ground,
                                   cost=cost, action=action, post=PostForm()), 400
        else:
            db.session.commit()
        return redirect(url_for("advice.edit", case_id=case.id))
    for name in TEXT_FIELDS:
        getattr(text, name).data = getattr(advice, name)
    text.lock_version.data = str(advice.lock_version)
    audit_read(case, "advice_edit")
    return render_template("advice/edit.html", advice=advice, case=case, text=text, ground=ground, cost=cost,
                           action=action, post=PostForm())


@bp.post("/<int:advice_id>/remove/<kind>/<int:item_id>")
def remove(advice_id: int, kind: str, item_id: int):
    advice = get_advice(advice_id)
    if not permissions.can_edit(current_user, advice):
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    remover = {"ground": remove_legal_ground, "cost": remove_cost_line,
               "action": remove_action}.get(kind)
    if remover is None:
        abort(404)
    try:
        remover(advice, current_user, item_id)
    except ServiceError as exc:
        show_refusal(exc)
    else:
        db.session.commit()
    return redirect(url_for("advice.edit", case_id=advice.case_id))


@bp.post("/<int:advice_id>/issue")
def issue(advice_id: int):
    advice = get_advice(advice_id)
    if not permissions.can_issue(current_user, advice):
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        issue_advice(advice, current_user)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("advice.edit", case_id=advice.case_id))
    db.session.commit()
    flash(_("The advice has been issued and locked."), "success")
    return redirect(url_for("advice.show", advice_id=advice.id))


@bp.route("/<int:advice_id>/correct", methods=["GET", "POST"])
def correct(advice_id: int):
    advice = get_advice(advice_id)
    if not permissions.can_correct(current_user, advice):
        abort(403)
    form = forms.ReasonForm()
    if form.validate_on_submit():
        try:
            correct_advice(advice, current_user, reason=form.reason.data)
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("A correction has been started as a new version."), "success")
            return redirect(url_for("advice.edit", case_id=advice.case_id))
    return render_template("advice/correct.html", advice=advice, form=form)


@bp.post("/<int:advice_id>/discard")
def discard(advice_id: int):
    advice = get_advice(advice_id)
    if not permissions.can_edit(current_user, advice):
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    case_id = advice.case_id
    try:
        discard_draft(advice, current_user)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("advice.edit", case_id=case_id))
    db.session.commit()
    flash(_("The correction draft was discarded."), "success")
    return redirect(url_for("advice.case", case_id=case_id))


_present = documents.present_at


def _show_context(advice: Advice) -> dict:
    return {
        "advice": advice,
        "case": advice.case,
        "versions": versions(advice.case),
        "present": _present(advice),
        "hash_ok": verify_hash(advice) if advice.is_locked else None,
        "archive": documents.archive_copy(advice) if advice.is_locked else None,
        "sides": list(CostSide),
        "post": PostForm(),
        "closure": closure_of(advice.case),
        **ties.needs_on_page(advice),
    }


@bp.get("/<int:advice_id>")
def show(advice_id: int):
    advice = get_advice(advice_id)
    if advice.status == AdviceStatus.DRAFT and permissions.can_edit(current_user, advice):
        return redirect(url_for("advice.edit", case_id=advice.case_id))
    audit_read(advice.case, "advice_show")
    return render_template("advice/show.html", **_show_context(advice))


def print_(advice_id: int):
    advice = get_advice(advice_id)
    if advice.status == AdviceStatus.DRAFT:
        abort(404)
    audit_read(advice.case, "advice_print")
    return render_template("advice/print.html", **_show_context(advice))


bp.add_url_rule("/<int:advice_id>/print", endpoint="print", view_func=print_)


@bp.get("/<int:advice_id>/advice.pdf")
def pdf(advice_id: int):
    """The issued version's archive copy (PDF/A), byte for byte as it was made at issue."""
    advice = get_advice(advice_id)
    if not advice.is_locked:
        abort(404)
    body = documents.archive_pdf(advice, canonical_content, current_user)
    audit_read(advice.case, "advice_pdf")  # commits (with a copy made now for an older version)
    return send_document(body, documents.filename(advice))


# --- ties to the blockage map -----------------------------------------------------------------

def _tie_form(advice):
    """The form on the advice draft page (None when the case has no needs)."""
    bmap = blockage.blockage_map(advice.case)
    if not bmap:
        return None
    form = forms.TieForm(prefix="tie")
    form.needs.choices = [(n.id, n.title) for n in bmap.needs]
    if request.endpoint != "advice.need_ties":
        form.needs.data = [n.id for n in ties.broken_needs(advice)]
    return form


@bp.post("/<int:advice_id>/needs")
def need_ties(advice_id: int):
    advice = db.session.get(Advice, advice_id)
    if advice is None:
        abort(404)
    case = get_case(advice.case_id)
    if not permissions.can_edit(current_user, advice):
        abort(404 if not permissions.can_view_advice(current_user, advice) else 403)
    form = _tie_form(advice)
    if form is None or not form.validate_on_submit():
        abort(400)
    valid = {n.id for n in blockage.needs_of(case)}
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
        ties.tie_needs(advice, current_user, need_ids=form.needs.data or [], action_needs=action_needs)
    except ServiceError as exc:
        show_refusal(exc)
    else:
        db.session.commit()
        flash(_("The ties to the blockage map were saved."), "success")
    return redirect(url_for("advice.edit", case_id=case.id))


# --- the organisations' actions ---------------------------------------------------------------


# --- the team's decisions and the follow-up list ----------------------------------------------


# --- closing and the follow-up ----------------------------------------------------------------


# --- overviews and catalogue ------------------------------------------------------------------


@bp.route("/teams/<int:team_id>/catalogue", methods=["GET", "POST"])
def catalogue(team_id: int):
    team = get_team(team_id)
    if not permissions.can_maintain_catalogue(current_user, team.id):
        abort(404)
    ref_form = forms.LegalReferenceForm(prefix="l")
    int_form = forms.InterventionForm(prefix="i")
    settings = settings_for(team.id)
    set_form = forms.SettingsForm(prefix="s", obj=settings if request.method == "GET" else None)
    if request.method == "POST":
        try:
            if ref_form.add_reference.data and ref_form.validate():
                add_legal_reference(team, current_user, law=ref_form.law.data, article=ref_form.article.data,
                                             note=ref_form.note.data, url=ref_form.url.data)
            elif int_form.add_intervention.data and int_form.validate():
                add_intervention(team, current_user, name=int_form.name.data, unit_cost=int_form.unit_cost.data,
                                          unit=int_form.unit.data, source=int_form.source.data,
                                          is_example=int_form.is_example.data)
            elif set_form.save_settings.data and set_form.validate():
                update_settings(team, current_user, reminder_days=set_form.reminder_days.data,
                                         grace_days=set_form.grace_days.data)
            elif request.form.get("deactivate") and PostForm().validate():
                kind, _sep, entry_id = request.form["deactivate"].partition(":")
                deactivate_catalogue_entry(team, current_user, kind, posted_version(entry_id))
            else:
                flash(_("Please correct the marked fields."), "error")
                return _render_catalogue(team, ref_form, int_form, set_form), 400
        except ServiceError as exc:
            show_refusal(exc)
            return _render_catalogue(team, ref_form, int_form, set_form), 400
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("advice.catalogue", team_id=team.id))
    return _render_catalogue(team, ref_form, int_form, set_form)


def _render_catalogue(team, ref_form, int_form, set_form):
    refs = db.session.scalars(sa.select(LegalReference).where(LegalReference.team_id == team.id, LegalReference.active.is_(True))
                              .order_by(LegalReference.law, LegalReference.article)).all()
    items = db.session.scalars(sa.select(Intervention).where(Intervention.team_id == team.id, Intervention.active.is_(True))
                               .order_by(Intervention.name)).all()
    return render_template("advice/catalogue.html", team=team, refs=refs, items=items, ref_form=ref_form,
                           int_form=int_form, set_form=set_form, post=PostForm())


