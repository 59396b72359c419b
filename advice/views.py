"""Advice pages: drafting, issuing, correcting and printing the advice; the organisations'
action pages; the overviews; closing and following up the case. Thin: forms validate, services
change state, we commit. Anything a user may not see is a 404, whatever its id."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_currency
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casefiles import permissions as case_permissions
from casefiles.blockage import services as blockage
from casefiles.models import Case
from casefiles.web import get_case
from core import privacy
from core.clock import team_today
from core.db import db
from core.errors import ServiceError
from core.forms import PostForm
from core.models import Role, Team
from core.people import committed_organisations
from core.web import get_team, show_refusal
from meeting.models import Attendance, AttendanceStatus, Meeting

from . import forms, overview, permissions, services, ties, tokens
from .models import (
    Action,
    Advice,
    AdviceStatus,
    CaseClosure,
    CostSide,
    Intervention,
    LegalReference,
    TeamDecision,
)

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
    return {"advice_perms": permissions, "advice_follow_up_items": _follow_up_for_meeting, "need_tie_form": _tie_form}


def _follow_up_for_meeting(meeting: Meeting):
    """For the meeting page's include: the follow-up items, if the viewer is on the team."""
    if not case_permissions.can_view_queue(current_user, meeting.team_id):
        return None
    return services.follow_up_items(meeting.team, meeting)


# --- loading with need-to-know ----------------------------------------------------------------

def get_advice(advice_id: int) -> Advice:
    advice = db.session.get(
        Advice, advice_id,
        options=[sa.orm.selectinload(Advice.actions).joinedload(Action.organisation),
                 sa.orm.selectinload(Advice.legal_grounds), sa.orm.selectinload(Advice.cost_lines)],
    )
    if advice is None or not permissions.can_view_advice(current_user, advice):
        abort(404)
    return advice


def get_action(action_id: int) -> Action:
    action = db.session.get(Action, action_id)
    if action is None or not permissions.can_view_action(current_user, action):
        abort(404)
    return action


def _read(case: Case, what: str) -> None:
    """Audit a read of the case's content on an advice page (BIO 8.15.01)."""
    privacy.record_read(case, current_user, what)
    privacy.commit_read()


def _version(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        abort(400)


# --- the advice -------------------------------------------------------------------------------

@bp.get("/cases/<int:case_id>")
def case(case_id: int):
    """The case's advice: the version in force, else the draft (team), else nothing yet."""
    case = get_case(case_id)
    current = services.current_advice(case)
    if current is not None:
        return redirect(url_for("advice.show", advice_id=current.id))
    if case_permissions.can_view_queue(current_user, case.team_id) and (
        services.draft_of(case) is not None or permissions.can_draft(current_user, case)
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
    advice = services.draft_of(case)
    if advice is None:
        if not permissions.can_draft(current_user, case):
            abort(404 if not case_permissions.can_view_queue(current_user, case.team_id) else 403)
        start = PostForm()
        if start.validate_on_submit():
            try:
                advice = services.draft_advice(case, current_user)
            except ServiceError as exc:
                show_refusal(exc)
            else:
                db.session.commit()
                flash(_("The draft advice has been started."), "success")
                return redirect(url_for("advice.edit", case_id=case.id))
        _read(case, "advice_start")
        return render_template("advice/start.html", case=case, form=start)
    if not permissions.can_edit(current_user, advice):
        abort(403)
    text, ground, cost, action = _edit_forms(advice)
    if request.method == "POST":
        try:
            if text.save.data and text.validate():
                services.update_draft(advice, current_user, expected_version=_version(text.lock_version.data),
                                      **{f: getattr(text, f).data or "" for f in services.TEXT_FIELDS})
                flash(_("The texts were saved."), "success")
            elif ground.add_ground.data and ground.validate():
                services.add_legal_ground(advice, current_user, ground.legal_reference.data)
            elif cost.add_cost.data and cost.validate():
                services.add_cost_line(advice, current_user, side=cost.side.data, quantity=cost.quantity.data,
                                       intervention_id=cost.intervention.data or None, name=cost.name.data or "",
                                       unit_cost=cost.unit_cost.data, unit=cost.unit.data or "",
                                       source=cost.source.data or "")
            elif action.add_action.data and action.validate():
                services.add_action(advice, current_user, organisation_id=action.organisation.data,
                                    description=action.description.data, deadline=action.deadline.data)
            else:
                flash(_("Please correct the marked fields."), "error")
                return render_template("advice/edit.html", advice=advice, case=case, text=text, ground=ground,
                                       cost=cost, action=action, post=PostForm()), 400
        except services.StaleDraft as exc:
            show_refusal(exc)
        except ServiceError as exc:
            show_refusal(exc)
            return render_template("advice/edit.html", advice=advice, case=case, text=text, ground=ground,
                                   cost=cost, action=action, post=PostForm()), 400
        else:
            db.session.commit()
        return redirect(url_for("advice.edit", case_id=case.id))
    for name in services.TEXT_FIELDS:
        getattr(text, name).data = getattr(advice, name)
    text.lock_version.data = str(advice.lock_version)
    _read(case, "advice_edit")
    return render_template("advice/edit.html", advice=advice, case=case, text=text, ground=ground, cost=cost,
                           action=action, post=PostForm())


@bp.post("/<int:advice_id>/remove/<kind>/<int:item_id>")
def remove(advice_id: int, kind: str, item_id: int):
    advice = get_advice(advice_id)
    if not permissions.can_edit(current_user, advice):
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    remover = {"ground": services.remove_legal_ground, "cost": services.remove_cost_line,
               "action": services.remove_action}.get(kind)
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
        services.issue_advice(advice, current_user)
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
            services.correct_advice(advice, current_user, reason=form.reason.data)
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
        services.discard_draft(advice, current_user)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("advice.edit", case_id=case_id))
    db.session.commit()
    flash(_("The correction draft was discarded."), "success")
    return redirect(url_for("advice.case", case_id=case_id))


def _present(advice: Advice) -> list[tuple[str, str]]:
    """Who was present at the meeting (name, deputy name)."""
    if advice.meeting_id is None:
        return []
    rows = db.session.scalars(
        sa.select(Attendance).where(Attendance.meeting_id == advice.meeting_id,
                                    Attendance.status.in_([AttendanceStatus.PRESENT, AttendanceStatus.DEPUTY]))
        .options(sa.orm.joinedload(Attendance.user))
    ).all()
    return sorted((a.user.name, a.deputy_name if a.status == AttendanceStatus.DEPUTY else "") for a in rows)


def _show_context(advice: Advice) -> dict:
    return {
        "advice": advice,
        "case": advice.case,
        "versions": services.versions(advice.case),
        "present": _present(advice),
        "hash_ok": services.verify_hash(advice) if advice.is_locked else None,
        "sides": list(CostSide),
        "post": PostForm(),
        "closure": services.closure_of(advice.case),
        "broken_needs": ties.broken_needs(advice),
        "need_titles": {n.id: n.title for n in blockage.needs_of(advice.case)},
    }


@bp.get("/<int:advice_id>")
def show(advice_id: int):
    advice = get_advice(advice_id)
    if advice.status == AdviceStatus.DRAFT and permissions.can_edit(current_user, advice):
        return redirect(url_for("advice.edit", case_id=advice.case_id))
    _read(advice.case, "advice_show")
    return render_template("advice/show.html", **_show_context(advice))


def print_(advice_id: int):
    advice = get_advice(advice_id)
    if advice.status == AdviceStatus.DRAFT:
        abort(404)
    _read(advice.case, "advice_print")
    return render_template("advice/print.html", **_show_context(advice))


bp.add_url_rule("/<int:advice_id>/print", endpoint="print", view_func=print_)


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

def _contact_org_ids() -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for m in current_user.memberships:
        if m.active and m.role == Role.ORG_CONTACT and m.organisation_id is not None:
            out.setdefault(m.team_id, set()).add(m.organisation_id)
    return out


@bp.get("/actions")
def actions():
    """A contact's home: their organisations' actions across cases, and their figures."""
    pairs = _contact_org_ids()
    if not pairs:
        abort(404)
    rows = services.contact_actions(current_user)
    today = date.today()
    figures = []
    for team_id, org_ids in sorted(pairs.items()):
        figures += overview.figures(team_id, today, organisation_ids=org_ids)
    return render_template("advice/actions.html", groups=services.group_for_contact(rows, today), today=today,
                           figures=figures)


def _action_forms(action: Action):
    version = str(action.version)
    confirm = forms.VersionForm(prefix="c", version=version)
    done = forms.DoneForm(prefix="d", version=version)
    refuse = forms.RefuseForm(prefix="r", version=version)
    return confirm, done, refuse


def _render_action(action: Action, confirm=None, done=None, refuse=None, status: int = 200):
    defaults = _action_forms(action)
    confirm, done, refuse = confirm or defaults[0], done or defaults[1], refuse or defaults[2]
    if request.method == "GET" and done.done_on.data is None:
        done.done_on.data = date.today()
    template = "advice/action.html"
    return render_template(template, action=action, advice=action.advice, case=action.advice.case,
                           confirm=confirm, done=done, refuse=refuse, today=date.today(),
                           is_contact=permissions.is_contact_for(current_user, action)), status


@bp.get("/actions/<int:action_id>")
def action(action_id: int):
    action = get_action(action_id)
    if not permissions.is_contact_for(current_user, action):
        # Team members and the owner read the action in the advice itself.
        return redirect(url_for("advice.show", advice_id=action.advice_id) + f"#action-{action.id}")
    _read(action.advice.case, "action")  # the minimum of case context, but still case content
    return _render_action(action)


def _act(action_id: int, form_cls, prefix: str, do):
    action = db.session.get(Action, action_id)
    if action is None or not permissions.is_contact_for(current_user, action) or action.advice.status == AdviceStatus.DRAFT:
        abort(404)
    form = form_cls(prefix=prefix)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("Please correct the marked fields."), "error")
        return _render_action(action, **{{"c": "confirm", "d": "done", "r": "refuse"}[prefix]: form}, status=400)
    try:
        message = do(action, form, _version(form.version.data))
    except services.StaleAction as exc:
        db.session.rollback()
        db.session.refresh(action)
        flash(exc.message, "error")
        return _render_action(action, status=409)
    except ServiceError as exc:
        show_refusal(exc)
        return _render_action(action, status=400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("advice.action", action_id=action.id))


@bp.post("/actions/<int:action_id>/confirm")
def confirm(action_id: int):
    def do(action, form, version):
        services.confirm_action(action, current_user, expected_version=version)
        return _("Thank you: the action is confirmed.")

    return _act(action_id, forms.VersionForm, "c", do)


@bp.post("/actions/<int:action_id>/done")
def done(action_id: int):
    def do(action, form, version):
        services.complete_action(action, current_user, expected_version=version, note=form.note.data,
                                 done_on=form.done_on.data)
        return _("Thank you: the action is reported done.")

    return _act(action_id, forms.DoneForm, "d", do)


@bp.post("/actions/<int:action_id>/refuse")
def refuse(action_id: int):
    def do(action, form, version):
        services.refuse_action(action, current_user, expected_version=version, reason=form.reason.data)
        return _("The action is refused; the chair has been told.")

    return _act(action_id, forms.RefuseForm, "r", do)


@bp.get("/actions/<int:action_id>/confirm/<token>")
def confirm_link(action_id: int, token: str):
    """The e-mailed one-click link: after signing in, one button confirms this one action."""
    if tokens.read(token) != action_id:
        flash(_("This link is invalid or has expired. Here is the action."), "error")
        return redirect(url_for("advice.action", action_id=action_id))
    action = get_action(action_id)
    if not permissions.can_confirm(current_user, action):
        return redirect(url_for("advice.action", action_id=action.id))
    return render_template("advice/confirm_link.html", action=action, case=action.advice.case,
                           form=forms.VersionForm(prefix="c", version=str(action.version)))


# --- the team's decisions and the follow-up list ----------------------------------------------

def _meeting_arg(team: Team, value) -> Meeting | None:
    if not value:
        return None
    try:
        meeting = db.session.get(Meeting, int(value))
    except (TypeError, ValueError):
        return None
    return meeting if meeting is not None and meeting.team_id == team.id else None


@bp.get("/teams/<int:team_id>/follow-up")
def agenda(team_id: int):
    """Back on the table: escalated actions and due follow-ups for the (next) meeting."""
    team = get_team(team_id)
    if not case_permissions.can_view_queue(current_user, team.id):
        abort(404)
    meeting = _meeting_arg(team, request.args.get("meeting"))
    return render_template("advice/agenda.html", team=team, meeting=meeting,
                           items=services.follow_up_items(team, meeting))


@bp.route("/actions/<int:action_id>/decide", methods=["GET", "POST"])
def decide(action_id: int):
    action = get_action(action_id)
    if not permissions.can_decide(current_user, action):
        abort(403 if case_permissions.can_view(current_user, action.advice.case) else 404)
    team = action.advice.case.team
    form = forms.DecideForm()
    if request.method == "GET":
        form.meeting.data = request.args.get("meeting", "")
    if form.validate_on_submit():
        try:
            services.record_team_decision(action, current_user, decision=form.decision.data, note=form.note.data,
                                          new_deadline=form.new_deadline.data,
                                          meeting=_meeting_arg(team, form.meeting.data))
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("The team's decision has been recorded."), "success")
            return redirect(url_for("advice.agenda", team_id=team.id, meeting=form.meeting.data or None))
    return render_template("advice/decide.html", action=action, case=action.advice.case, form=form,
                           decisions=TeamDecision)


@bp.route("/closures/<int:closure_id>/review", methods=["GET", "POST"])
def review(closure_id: int):
    closure = db.session.get(CaseClosure, closure_id)
    if closure is None or not case_permissions.can_view(current_user, closure.case):
        abort(404)
    if not permissions.is_lead(current_user, closure.team_id):
        abort(403)
    form = forms.ReviewForm()
    if form.validate_on_submit():
        try:
            services.record_followup_review(closure, current_user, note=form.note.data)
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("The team's conclusion has been recorded."), "success")
            return redirect(url_for("advice.agenda", team_id=closure.team_id))
    return render_template("advice/review.html", closure=closure, case=closure.case, form=form)


# --- closing and the follow-up ----------------------------------------------------------------

@bp.route("/cases/<int:case_id>/close", methods=["GET", "POST"])
def close(case_id: int):
    case = get_case(case_id)
    if not permissions.can_close(current_user, case):
        abort(403)
    form = forms.CloseForm()
    if form.validate_on_submit():
        try:
            services.close_case(case, current_user, outcome=form.outcome.data, note=form.note.data)
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("Case %(reference)s is closed. In three months you will be asked whether it holds.",
                    reference=case.reference), "success")
            return redirect(url_for("casefiles.detail", case_id=case.id))
    return render_template("advice/close.html", case=case, form=form)


@bp.route("/cases/<int:case_id>/followup", methods=["GET", "POST"])
def followup(case_id: int):
    case = get_case(case_id)
    closure = services.closure_of(case)
    if closure is None:
        abort(404)
    form = forms.FollowupForm()
    may = permissions.can_record_followup(current_user, case) and closure.followup_at is None
    if request.method == "POST":
        if not may:
            abort(403)
        if form.validate_on_submit():
            try:
                services.record_followup(case, current_user, result=form.result.data, note=form.note.data)
            except ServiceError as exc:
                show_refusal(exc)
            else:
                db.session.commit()
                flash(_("Thank you: the follow-up evaluation has been recorded."), "success")
                return redirect(url_for("advice.followup", case_id=case.id))
    return render_template("advice/followup.html", case=case, closure=closure, form=form, may=may)


# --- overviews and catalogue ------------------------------------------------------------------

def overview_(team_id: int):
    team = get_team(team_id)
    if not permissions.can_view_overview(current_user, team):
        abort(404)
    today = team_today(team)
    return render_template("advice/overview.html", team=team, figures=overview.figures(team.id, today),
                           actions=overview.team_actions(team.id), today=today)


bp.add_url_rule("/teams/<int:team_id>/overview", endpoint="overview", view_func=overview_)


@bp.route("/teams/<int:team_id>/catalogue", methods=["GET", "POST"])
def catalogue(team_id: int):
    team = get_team(team_id)
    if not permissions.can_maintain_catalogue(current_user, team.id):
        abort(404)
    ref_form = forms.LegalReferenceForm(prefix="l")
    int_form = forms.InterventionForm(prefix="i")
    settings = services.settings_for(team.id)
    set_form = forms.SettingsForm(prefix="s", obj=settings if request.method == "GET" else None)
    if request.method == "POST":
        try:
            if ref_form.add_reference.data and ref_form.validate():
                services.add_legal_reference(team, current_user, law=ref_form.law.data, article=ref_form.article.data,
                                             note=ref_form.note.data, url=ref_form.url.data)
            elif int_form.add_intervention.data and int_form.validate():
                services.add_intervention(team, current_user, name=int_form.name.data, unit_cost=int_form.unit_cost.data,
                                          unit=int_form.unit.data, source=int_form.source.data,
                                          is_example=int_form.is_example.data)
            elif set_form.save_settings.data and set_form.validate():
                services.update_settings(team, current_user, reminder_days=set_form.reminder_days.data,
                                         grace_days=set_form.grace_days.data)
            elif request.form.get("deactivate") and PostForm().validate():
                kind, _sep, entry_id = request.form["deactivate"].partition(":")
                services.deactivate_catalogue_entry(team, current_user, kind, _version(entry_id))
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


