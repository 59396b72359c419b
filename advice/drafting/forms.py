"""The drafting's forms besides the draft itself (``draft_form``): the reason of a correction and
the team's catalogue and settings. Choices are filled per request from the team; tampered
values fail validation. Business rules live in the services."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from advice.lifecycle import NOTE_MAX
from core.forms import Form


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason for the correction"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Start the correction"))


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
    price_year = IntegerField(_l("Price year"), validators=[Optional(), NumberRange(min=1990, max=2100)],
                              description=_l("The year of the price level; index it before use."))
    is_example = BooleanField(_l("Example amount (not sourced)"))
    add_intervention = SubmitField(_l("Add the intervention"))


class SettingsForm(Form):
    reminder_days = IntegerField(_l("Remind this many days before a deadline"),
                                 validators=[InputRequired(), NumberRange(min=0, max=60)])
    grace_days = IntegerField(_l("Escalate this many days after a deadline"),
                              validators=[InputRequired(), NumberRange(min=0, max=120)])
    ladder_team_days = IntegerField(_l("Level 1 · chair and team (yellow): days to settle before the director"),
                                    validators=[InputRequired(), NumberRange(min=1, max=120)])
    ladder_director_days = IntegerField(_l("Level 2 · director (orange): days to answer before the steering group"),
                                        validators=[InputRequired(), NumberRange(min=1, max=120)])
    ladder_steering_days = IntegerField(_l("Level 3 · steering group (red): days for an outcome before the national Maatwerkloket"),
                                        validators=[InputRequired(), NumberRange(min=1, max=180)])
    save_settings = SubmitField(_l("Save the settings"))
