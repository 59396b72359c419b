"""The follow-through's forms: an action's steps, the team's decision, closing the case and the
three-month evaluation. Tampered values fail validation; business rules (reasons, dates) live in
the services."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
)

from advice.closure.models import CLOSURE_OUTCOME_LABELS, EVALUATION_LABELS
from advice.lifecycle import NOTE_MAX
from advice.models import TEAM_DECISION_LABELS
from core.forms import Form


class VersionForm(Form):
    version = HiddenField()
    confirm = SubmitField(_l("Confirm: we will do it"))


class DoneForm(Form):
    version = HiddenField()
    note = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    done_on = DateField(_l("Done on"), validators=[InputRequired()])
    done = SubmitField(_l("Report done"))


class RefuseForm(Form):
    version = HiddenField()
    reason = TextAreaField(_l("Why you cannot carry it out"), validators=[DataRequired(), Length(max=NOTE_MAX)],
                           description=_l("The chair is told at once; the team decides at its next meeting."))
    refuse = SubmitField(_l("Refuse the action"))


class DecideForm(Form):
    decision = RadioField(_l("Decision"), choices=[(k.value, v) for k, v in TEAM_DECISION_LABELS.items()],
                          validators=[InputRequired()])
    new_deadline = DateField(_l("New deadline"), validators=[Optional()])
    note = TextAreaField(_l("What the team decided and why"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    meeting = HiddenField()
    submit = SubmitField(_l("Record the decision"))


class CloseForm(Form):
    outcome = RadioField(_l("Outcome"), choices=[(k.value, v) for k, v in CLOSURE_OUTCOME_LABELS.items()],
                         validators=[InputRequired()])
    note = TextAreaField(_l("Note on the outcome"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Close the case"))


class EvaluationForm(Form):
    result = RadioField(_l("Is the breakthrough holding?"), choices=[(k.value, v) for k, v in EVALUATION_LABELS.items()],
                        validators=[InputRequired()])
    note = TextAreaField(_l("How is it going?"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Record the evaluation"))


class ReviewForm(Form):
    note = TextAreaField(_l("What the team concluded"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Record"))
