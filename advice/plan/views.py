"""Pages of the plan and of the lessons for the system (blueprint ``plan``): the coordinator's
progress notes on a case, the lessons of an issued advice, the team's list of what blocks cases."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from advice import permissions
from advice.web import get_advice
from casefiles.web import get_case
from core.db import db
from core.errors import ServiceError
from core.forms import Form, PostForm
from core.routing import moved, parse_id
from core.web import audit_read, get_team, posted_version, show_refusal

from . import services as plan
from . import lessons
from .models import SOURCE_KIND_LABELS

bp = Blueprint("plan", __name__, url_prefix="/plan", template_folder="templates")


class NoteForm(Form):
    text = TextAreaField(_l("Progress note"), validators=[DataRequired(), Length(max=plan.NOTE_MAX)],
                         description=_l("What moved since the last note, against the plan's goals and actions."))
    submit = SubmitField(_l("Add the note"))


class SourceForm(Form):
    kind = SelectField(_l("Kind"), choices=[(k.value, v) for k, v in SOURCE_KIND_LABELS.items()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Add to the list"))


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


@bp.route("/cases/<int:case_id>/notes", methods=["GET", "POST"])
def notes(case_id: int):
    case = get_case(case_id)
    if not permissions.can_read_plan_notes(current_user, case):
        abort(404)
    may_write = plan.may_write_note(current_user, case)
    form = NoteForm()
    if request.method == "POST":
        if not may_write:
            abort(403)
        if form.validate():
            try:
                plan.add_note(case, current_user, form.text.data)
            except ServiceError as exc:
                show_refusal(exc)
            else:
                db.session.commit()
                flash(_("The progress note was added."), "success")
                return redirect(url_for("plan.notes", case_id=case.id))
        status = 400
    else:
        status = 200
    audit_read(case, "plan_notes")
    return render_template("advice/plan/plan_notes.html", case=case, form=form, may_write=may_write,
                           coordinator=plan.coordinator_of(case), goals=plan.goals_for_evaluation(case),
                           notes=plan.notes_of(case), reviews=plan.goal_reviews(case)), status


@bp.route("/advice/<int:advice_id>/lessons", methods=["GET", "POST"])
def advice_lessons(advice_id: int):
    advice = get_advice(advice_id)
    may_record = permissions.can_record_lessons(current_user, advice)
    blockages = lessons.blockages_of(advice)
    team_sources = lessons.sources(advice.case.team_id)
    if request.method == "POST":
        if not may_record:
            abort(403)
        if not PostForm().validate():
            abort(400)
        rows = []
        for i, (need_id, _title) in enumerate(blockages):
            raw = request.form.get(f"source-{i}", "")
            source_id = parse_id(raw)
            if raw and source_id is None:
                abort(400)
            rows.append({"need_id": need_id, "source_id": source_id,
                         "free_text": request.form.get(f"text-{i}", ""), "deviates": request.form.get(f"deviates-{i}") == "1",
                         "deviation_ground": request.form.get(f"ground-{i}", "")})
        try:
            lessons.record_lessons(advice, current_user, rows)
        except ServiceError as exc:
            db.session.rollback()
            show_refusal(exc)
            return _render_lessons(advice, blockages, team_sources, may_record, posted=request.form), 400
        db.session.commit()
        flash(_("The lessons for the system were saved."), "success")
        return redirect(url_for("plan.advice_lessons", advice_id=advice.id))
    return _render_lessons(advice, blockages, team_sources, may_record)


def _render_lessons(advice, blockages, team_sources, may_record, posted=None):
    recorded = {s.need_id: s for s in lessons.lessons_of(advice)}
    return render_template("advice/plan/lessons.html", advice=advice, case=advice.case, blockages=blockages,
                           sources=team_sources, recorded=recorded, may_record=may_record, posted=posted,
                           post=PostForm())


@bp.route("/teams/<int:team_id>/lesson-sources", methods=["GET", "POST"])
def sources(team_id: int):
    team = get_team(team_id)
    if not permissions.can_keep_lesson_sources(current_user, team.id):
        abort(404)
    form = SourceForm()
    if request.method == "POST":
        try:
            if request.form.get("remove") and PostForm().validate():
                lessons.remove_source(team, current_user, posted_version(request.form["remove"]))
            elif form.validate():
                lessons.add_source(team, current_user, kind=form.kind.data, name=form.name.data)
            else:
                return _render_sources(team, form), 400
        except ServiceError as exc:
            show_refusal(exc)
            return _render_sources(team, form), 400
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("plan.sources", team_id=team.id))
    return _render_sources(team, form)


def _render_sources(team, form):
    return render_template("advice/plan/lesson_sources.html", team=team, form=form, sources=lessons.sources(team.id),
                           post=PostForm())


# The old addresses of the lessons' pages (they were called "signals").
moved(bp, "/advice/<int:advice_id>/signals", "advice_lessons", post=True)
moved(bp, "/teams/<int:team_id>/signal-sources", "sources", post=True)
