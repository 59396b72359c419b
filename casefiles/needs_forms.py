"""Forms of the blockage map and the hard cases. Choices are filled per request."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from core.forms import MultiCheckboxField

from .hardcases import HOLD_REASON_LABELS, NOTE_MAX
from .needs import NEED_STATUS_LABELS, TEXT_MAX, TITLE_MAX


class PostForm(FlaskForm):
    """A button that posts (CSRF only)."""


class NeedForm(FlaskForm):
    title = StringField(_l("What must happen"), validators=[DataRequired(), Length(max=TITLE_MAX)],
                        description=_l("In a few words, e.g. 'rental urgency' or 'debt arrangement'."))
    decided_by = SelectField(_l("Who decides on it"), coerce=int, choices=[], validators=[Optional()])
    rule = StringField(_l("The rule or law it applies"), validators=[Optional(), Length(max=TEXT_MAX)])
    status = SelectField(_l("Status"), choices=[(k.value, v) for k, v in NEED_STATUS_LABELS.items()])
    save = SubmitField(_l("Save the need"))


class LinkForm(FlaskForm):
    need = SelectField(_l("This need"), coerce=int, choices=[], validators=[InputRequired()])
    waits_for = SelectField(_l("waits for"), coerce=int, choices=[], validators=[InputRequired()])
    reason = StringField(_l("Because"), validators=[DataRequired(), Length(max=TEXT_MAX)],
                         description=_l("e.g. 'no urgency while a debt is open'"))
    link = SubmitField(_l("Add the arrow"))


class TieForm(FlaskForm):
    needs = MultiCheckboxField(_l("This advice breaks"), coerce=int, choices=[], validators=[Optional()])
    save_ties = SubmitField(_l("Save the ties to the blockage map"))


class HoldForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=[(k.value, v) for k, v in HOLD_REASON_LABELS.items()])
    note = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=NOTE_MAX)],
                         description=_l("Briefly; no more about the household than the team needs."))
    retry_on = DateField(_l("Try again on"), validators=[InputRequired()])
    save = SubmitField(_l("Put the case on hold"))


class SignalRequestForm(FlaskForm):
    last_contact_on = DateField(_l("Last contact with the client"), validators=[InputRequired()])
    whom_to_call = StringField(_l("Whom to call when the client turns up"),
                               validators=[DataRequired(), Length(max=300)],
                               description=_l("Name and phone number; this is all the organisations see, "
                                              "with the reference and the pseudonym."))
    organisations = MultiCheckboxField(_l("Ask these organisations to signal"), coerce=int, choices=[],
                                       validators=[DataRequired()])
    save = SubmitField(_l("Send the signal request"))


class SeenForm(FlaskForm):
    note = TextAreaField(_l("Where and when (briefly)"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    seen = SubmitField(_l("Report: seen"))
