"""Forms of the shell package: sign-in, password, language, administration."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TimeField,
)
from wtforms import widgets
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional, Regexp

from .models import DOMAIN_LABELS, ROLE_LABELS, Domain, Role

MIN_PASSWORD_LENGTH = 12


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def domain_choices(domains=None):
    return [(d.value, DOMAIN_LABELS[d]) for d in (domains if domains is not None else Domain)]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)),
        ],
    )
    confirm = PasswordField(
        _l("Repeat new password"), validators=[DataRequired(), EqualTo("new", message=_l("The passwords do not match."))]
    )
    submit = SubmitField(_l("Change password"))


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Language"), choices=[("nl", "Nederlands"), ("en", "English")])
    next = HiddenField()
    submit = SubmitField(_l("Switch"))


class ConfirmForm(FlaskForm):
    """An empty form: a button that only needs CSRF protection."""

    submit = SubmitField(_l("Confirm"))


# --- administration ---------------------------------------------------------------------------

class TeamForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    municipality = StringField(_l("Municipality"), validators=[DataRequired(), Length(max=120)])
    code = StringField(
        _l("Reference code"),
        validators=[DataRequired(), Length(min=2, max=8), Regexp(r"^[A-Z]+$", message=_l("Use 2 to 8 capital letters."))],
        description=_l("Prefix of case references, e.g. GOO in GOO-2026-0007."),
    )
    domains = MultiCheckboxField(_l("Domains"), choices=domain_choices(), validators=[DataRequired()])
    meeting_weekday = SelectField(
        _l("Meeting day"),
        coerce=int,
        choices=[(0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")), (4, _l("Friday"))],
    )
    meeting_start = TimeField(_l("Start time"), validators=[DataRequired()])
    meeting_end = TimeField(_l("End time"), validators=[DataRequired()])
    location = StringField(_l("Location or video link"), validators=[Optional(), Length(max=200)])
    capacity = IntegerField(_l("Cases per meeting"), validators=[DataRequired(), NumberRange(min=1, max=20)])
    quorum = IntegerField(_l("Quorum (experts present)"), validators=[DataRequired(), NumberRange(min=1, max=30)])
    submit = SubmitField(_l("Save"))

    def validate_meeting_end(self, field):
        if self.meeting_start.data and field.data and field.data <= self.meeting_start.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("The end time must be after the start time."))


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH))],
        description=_l("Leave empty to keep the current password."),
    )
    locale = SelectField(_l("Language"), choices=[("nl", "Nederlands"), ("en", "English")])
    is_admin = BooleanField(_l("Administrator"))
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class MembershipForm(FlaskForm):
    team_id = SelectField(_l("Team"), coerce=int, validators=[DataRequired()])
    role = SelectField(_l("Role"), choices=[(r.value, ROLE_LABELS[r]) for r in Role])
    domain = SelectField(_l("Domain (experts)"), choices=[("", "—")] + domain_choices(), validators=[Optional()])
    organisation_id = SelectField(_l("Organisation (contacts)"), coerce=lambda v: int(v) if v else None, validators=[Optional()])
    submit = SubmitField(_l("Add role"))


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    domains = MultiCheckboxField(_l("Domains"), choices=domain_choices())
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class CommitmentForm(FlaskForm):
    team_id = SelectField(_l("Team"), coerce=int, validators=[DataRequired()])
    committed_on = DateField(_l("Signed on"), validators=[DataRequired()])
    ended_on = DateField(_l("Ended on"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save commitment"))

    def validate_ended_on(self, field):
        if field.data and self.committed_on.data and field.data <= self.committed_on.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("The end date must be after the signing date."))
