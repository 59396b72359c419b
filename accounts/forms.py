"""Forms of accounts: sign-in, password, language, administration."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from core.forms import Form, MultiCheckboxField, domain_choices
from core.i18n import LANGUAGES
from core.models import ROLE_LABELS, Role

from .security import password_problem

MIN_PASSWORD_LENGTH = 12
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def not_common_password(form, field):
    """Refuse common passwords, the list shipped in ``accounts/data`` (ASVS 2.1.7)."""
    if field.data:
        email = form.email.data if hasattr(form, "email") else None
        problem = password_problem(field.data, email=email)
        if problem:
            raise ValidationError(problem)


class LoginForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)),
            not_common_password,
        ],
    )
    confirm = PasswordField(
        _l("Repeat new password"), validators=[DataRequired(), EqualTo("new", message=_l("The passwords do not match."))]
    )
    submit = SubmitField(_l("Change password"))


class TwoFactorForm(Form):
    code = StringField(
        _l("Code"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=40)],
        description=_l("The 6-digit code from your authenticator app, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )
    submit = SubmitField(_l("Continue"))


class ReauthForm(Form):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    code = StringField(
        _l("Code"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=40)],
        description=_l("The 6-digit code from your authenticator app, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code"},
    )
    next = HiddenField()
    submit = SubmitField(_l("Confirm"))


class LanguageForm(Form):
    lang = SelectField(_l("Language"), choices=list(LANGUAGES.items()))
    next = HiddenField()
    submit = SubmitField(_l("Switch"))


class ConfirmForm(Form):
    """An empty form: a button that only needs CSRF protection."""

    submit = SubmitField(_l("Confirm"))


# --- administration ---------------------------------------------------------------------------

WEEKDAY_LABELS = {
    0: _l("Monday"), 1: _l("Tuesday"), 2: _l("Wednesday"), 3: _l("Thursday"), 4: _l("Friday"),
    5: _l("Saturday"), 6: _l("Sunday"),
}


class TeamForm(Form):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    municipality = StringField(_l("Municipality"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    code = StringField(
        _l("Reference code"),
        filters=[_upper],
        validators=[DataRequired(), Length(min=2, max=8), Regexp(r"^[A-Z]+$", message=_l("Use 2 to 8 capital letters."))],
        description=_l("Prefix of case references, e.g. GOO in GOO-2026-0007."),
    )
    domains = MultiCheckboxField(_l("Domains"), choices=domain_choices(), validators=[DataRequired()])
    meeting_weekday = SelectField(
        _l("Meeting day"),
        coerce=int,
        choices=[(day, WEEKDAY_LABELS[day]) for day in range(5)],
    )
    meeting_start = TimeField(_l("Start time"), validators=[DataRequired()])
    meeting_end = TimeField(_l("End time"), validators=[DataRequired()])
    location = StringField(_l("Location or video link"), filters=[_strip], validators=[Optional(), Length(max=200)])
    capacity = IntegerField(_l("Cases per meeting"), validators=[DataRequired(), NumberRange(min=1, max=20)])
    quorum = IntegerField(_l("Quorum (experts present)"), validators=[DataRequired(), NumberRange(min=1, max=30)])
    submit = SubmitField(_l("Save"))

    def validate_meeting_end(self, field):
        if self.meeting_start.data and field.data and field.data <= self.meeting_start.data:
            raise ValidationError(_l("The end time must be after the start time."))


class UserForm(Form):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    # A plain shape check: email_validator refuses reserved domains such as .test and .local,
    # which closed municipal installations and tests use.
    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=254), Regexp(EMAIL_SHAPE, message=_l("Enter a valid e-mail address."))],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            Optional(),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)),
            not_common_password,
        ],
        description=_l("Leave empty to keep the current password."),
    )
    locale = SelectField(_l("Language"), choices=list(LANGUAGES.items()), default="nl")
    is_admin = BooleanField(
        _l("Administrator"), description=_l("Manages teams, people and organisations; sees no case content.")
    )
    submit = SubmitField(_l("Save"))

    def for_new_user(self) -> "UserForm":
        """A new account needs a password: make the field required and say so."""
        self.password.validators = [
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)),
            not_common_password,
        ]
        self.password.flags.required = True
        self.password.description = _l("At least %(min)d characters.", min=MIN_PASSWORD_LENGTH)
        return self


def _optional_int(value):
    """Coerce a select value to int; empty means None (a non-number fails as an invalid choice)."""
    if value in (None, "", "None"):
        return None
    return int(value)


class UserFilterForm(Form):
    """The filter above the list of people (GET; changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    team = SelectField(_l("Team"), coerce=_optional_int, choices=[], validators=[Optional()])
    q = StringField(_l("Name or e-mail address"), validators=[Optional(), Length(max=254)])

    def set_choices(self, teams):
        self.team.choices = [("", _l("All teams"))] + [(t.id, t.name) for t in teams]


class MembershipForm(Form):
    team_id = SelectField(_l("Team"), coerce=_optional_int, choices=[], validators=[DataRequired()])
    role = SelectField(_l("Role"), choices=[(r.value, ROLE_LABELS[r]) for r in Role])
    domain = SelectField(
        _l("Domain (experts)"), choices=[("", "—")] + domain_choices(), validators=[Optional()],
        description=_l("Experts only: one of the domains the team covers."),
    )
    organisation_id = SelectField(
        _l("Organisation (contacts)"), coerce=_optional_int, choices=[], validators=[Optional()],
        description=_l("Required for organisation contacts; optional for case owners."),
    )
    submit = SubmitField(_l("Add role"))

    def set_choices(self, teams, organisations):
        self.team_id.choices = [(t.id, f"{t.name} ({t.municipality})") for t in teams]
        self.organisation_id.choices = [("", "—")] + [(o.id, o.name) for o in organisations]


class OrganisationForm(Form):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=160)])
    domains = MultiCheckboxField(_l("Domains"), choices=domain_choices())
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class CommitmentForm(Form):
    team_id = SelectField(_l("Team"), coerce=_optional_int, choices=[], validators=[DataRequired()])
    committed_on = DateField(_l("Signed on"), validators=[DataRequired()])
    ended_on = DateField(_l("Ended on"), validators=[Optional()], description=_l("Leave empty while the commitment holds."))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    escalation_name = StringField(_l("Escalation contact at director level: name"), validators=[Optional(), Length(max=160)],
                                  description=_l("The escalation ladder's level 2: gets a short e-mail when an action of this organisation is not carried out."))
    escalation_email = EmailField(_l("Escalation contact at director level: e-mail"), validators=[Optional(), Length(max=254)])
    submit = SubmitField(_l("Save commitment"))

    def set_choices(self, teams):
        self.team_id.choices = [(t.id, f"{t.name} ({t.municipality})") for t in teams]

    def validate_ended_on(self, field):
        if field.data and self.committed_on.data and field.data <= self.committed_on.data:
            raise ValidationError(_l("The end date must be after the signing date."))
