"""Forms of the hard cases: hold, the lost-contact signal request and the 'seen' report.
Choices are filled per request."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from core.forms import Form, MultiCheckboxField

from .models import HOLD_REASON_LABELS, NOTE_MAX


class HoldForm(Form):
    reason = SelectField(_l("Reason"), choices=[(k.value, v) for k, v in HOLD_REASON_LABELS.items()])
    note = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=NOTE_MAX)],
                         description=_l("Briefly; no more about the household than the team needs."))
    retry_on = DateField(_l("Try again on"), validators=[InputRequired()])
    save = SubmitField(_l("Put the case on hold"))


class SignalRequestForm(Form):
    last_contact_on = DateField(_l("Last contact with the client"), validators=[InputRequired()])
    whom_to_call = StringField(_l("Whom to call when the client turns up"),
                               validators=[DataRequired(), Length(max=300)],
                               description=_l("Name and phone number; this is all the organisations see, "
                                              "with the reference and the pseudonym."))
    organisations = MultiCheckboxField(_l("Ask these organisations to signal"), coerce=int, choices=[],
                                       validators=[DataRequired()])
    save = SubmitField(_l("Send the signal request"))


class SeenForm(Form):
    note = TextAreaField(_l("Where and when (briefly)"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    seen = SubmitField(_l("Report: seen"))
