"""The draft advice as one form: the texts, the legal grounds, the cost lines, the actions and
the ties to the blockage map, saved together by one button (``advice.drafting.draft_save``). Rows are
added and removed in place: without JavaScript the form offers blank rows and a "remove" box per
existing row; with it (``static/advice_draft.js``) a row is added on request.

Choices are filled per request from the team (``DraftPage.fill``); a tampered value fails
validation. A blank new row is ignored; a row that is partly filled in must be complete."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import Form as RowForm
from wtforms.validators import Length, Optional

from advice.lifecycle import NOTE_MAX
from advice.models import COST_SIDE_LABELS
from core.forms import Form, MultiCheckboxField

from .services import TEXT_MAX

#: Blank rows offered without JavaScript, and the most new rows one save takes.
BLANK_ROWS = 1
MAX_NEW_ROWS = 20
REQUIRED = _l("Fill this in, or empty the whole row.")


class CostRow(RowForm):
    """A new cost line: from the catalogue, or by hand (name and unit cost)."""

    side = SelectField(_l("Side"), choices=[(k.value, v) for k, v in COST_SIDE_LABELS.items()], default="current")
    intervention = SelectField(_l("From the catalogue"), coerce=int, choices=[(0, "")], default=0, validators=[Optional()])
    name = StringField(_l("Or by hand: name"), validators=[Optional(), Length(max=160)])
    unit_cost = StringField(_l("Unit cost (euro)"), validators=[Optional(), Length(max=20)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=60)])
    source = StringField(_l("Source"), validators=[Optional(), Length(max=300)])
    deviation_reason = StringField(_l("Why another price than the catalogue's"), validators=[Optional(), Length(max=300)],
                                   description=_l("Required when a catalogue item gets another unit cost."))
    quantity = StringField(_l("Quantity"), validators=[Optional(), Length(max=20)],
                           description=_l("Use a fraction for a likelihood: 0.5 is a one-in-two chance."))

    def blank(self) -> bool:
        return not self.intervention.data and not any(
            (getattr(self, f).data or "").strip() for f in ("name", "unit_cost", "unit", "source", "quantity",
                                                            "deviation_reason"))


class ActionRow(RowForm):
    """A new action for a committed organisation, and the need it solves."""

    organisation = SelectField(_l("Organisation"), coerce=int, choices=[(0, "")], default=0, validators=[Optional()])
    description = TextAreaField(_l("What it must do"), validators=[Optional(), Length(max=NOTE_MAX)])
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    need = SelectField(_l("Need it solves"), coerce=int, choices=[(0, "")], default=0, validators=[Optional()])

    def blank(self) -> bool:
        return not self.organisation.data and not (self.description.data or "").strip() and not self.deadline.data


class DraftForm(Form):
    situation = TextAreaField(_l("The situation in brief"), validators=[Optional(), Length(max=TEXT_MAX)])
    blockage = TextAreaField(_l("The biggest blockage"), validators=[Optional(), Length(max=TEXT_MAX)])
    advice_text = TextAreaField(_l("The advice"), validators=[Optional(), Length(max=TEXT_MAX)],
                                description=_l("Markdown: *emphasis*, lists with -, blank line between paragraphs."))
    legal_free_text = TextAreaField(_l("Legal justification (free text)"), validators=[Optional(), Length(max=TEXT_MAX)])
    lock_version = HiddenField()
    grounds = MultiCheckboxField(_l("Legal grounds cited"), coerce=int, choices=[], validators=[Optional()])
    remove_costs = MultiCheckboxField(_l("Remove"), coerce=int, choices=[], validators=[Optional()])
    costs = FieldList(FormField(CostRow), min_entries=BLANK_ROWS, max_entries=MAX_NEW_ROWS)
    remove_actions = MultiCheckboxField(_l("Remove"), coerce=int, choices=[], validators=[Optional()])
    actions = FieldList(FormField(ActionRow), min_entries=BLANK_ROWS, max_entries=MAX_NEW_ROWS)
    breaks = MultiCheckboxField(_l("This advice breaks"), coerce=int, choices=[], validators=[Optional()])
    # The coordinated approach (advice.plan): the coordinator, the household's goals, the progress check.
    coordinator = SelectField(_l("Coordinator (regisseur)"), coerce=int, choices=[], validators=[Optional()],
                              description=_l("Watches over the plan's execution with the household; takes over no "
                                             "one's responsibility. By default the case owner."))
    year_goals = TextAreaField(_l("The household's goals for the coming year"), validators=[Optional(), Length(max=5_000)],
                               description=_l("In the household's own words, one goal per line."))
    progress_check = TextAreaField(_l("How progress is checked"), validators=[Optional(), Length(max=5_000)],
                                   description=_l("When, by whom and with the household; the three-month evaluation asks per goal."))
    save = SubmitField(_l("Save the draft"))
    save_issue = SubmitField(_l("Save and issue the advice"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for entry in self.costs:
            row = entry.form
            if not row.blank() and not (row.quantity.data or "").strip():
                row.quantity.errors = [*row.quantity.errors, REQUIRED]
                valid = False
        for entry in self.actions:
            row = entry.form
            if row.blank():
                continue
            for f in (row.organisation, row.description, row.deadline):
                if not f.data and not f.errors:
                    f.errors = [*f.errors, REQUIRED]
                    valid = False
        return valid

    def plan_fields(self) -> dict:
        return {"coordinator_id": self.coordinator.data or None, "year_goals": self.year_goals.data or "",
                "progress_check": self.progress_check.data or ""}

    def new_costs(self) -> list[dict]:
        return [entry.form.data for entry in self.costs if not entry.form.blank()]

    def new_actions(self) -> list[dict]:
        return [entry.form.data for entry in self.actions if not entry.form.blank()]
