"""The team's retention term per case result (blueprint ``retention_terms``): the chair or an
administrator sets the years and records the archive category the municipality's archivist
confirms."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import DateField, HiddenField, IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.db import db
from core.errors import ServiceError
from core.forms import Form
from core.web import get_team, show_refusal

from . import permissions
from .retention_terms import (
    RESULT_LABELS,
    SUGGESTIONS,
    TO_CONFIRM,
    CaseResult,
    set_term,
    terms_of,
)

bp = Blueprint("retention_terms", __name__, template_folder="templates")


class TermForm(Form):
    result = HiddenField()
    years = IntegerField(_l("Years after the case ended"), validators=[InputRequired(), NumberRange(min=1, max=30)])
    archive_category = StringField(_l("Archive category"), validators=[Optional(), Length(max=200)])
    confirmed_on = DateField(_l("Confirmed by the archivist on"), validators=[Optional()])
    submit = SubmitField(_l("Save"))


@bp.route("/teams/<int:team_id>/retention", methods=["GET", "POST"])
@login_required
def terms(team_id: int):
    team = get_team(team_id)
    if not permissions.can_set_retention(current_user, team.id):
        abort(404)
    status, posted = 200, None
    if request.method == "POST":
        posted = TermForm()
        if posted.validate_on_submit():
            try:
                set_term(team, current_user, posted.result.data, years=posted.years.data,
                         archive_category=posted.archive_category.data, confirmed_on=posted.confirmed_on.data)
            except ServiceError as exc:
                show_refusal(exc, posted)
                status = 400
            else:
                db.session.commit()
                flash(_("The retention term has been saved."), "success")
                return redirect(url_for("retention_terms.terms", team_id=team.id))
        else:
            status = 400
    current = terms_of(team)
    forms = {}
    for result in CaseResult:
        if posted is not None and posted.result.data == result.value:
            forms[result] = posted
            continue
        row = current[result]
        form = TermForm(formdata=None, prefix="")
        form.result.data = result.value
        form.years.data = row.years if row else team.retention_years
        form.archive_category.data = row.archive_category if row else TO_CONFIRM
        form.confirmed_on.data = row.confirmed_on if row else None
        forms[result] = form
    return render_template("casefiles/retention_terms.html", team=team, forms=forms, current=current,
                           labels=RESULT_LABELS, suggestions=SUGGESTIONS), status
