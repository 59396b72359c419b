"""Case forms. Choices are filled per request from the team; tampered values fail validation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from core.clock import local_today
from core.forms import Form, MultiCheckboxField, domain_choices
from core.routing import parse_id

from .models import CONSENT_LABELS, URGENCY_LABELS, Urgency

TEXT_MAX = 10_000


def _not_future(form, field):
    if field.data and field.data > local_today():
        raise ValidationError(_l("This date cannot be in the future."))


class CaseForm(Form):
    household_pseudonym = StringField(
        _l("Household pseudonym"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("A pseudonym such as 'Gezin Amber'. Never a real name or citizen service number (BSN)."),
    )
    household_composition = TextAreaField(
        _l("Household composition"), validators=[Optional(), Length(max=2000)],
        description=_l("Who belongs to the household (ages and roles, no names)."),
    )
    domains = MultiCheckboxField(_l("Domains involved"), choices=[])
    organisations = MultiCheckboxField(_l("Organisations involved"), coerce=int, choices=[])
    proposed_invitees = TextAreaField(
        _l("People to invite"), validators=[Optional(), Length(max=2000)],
        description=_l("Professionals of the organisations involved you propose to invite, one per line."),
    )
    tried = TextAreaField(_l("What has been tried"), validators=[Optional(), Length(max=TEXT_MAX)])
    blockage = TextAreaField(_l("Where it is stuck"), validators=[Optional(), Length(max=TEXT_MAX)])
    household_goal = TextAreaField(
        _l("What the household wants to reach"), validators=[Optional(), Length(max=TEXT_MAX)],
        description=_l("In the household's own words."),
    )
    question = TextAreaField(_l("Question to the expert team"), validators=[Optional(), Length(max=TEXT_MAX)])
    urgency = SelectField(_l("Urgency"), choices=[(u.value, URGENCY_LABELS[u]) for u in Urgency], default="normal")
    consent_date = DateField(_l("Date of consent"), validators=[Optional(), _not_future])
    consent_method = SelectField(
        _l("How consent was given"), choices=[("", "—")] + [(k.value, v) for k, v in CONSENT_LABELS.items()],
        validators=[Optional()],
    )
    consent_note = StringField(_l("Note on consent"), validators=[Optional(), Length(max=500)])
    referring_organisation = SelectField(
        _l("Referring partner"), choices=[], validators=[Optional()],
        description=_l("The organisation that brings in the case (yours): it remains the controller of the data; "
                       "the team processes them on its behalf."),
    )
    version = HiddenField()
    save = SubmitField(_l("Save draft"))
    save_submit = SubmitField(_l("Save and submit"))

    def set_choices(self, team_domains, organisations, bases=()):
        self.domains.choices = domain_choices(team_domains)
        self.organisations.choices = [(o.id, o.name) for o in organisations]
        self.referring_organisation.choices = [("", "—")] + [(str(o.id), o.name) for o in organisations]
        self.bases = list(bases)
        self.grounds: dict[int, int | None] = {}

    def validate(self, extra_validators=None) -> bool:
        """On top of the fields: one legal ground per organisation (``ground-<id>``), from the team's list."""
        valid = super().validate(extra_validators)
        known = {b.id for b in self.bases}
        for org_id, _name in self.organisations.choices:
            raw = self._ground_raw(org_id)
            if not raw:
                self.grounds[org_id] = None
            elif (ground := parse_id(raw)) in known:
                self.grounds[org_id] = ground
            else:
                self.organisations.errors = [*self.organisations.errors, _l("Choose a legal ground from the team's list.")]
                valid = False
                break
        return valid

    def _ground_raw(self, org_id: int) -> str:
        from flask import request

        return (request.form.get(f"ground-{org_id}") or "").strip()

    def case_fields(self) -> dict:
        return {
            "household_pseudonym": self.household_pseudonym.data.strip(),
            "household_composition": self.household_composition.data or "",
            "proposed_invitees": self.proposed_invitees.data or "",
            "tried": self.tried.data or "",
            "blockage": self.blockage.data or "",
            "household_goal": self.household_goal.data or "",
            "question": self.question.data or "",
            "urgency": self.urgency.data,
            "consent_date": self.consent_date.data,
            "consent_method": self.consent_method.data or None,
            "consent_note": self.consent_note.data or "",
            # The referring partner is kept when left empty (by default the owner's organisation).
            **({"referring_organisation_id": int(self.referring_organisation.data)} if self.referring_organisation.data else {}),
        }


class IntakeForm(Form):
    criteria = MultiCheckboxField(_l("Inclusion criteria met"), coerce=int, choices=[])
    message = TextAreaField(
        _l("Message or reason"), validators=[Optional(), Length(max=TEXT_MAX)],
        description=_l("Required when you return or decline the case."),
    )
    accept = SubmitField(_l("Accept into the queue"))
    return_ = SubmitField(_l("Return for more information"))
    decline = SubmitField(_l("Decline"))


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=2000)])
    submit = SubmitField(_l("Withdraw case"))


class SubmitForm(Form):
    version = HiddenField()
    submit = SubmitField(_l("Submit to the expert team"))


class QueueFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    domain = SelectField(_l("Domain"), choices=[], validators=[Optional()])
    urgency = SelectField(
        _l("Urgency"), choices=[("", _l("All"))] + [(u.value, URGENCY_LABELS[u]) for u in Urgency], validators=[Optional()]
    )


class CriterionForm(Form):
    text = StringField(_l("Criterion"), validators=[DataRequired(), Length(max=300)])
    submit = SubmitField(_l("Add criterion"))


class CriterionToggleForm(Form):
    criterion_id = IntegerField(validators=[DataRequired()])
    submit = SubmitField(_l("Remove"))
