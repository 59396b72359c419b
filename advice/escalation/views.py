"""The escalation ladder's pages (blueprint ``escalation``): the chair's page per action (climb
by hand, the steering group's referral and outcome, the national summary), and the director's
page, reached only through the signed link of the e-mail (the director is not a user)."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, RadioField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from advice import permissions
from advice.lifecycle import NOTE_MAX
from advice.models import Action
from core.clock import team_today, utcnow
from core.db import db
from core.documents import send_document
from core.errors import ServiceError
from core.forms import Form, PostForm
from core.models import Team
from core.web import audit_read, show_refusal

from . import services as escalation
from .director import answer_as_director, read_director_token
from .models import DirectorAnswer, Escalation, Level

bp = Blueprint("escalation", __name__, url_prefix="/escalation", template_folder="templates")

#: The director answers through the link: no sign-in (the link is the key, once).
PUBLIC_ENDPOINTS = {"escalation.director"}


@bp.before_request
def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


class DirectorForm(Form):
    answer = RadioField(_l("Your answer"), choices=[(DirectorAnswer.CARRY_OUT.value, _l("We carry it out")),
                                                     (DirectorAnswer.EXPLAIN.value, _l("Explanation in writing"))],
                        validators=[Optional()])
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=NOTE_MAX)],
                                description=_l("Required when the action is not carried out."))
    submit = SubmitField(_l("Send the answer"))


class SteeringForm(Form):
    referred_on = DateField(_l("Referred to the steering group on"), validators=[Optional()])
    outcome = TextAreaField(_l("Outcome of the steering group"), validators=[Optional(), Length(max=NOTE_MAX)],
                            description=_l("Leave empty until the steering group has decided."))
    submit = SubmitField(_l("Save"))


class NationalForm(Form):
    sent_on = DateField(_l("Summary sent to the national Maatwerkloket on"), validators=[Optional()])
    submit = SubmitField(_l("Save"))


def _get(action_id: int) -> tuple[Action, Escalation | None]:
    action = db.session.get(Action, action_id)
    if action is None or not permissions.can_keep_ladder(current_user, action):
        abort(404)
    esc = db.session.scalar(db.select(Escalation).where(Escalation.action_id == action.id))
    return action, esc


def _render(action, esc, status=200, **forms):
    team = db.session.get(Team, action.team_id)
    forms.setdefault("steering_form", SteeringForm(prefix="s", formdata=None, obj=None))
    forms.setdefault("national_form", NationalForm(prefix="n", formdata=None))
    if esc is not None and forms["steering_form"].referred_on.data is None:
        forms["steering_form"].referred_on.data = esc.steering_referred_on
        forms["steering_form"].outcome.data = esc.steering_outcome
    return render_template(
        "advice/escalation/ladder.html", action=action, esc=esc, case=action.advice.case,
        level=escalation.level_of(action), levels=list(Level), steps=escalation.history(action),
        climb_form=PostForm(),
        days=escalation.ladder_days(team.id), today=team_today(team, utcnow()), **forms), status


@bp.get("/actions/<int:action_id>")
def ladder(action_id: int):
    action, esc = _get(action_id)
    audit_read(action.advice.case, "escalation")
    return _render(action, esc)


@bp.post("/actions/<int:action_id>/climb")
def climb(action_id: int):
    action, _esc = _get(action_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        esc = escalation.climb_by_hand(action, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("The escalation is now at %(level)s.", level=esc.level_enum.label), "success")
    return redirect(url_for("escalation.ladder", action_id=action_id))


@bp.post("/actions/<int:action_id>/steering")
def steering(action_id: int):
    action, esc = _get(action_id)
    form = SteeringForm(prefix="s")
    if esc is None:
        abort(404)
    if form.validate_on_submit():
        try:
            escalation.record_steering(esc, current_user, referred_on=form.referred_on.data, outcome=form.outcome.data)
        except ServiceError as exc:
            db.session.rollback()
            show_refusal(exc, form)
        else:
            db.session.commit()
            flash(_("The steering group's referral has been recorded."), "success")
            return redirect(url_for("escalation.ladder", action_id=action_id))
    return _render(action, esc, 400, steering_form=form)


@bp.post("/actions/<int:action_id>/national")
def national(action_id: int):
    action, esc = _get(action_id)
    form = NationalForm(prefix="n")
    if esc is None:
        abort(404)
    if form.validate_on_submit():
        try:
            escalation.record_national_sent(esc, current_user, sent_on=form.sent_on.data)
        except ServiceError as exc:
            db.session.rollback()
            show_refusal(exc, form)
        else:
            db.session.commit()
            flash(_("Recorded."), "success")
            return redirect(url_for("escalation.ladder", action_id=action_id))
    return _render(action, esc, 400, national_form=form)


@bp.get("/actions/<int:action_id>/summary.txt")
def summary(action_id: int):
    """The pseudonymised summary for the national Maatwerkloket (plain text, UTF-8)."""
    action, esc = _get(action_id)
    if esc is None or esc.level < Level.NATIONAL:
        abort(404)
    body = render_template("advice/escalation/summary.txt", s=escalation.national_summary(esc))
    response = send_document(body.encode(), f"maatwerkloket-{action.advice.case.reference}.txt", "text/plain")
    audit_read(action.advice.case, "escalation_summary")  # once the answer is built
    return response


@bp.route("/director/<token>", methods=["GET", "POST"])
def director(token: str):
    """The director's page: the case reference, the action, the reason given; one answer."""
    esc = read_director_token(token)
    if esc is None:
        abort(404)
    form = DirectorForm()
    status = 200
    if request.method == "POST" and esc.director_answered_at is None:
        if form.validate_on_submit():
            try:
                answer_as_director(esc, answer=form.answer.data or "", explanation=form.explanation.data)
            except ServiceError as exc:
                db.session.rollback()
                show_refusal(exc, form)
                status = 400
            else:
                db.session.commit()
                flash(_("Thank you: your answer has been sent to the expert team."), "success")
                return redirect(url_for("escalation.director", token=token))
        else:
            status = 400
    elif request.method == "POST":
        status = 409
    response = Response(render_template("advice/escalation/director.html", esc=esc, action=esc.action,
                                        case=esc.action.advice.case, form=form), status=status)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
