"""Advice forms. Choices are filled per request from the team; tampered values fail validation.
Business rules (committed organisations, reasons, quantities) live in the services."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from core.forms import Form, MultiCheckboxField

from .models import (
    CLOSURE_OUTCOME_LABELS,
    COST_SIDE_LABELS,
    FOLLOWUP_LABELS,
    TEAM_DECISION_LABELS,
)

TEXT_MAX = 20_000
NOTE_MAX = 5_000


class AdviceTextForm(Form):
    situation = TextAreaField(_l("The situation in brief"), validators=[Optional(), Length(max=TEXT_MAX)])
    blockage = TextAreaField(_l("The biggest blockage"), validators=[Optional(), Length(max=TEXT_MAX)])
    advice_text = TextAreaField(_l("The advice"), validators=[Optional(), Length(max=TEXT_MAX)],
                                description=_l("Markdown: *emphasis*, lists with -, blank line between paragraphs."))
    legal_free_text = TextAreaField(_l("Legal justification (free text)"), validators=[Optional(), Length(max=TEXT_MAX)])
    lock_version = HiddenField()
    save = SubmitField(_l("Save the texts"))


class GroundForm(Form):
    legal_reference = SelectField(_l("Legal reference"), coerce=int, choices=[], validators=[InputRequired()])
    add_ground = SubmitField(_l("Cite"))


class CostLineForm(Form):
    side = SelectField(_l("Side"), choices=[(k.value, v) for k, v in COST_SIDE_LABELS.items()])
    intervention = SelectField(_l("From the catalogue"), coerce=int, choices=[], validators=[Optional()])
    name = StringField(_l("Or by hand: name"), validators=[Optional(), Length(max=160)])
    unit_cost = StringField(_l("Unit cost (euro)"), validators=[Optional(), Length(max=20)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=60)])
    source = StringField(_l("Source"), validators=[Optional(), Length(max=300)])
    quantity = StringField(_l("Quantity"), validators=[DataRequired(), Length(max=20)],
                           description=_l("Use a fraction for a likelihood: 0.5 is a one-in-two chance."))
    add_cost = SubmitField(_l("Add the line"))


class ActionForm(Form):
    organisation = SelectField(_l("Organisation"), coerce=int, choices=[], validators=[InputRequired()],
                               description=_l("Only organisations with an active commitment to the team."))
    description = TextAreaField(_l("What it must do"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    deadline = DateField(_l("Deadline"), validators=[InputRequired()])
    add_action = SubmitField(_l("Add the action"))


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason for the correction"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Start the correction"))


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


class FollowupForm(Form):
    result = RadioField(_l("Is the breakthrough holding?"), choices=[(k.value, v) for k, v in FOLLOWUP_LABELS.items()],
                        validators=[InputRequired()])
    note = TextAreaField(_l("How is it going?"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Record the follow-up"))


class ReviewForm(Form):
    note = TextAreaField(_l("What the team concluded"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Record"))


class LegalReferenceForm(Form):
    law = StringField(_l("Law"), validators=[DataRequired(), Length(max=160)])
    article = StringField(_l("Article"), validators=[Optional(), Length(max=80)])
    note = StringField(_l("Short note"), validators=[Optional(), Length(max=500)])
    url = StringField(_l("Link"), validators=[Optional(), Length(max=300)])
    add_reference = SubmitField(_l("Add the reference"))


class InterventionForm(Form):
    name = StringField(_l("Intervention"), validators=[DataRequired(), Length(max=160)])
    unit_cost = StringField(_l("Unit cost (euro)"), validators=[DataRequired(), Length(max=20)])
    unit = StringField(_l("Unit"), validators=[DataRequired(), Length(max=60)])
    source = StringField(_l("Source"), validators=[Optional(), Length(max=300)])
    is_example = BooleanField(_l("Example amount (not sourced)"))
    add_intervention = SubmitField(_l("Add the intervention"))


class SettingsForm(Form):
    reminder_days = IntegerField(_l("Remind this many days before a deadline"),
                                 validators=[InputRequired(), NumberRange(min=0, max=60)])
    grace_days = IntegerField(_l("Escalate this many days after a deadline"),
                              validators=[InputRequired(), NumberRange(min=0, max=120)])
    save_settings = SubmitField(_l("Save the settings"))


class TieForm(Form):
    needs = MultiCheckboxField(_l("This advice breaks"), coerce=int, choices=[], validators=[Optional()])
    save_ties = SubmitField(_l("Save the ties to the blockage map"))
