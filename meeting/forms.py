"""Meeting forms. Every form carries a CSRF token; choices are filled per request."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from core.forms import Form

from .agenda import DURATION_MAX, DURATION_MIN
from .minutes import MINUTES_MAX
from .schedule import REASON_MAX
from .session import NOTES_MAX


class CancelForm(Form):
    reason = TextAreaField(
        _l("Reason"), validators=[InputRequired(), Length(max=REASON_MAX)],
        description=_l("E.g. a public holiday. Everyone invited gets this reason."),
    )
    submit = SubmitField(_l("Cancel the meeting"))


class MeetingTimeForm(Form):
    day = DateField(_l("Date"), validators=[DataRequired()])
    start = TimeField(_l("Start time"), validators=[DataRequired()])
    end = TimeField(_l("End time"), validators=[DataRequired()])
    location = StringField(_l("Location or video link"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Save"))

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The end time must be after the start time."))


class AddItemForm(Form):
    case_id = SelectField(_l("Case from the queue"), coerce=int, validators=[DataRequired()])
    duration = IntegerField(
        _l("Duration (minutes)"), validators=[Optional(), NumberRange(min=DURATION_MIN, max=DURATION_MAX)],
        description=_l("Leave empty for the default."),
    )
    add = SubmitField(_l("Add to the agenda"))


class ItemForm(Form):
    """One agenda row: reorder, remove, change duration or invitation."""

    item_id = IntegerField(validators=[DataRequired()], widget=HiddenInput())
    duration = IntegerField(_l("Duration (minutes)"), validators=[Optional(), NumberRange(min=DURATION_MIN, max=DURATION_MAX)])
    presenter_invited = BooleanField(_l("Case owner invited"))
    save = SubmitField(_l("Save"))
    up = SubmitField(_l("Up"))
    down = SubmitField(_l("Down"))
    remove = SubmitField(_l("Remove"))


class NotesForm(Form):
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=NOTES_MAX)],
                          description=_l("Markdown. Saved automatically while you type."))
    notes_version = IntegerField(validators=[InputRequired()], widget=HiddenInput())
    save = SubmitField(_l("Save notes"))


class OutcomeForm(Form):
    reason = TextAreaField(_l("Reason for withdrawal"), validators=[Optional(), Length(max=2000)])
    discussed = SubmitField(_l("Discussed"))
    postponed = SubmitField(_l("Postpone"))
    withdrawn = SubmitField(_l("Withdraw case"))


class MinutesForm(Form):
    text = TextAreaField(_l("Minutes"), validators=[Optional(), Length(max=MINUTES_MAX)],
                         description=_l("Markdown."))
    version = IntegerField(validators=[InputRequired()], widget=HiddenInput())
    save = SubmitField(_l("Save minutes"))


class AttendanceForm(Form):
    """The rows (status-<user id>, deputy-<user id>) are read from the request by the view."""

    submit = SubmitField(_l("Save attendance"))

