"""Advice pages (blueprint ``advice``): drafting, issuing, correcting and printing the advice,
its ties to the blockage map, and the team's catalogue. The organisations' follow-through is in
``advice.follow_through.views``. Thin: forms validate, services change state, we commit.
Anything a user may not see is a 404, whatever its id."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from advice import permissions
from advice.closure.models import CaseClosure
from advice.escalation.services import levels_of
from advice.lifecycle import StaleDraft, current_advice, draft_of, versions
from advice.models import (
    Advice,
    AdviceStatus,
    CostSide,
)
from advice.plan.models import AdvicePlan
from advice.plan.services import plan_of
from advice.settings import settings_for
from advice.web import advice_options, get_advice, visible
from casefiles import permissions as case_permissions
from casefiles.web import get_case
from core.db import db
from core.documents import send_document
from core.errors import ServiceError
from core.forms import PostForm
from core.web import audit_read, get_team, posted_version, show_refusal

from . import documents, forms, ties
from .catalogue import add_intervention, add_legal_reference, deactivate_catalogue_entry, update_settings
from .draft_page import DraftPage
from .draft_save import save_draft
from .issuing import canonical_content, correct_advice, issue_advice, verify_hash
from .models import AdviceDocument, Intervention, LegalReference
from .services import TEXT_FIELDS, discard_draft, draft_advice

bp = Blueprint("advice", __name__, url_prefix="/advice", template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""






# --- loading with need-to-know ----------------------------------------------------------------

def _get_shown_advice(advice_id: int) -> tuple[Advice, AdviceDocument | None, CaseClosure | None]:
    """The advice as ``get_advice`` loads it, its actions with their ladder level, for the page
    that shows it (and its printable version): with, in the same statement, what it has one of: who issued it, its plan (with the coordinator), its archive
    copy (without the bytes) and the case's closure."""
    row = db.session.execute(
        sa.select(Advice, AdviceDocument, CaseClosure)
        .outerjoin(AdviceDocument, AdviceDocument.advice_id == Advice.id)
        .outerjoin(CaseClosure, CaseClosure.case_id == Advice.case_id)
        .where(Advice.id == advice_id)
        .options(*advice_options(), sa.orm.joinedload(Advice.issued_by),
                 sa.orm.joinedload(Advice.plan).joinedload(AdvicePlan.coordinator))
    ).unique().one_or_none()
    if row is None:
        abort(404)
    return visible(row[0]), row[1], row[2]


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


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
def edit(case_id: int):
    """The draft editor (chair or secretary): one form that saves everything (texts, legal
    grounds, cost lines, actions, ties to the blockage map) with one button, or saves and issues.
    Without a draft: a button to start it."""
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
        return render_template("advice/drafting/start.html", case=case, form=start)
    if not permissions.can_edit(current_user, advice):
        abort(403)
    page = DraftPage(advice)
    if request.method == "GET":
        audit_read(case, "advice_edit")
        return _render_draft(page, page.form())
    form = page.form(request.form)
    if not form.validate():
        flash(_("Please correct the marked fields. Nothing was saved yet."), "error")
        return _render_draft(page, form, status=400)
    action_needs = page.posted_action_needs(request.form)
    try:
        save_draft(advice, current_user, expected_version=posted_version(form.lock_version.data),
                   texts={f: getattr(form, f).data or "" for f in TEXT_FIELDS},
                   ground_ids=form.grounds.data or [], remove_cost_ids=form.remove_costs.data or [],
                   new_costs=form.new_costs(), remove_action_ids=form.remove_actions.data or [],
                   new_actions=form.new_actions(), need_ids=form.breaks.data if page.has_map else None,
                   action_needs=action_needs, plan_fields=form.plan_fields())
    except StaleDraft as exc:
        # Someone saved in the meantime: show the draft as it is now, and this person's own texts
        # beside it, so nothing typed is lost.
        db.session.rollback()
        show_refusal(exc)
        unsaved = {f: getattr(form, f).data for f in TEXT_FIELDS if (getattr(form, f).data or "").strip()}
        db.session.refresh(advice)
        fresh = DraftPage(advice)
        return _render_draft(fresh, fresh.form(), status=409, unsaved=unsaved)
    except ServiceError as exc:
        db.session.rollback()
        show_refusal(exc)
        db.session.refresh(advice)
        return _render_draft(page, form, status=400)
    db.session.commit()
    if not form.save_issue.data:
        flash(_("The draft was saved."), "success")
        return redirect(url_for("advice.edit", case_id=case.id))
    return _issue(advice, saved=True)


def _render_draft(page: DraftPage, form, *, status: int = 200, unsaved: dict | None = None):
    advice = page.advice
    return render_template("advice/drafting/edit.html", advice=advice, case=advice.case, form=form, page=page,
                           post=PostForm(), unsaved=unsaved or {}), status


def _issue(advice: Advice, *, saved: bool = False):
    """Issue the draft (the chair), or say why not and go back to it."""
    if not permissions.can_issue(current_user, advice):
        if saved:
            flash(_("The draft was saved. The chair issues the advice."), "success")
            return redirect(url_for("advice.edit", case_id=advice.case_id))
        abort(403)
    try:
        issue_advice(advice, current_user)
    except ServiceError as exc:
        db.session.rollback()
        if saved:
            flash(_("The draft was saved."), "success")
        show_refusal(exc)
        return redirect(url_for("advice.edit", case_id=advice.case_id))
    db.session.commit()
    flash(_("The advice has been issued and locked."), "success")
    return redirect(url_for("advice.show", advice_id=advice.id))


@bp.post("/<int:advice_id>/issue")
def issue(advice_id: int):
    advice = get_advice(advice_id)
    if not permissions.can_issue(current_user, advice):
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    return _issue(advice)


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
    return render_template("advice/drafting/correct.html", advice=advice, form=form)


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


def _show_context(advice: Advice, archive: AdviceDocument | None, closure: CaseClosure | None) -> dict:
    """The advice page (and its printable document): one statement per kind of thing shown."""
    # The case's needs are read once: for the page and for the content hash's ties.
    with ties.needs_read_once(advice) as needs:
        hash_ok = verify_hash(advice) if advice.is_locked else None
    return {
        "advice": advice,
        "case": advice.case,
        "versions": versions(advice.case),
        "present": documents.present_at(advice),
        "hash_ok": hash_ok,
        "archive": archive if advice.is_locked else None,
        "sides": list(CostSide),
        "post": PostForm(),
        "closure": closure,
        "plan": plan_of(advice),
        "action_levels": levels_of(advice.actions) if advice.is_locked else {},
        **needs,
    }


@bp.get("/<int:advice_id>")
def show(advice_id: int):
    shown = _get_shown_advice(advice_id)
    advice = shown[0]
    if advice.status == AdviceStatus.DRAFT and permissions.can_edit(current_user, advice):
        return redirect(url_for("advice.edit", case_id=advice.case_id))
    audit_read(advice.case, "advice_show")
    # Whether the owner may close the case asks the database (an open correction): the view asks.
    return render_template("advice/drafting/show.html", **_show_context(*shown),
                           may_close=permissions.can_close(current_user, advice.case))


def print_(advice_id: int):
    shown = _get_shown_advice(advice_id)
    if shown[0].status == AdviceStatus.DRAFT:
        abort(404)
    audit_read(shown[0].case, "advice_print")
    return render_template("advice/drafting/print.html", **_show_context(*shown))


bp.add_url_rule("/<int:advice_id>/print", endpoint="print", view_func=print_)


@bp.get("/<int:advice_id>/advice.pdf")
def pdf(advice_id: int):
    """The issued version's archive copy (PDF/A), byte for byte as it was made at issue."""
    advice = get_advice(advice_id)
    if not advice.is_locked:
        abort(404)
    body = documents.archive_pdf(advice, canonical_content, current_user)
    response = send_document(body, documents.filename(advice))
    audit_read(advice.case, "advice_pdf")  # commits (with a copy made now for an older version)
    return response


# --- the organisations' actions ---------------------------------------------------------------


# --- the team's decisions and the list back on the table ----------------------------------------------


# --- closing and the evaluation ----------------------------------------------------------------


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
                                          is_example=int_form.is_example.data, price_year=int_form.price_year.data)
            elif set_form.save_settings.data and set_form.validate():
                update_settings(team, current_user, reminder_days=set_form.reminder_days.data,
                                         grace_days=set_form.grace_days.data,
                                         ladder={1: set_form.ladder_team_days.data, 2: set_form.ladder_director_days.data,
                                                 3: set_form.ladder_steering_days.data})
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
    return render_template("advice/drafting/catalogue.html", team=team, refs=refs, items=items, ref_form=ref_form,
                           int_form=int_form, set_form=set_form, post=PostForm())


