"""The organisations' follow-through (blueprint ``follow_through``): a contact's home and action
pages (confirm, report done, refuse; the one-click confirmation link), the team's decision on an
escalated action, what comes back on the table at the next meeting, and closing the case with
its three-month evaluation. Thin: forms validate, services change state, we commit. Anything a
user may not see is a 404, whatever its id."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from advice import permissions, tokens
from advice.closure.models import CaseClosure
from advice.closure.services import close_case, closure_of, record_evaluation, record_evaluation_review
from advice.escalation.services import levels_of
from advice.lifecycle import StaleAction
from advice.models import Action, AdviceStatus, TeamDecision
from advice.plan import services as plan
from casefiles import permissions as case_permissions
from casefiles.web import get_case
from core.clock import local_today, team_today
from core.db import db
from core.errors import ServiceError
from core.models import Role, Team
from core.people import team_members
from core.period import DEFAULT_TZ, RECENT_PERIODS, recent_period
from core.routing import moved
from core.slots import render_partial
from core.web import audit_read, get_team, posted_version, show_refusal
from meeting.models import Meeting

from . import action_lists, attachment_shares, forms
from .org_figures import follow_through_where
from .services import complete_action, confirm_action, back_on_table, record_team_decision, refuse_action

bp = Blueprint("follow_through", __name__, url_prefix="/advice", template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


#: The cursor arguments of the two lists back on the table (on the meeting page and its own page).
ESCALATED_ARG, EVALUATIONS_ARG = "escalated_after", "evaluations_after"


def _back_on_table(team: Team, meeting: Meeting | None):
    return back_on_table(team, meeting, escalated_cursor=request.args.get(ESCALATED_ARG),
                         evaluations_cursor=request.args.get(EVALUATIONS_ARG))


def back_on_table_slot(meeting: Meeting, **_context):
    """What comes back on the table, in the meeting page's slot ``meeting.detail.back_on_table``:
    the escalated actions and evaluations due (first page of each list, or the page its cursor
    argument asks for), if the viewer is on the team."""
    if not case_permissions.can_view_queue(current_user, meeting.team_id):
        return None
    items = _back_on_table(meeting.team, meeting)
    return render_partial("advice/follow_through/_back_on_table.html", meeting=meeting, back_on_table_items=items,
                          back_on_table_levels=levels_of(items.escalated))


def get_action(action_id: int) -> Action:
    action = db.session.get(Action, action_id)
    if action is None or not permissions.can_view_action(current_user, action):
        abort(404)
    return action


@bp.get("/actions")
def actions():
    """A contact's home: their organisations' open actions in full (overdue, to confirm,
    confirmed), refused actions waiting for the team oldest first and the history (done,
    dropped) newest first, each a page at a time, and their figures. A fixed number of
    statements: the counts come from the figures (one grouped statement)."""
    if not action_lists.contact_pairs(current_user):
        abort(404)
    where = action_lists.contact_clause(current_user)
    today = local_today()
    # The figures and the history of a recent period (the last three months unless chosen), like
    # the chair's overview: never the whole history on every visit.
    period_name, period = recent_period(request.args.get("period"), today, DEFAULT_TZ)
    figures, total = follow_through_where(sa.and_(where, period.contains(Action.assigned_at)), today)
    groups = action_lists.open_work(where, today, cursors=action_lists.open_cursors(request.args))
    refused = action_lists.refused_waiting(where, cursor=request.args.get("refused"))
    return render_template(
        "advice/follow_through/actions.html", today=today, figures=figures, total=total,
        periods=RECENT_PERIODS, period_name=period_name, period=period,
        groups=groups, refused=refused, levels=action_lists.list_levels(*groups.values(), refused),
        history=action_lists.history(where, cursor=request.args.get("done"), period=period,
                                     total=total.done + total.dropped),
    )


def _action_forms(action: Action):
    version = str(action.version)
    confirm = forms.VersionForm(prefix="c", version=version)
    done = forms.DoneForm(prefix="d", version=version)
    refuse = forms.RefuseForm(prefix="r", version=version)
    return confirm, done, refuse


def _render_action(action: Action, confirm=None, done=None, refuse=None, status: int = 200):
    defaults = _action_forms(action)
    confirm, done, refuse = confirm or defaults[0], done or defaults[1], refuse or defaults[2]
    case = action.advice.case
    today = team_today(case.team)
    if request.method == "GET" and done.done_on.data is None:
        done.done_on.data = today
    template = "advice/follow_through/action.html"
    return render_template(template, action=action, advice=action.advice, case=case,
                           confirm=confirm, done=done, refuse=refuse, today=today,
                           is_contact=permissions.is_contact_for(current_user, action),
                           history=action_lists.action_history(action),
                           shared=attachment_shares.shared_with(action),
                           ask=[(_("Case owner"), case.owner)] + [(_("Chair"), u) for u in team_members(case.team_id, Role.CHAIR)]
                           ), status


@bp.get("/actions/<int:action_id>")
def action(action_id: int):
    action = get_action(action_id)
    if not permissions.is_contact_for(current_user, action):
        # Team members and the owner read the action in the advice itself.
        return redirect(url_for("advice.show", advice_id=action.advice_id) + f"#action-{action.id}")
    audit_read(action.advice.case, "action")  # the minimum of case context, but still case content
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
        message = do(action, form, posted_version(form.version.data))
    except StaleAction as exc:
        db.session.rollback()
        db.session.refresh(action)
        flash(exc.message, "error")
        return _render_action(action, status=409)
    except ServiceError as exc:
        show_refusal(exc)
        return _render_action(action, status=400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("follow_through.action", action_id=action.id))


@bp.post("/actions/<int:action_id>/confirm")
def confirm(action_id: int):
    def do(action, form, version):
        confirm_action(action, current_user, expected_version=version)
        return _("Thank you: the action is confirmed.")

    return _act(action_id, forms.VersionForm, "c", do)


@bp.post("/actions/<int:action_id>/done")
def done(action_id: int):
    def do(action, form, version):
        complete_action(action, current_user, expected_version=version, note=form.note.data,
                                 done_on=form.done_on.data)
        return _("Thank you: the action is reported done.")

    return _act(action_id, forms.DoneForm, "d", do)


@bp.post("/actions/<int:action_id>/refuse")
def refuse(action_id: int):
    def do(action, form, version):
        refuse_action(action, current_user, expected_version=version, reason=form.reason.data)
        return _("The action is refused; the chair has been told.")

    return _act(action_id, forms.RefuseForm, "r", do)


@bp.get("/actions/<int:action_id>/confirm/<token>")
def confirm_link(action_id: int, token: str):
    """The e-mailed one-click link: after signing in, one button confirms this one action."""
    if tokens.read(token) != action_id:
        flash(_("This link is invalid or has expired. Here is the action."), "error")
        return redirect(url_for("follow_through.action", action_id=action_id))
    action = get_action(action_id)
    if not permissions.can_confirm(current_user, action):
        return redirect(url_for("follow_through.action", action_id=action.id))
    return render_template("advice/follow_through/confirm_link.html", action=action, case=action.advice.case,
                           form=forms.VersionForm(prefix="c", version=str(action.version)))


def _meeting_arg(team: Team, value) -> Meeting | None:
    if not value:
        return None
    try:
        meeting = db.session.get(Meeting, int(value))
    except (TypeError, ValueError):
        return None
    return meeting if meeting is not None and meeting.team_id == team.id else None


@bp.get("/teams/<int:team_id>/back-on-table")
def agenda(team_id: int):
    """Back on the table: escalated actions and due evaluations for the (next) meeting."""
    team = get_team(team_id)
    if not case_permissions.can_view_queue(current_user, team.id):
        abort(404)
    meeting = _meeting_arg(team, request.args.get("meeting"))
    items = _back_on_table(team, meeting)
    return render_template("advice/follow_through/agenda.html", team=team, meeting=meeting, items=items,
                           back_on_table_levels=levels_of(items.escalated))


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
            record_team_decision(action, current_user, decision=form.decision.data, note=form.note.data,
                                          new_deadline=form.new_deadline.data,
                                          meeting=_meeting_arg(team, form.meeting.data))
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("The team's decision has been recorded."), "success")
            return redirect(url_for("follow_through.agenda", team_id=team.id, meeting=form.meeting.data or None))
    return render_template("advice/follow_through/decide.html", action=action, case=action.advice.case, form=form,
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
            record_evaluation_review(closure, current_user, note=form.note.data)
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("The team's conclusion has been recorded."), "success")
            return redirect(url_for("follow_through.agenda", team_id=closure.team_id))
    return render_template("advice/follow_through/review.html", closure=closure, case=closure.case, form=form)


@bp.route("/cases/<int:case_id>/close", methods=["GET", "POST"])
def close(case_id: int):
    case = get_case(case_id)
    if not permissions.can_close(current_user, case):
        abort(403)
    form = forms.CloseForm()
    if form.validate_on_submit():
        try:
            close_case(case, current_user, outcome=form.outcome.data, note=form.note.data)
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("Case %(reference)s is closed. In three months you will be asked whether it holds.",
                    reference=case.reference), "success")
            return redirect(url_for("casefiles.detail", case_id=case.id))
    return render_template("advice/follow_through/close.html", case=case, form=form)


@bp.route("/cases/<int:case_id>/evaluation", methods=["GET", "POST"])
def evaluation(case_id: int):
    case = get_case(case_id)
    closure = closure_of(case)
    if closure is None:
        abort(404)
    form = forms.EvaluationForm()
    goals = plan.goals_for_evaluation(case)
    may = permissions.can_record_evaluation(current_user, case) and closure.evaluation_at is None
    if request.method == "POST":
        if not may:
            abort(403)
        if form.validate_on_submit():
            try:
                record_evaluation(case, current_user, result=form.result.data, note=form.note.data,
                                goal_answers=_goal_answers(request.form, goals))
            except ServiceError as exc:
                show_refusal(exc)
            else:
                db.session.commit()
                flash(_("Thank you: the three-month evaluation has been recorded."), "success")
                return redirect(url_for("follow_through.evaluation", case_id=case.id))
    return render_template("advice/follow_through/evaluation.html", case=case, closure=closure, form=form, may=may,
                           goals=goals, goal_reviews=plan.goal_reviews(case))


def _goal_answers(formdata, goals: list[str]) -> dict[int, tuple[bool, bool]]:
    """Per goal of the plan: ``goal-<i>-reached`` and ``goal-<i>-holds`` ('yes'/'no'); unanswered goals are left out."""
    answers = {}
    for i in range(len(goals)):
        reached, holds = formdata.get(f"goal-{i}-reached"), formdata.get(f"goal-{i}-holds")
        if reached in ("yes", "no") and holds in ("yes", "no"):
            answers[i] = (reached == "yes", holds == "yes")
    return answers


# The old addresses of the list back on the table and of the evaluation (both were "follow-up").
moved(bp, "/teams/<int:team_id>/follow-up", "agenda")
moved(bp, "/cases/<int:case_id>/followup", "evaluation", post=True)
