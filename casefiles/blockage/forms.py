"""Forms of the blockage map. Choices are filled per request."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import escape
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import Select

from core.forms import Form

from .models import NEED_STATUS_LABELS, TEXT_MAX, TITLE_MAX


class LongSelect(Select):
    """WTForms' select box with its options written out directly: the same HTML, without an
    attribute dictionary per option (who decides lists every active organisation, hundreds)."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        return (f'<option {"selected " if choice.selected else ""}value="{escape(value)}">'
                f"{escape(choice.label or choice.value)}</option>")


class NeedForm(Form):
    title = StringField(_l("What must happen"), validators=[DataRequired(), Length(max=TITLE_MAX)],
                        description=_l("In a few words, e.g. 'rental urgency' or 'debt arrangement'."))
    decided_by = SelectField(_l("Who decides on it"), coerce=int, choices=[], validators=[Optional()],
                             widget=LongSelect())
    rule = StringField(_l("The rule or law it applies"), validators=[Optional(), Length(max=TEXT_MAX)])
    status = SelectField(_l("Status"), choices=[(k.value, v) for k, v in NEED_STATUS_LABELS.items()])
    save = SubmitField(_l("Save the need"))


class LinkForm(Form):
    need = SelectField(_l("This need"), coerce=int, choices=[], validators=[InputRequired()])
    waits_for = SelectField(_l("waits for"), coerce=int, choices=[], validators=[InputRequired()])
    reason = StringField(_l("Because"), validators=[DataRequired(), Length(max=TEXT_MAX)],
                         description=_l("e.g. 'no urgency while a debt is open'"))
    link = SubmitField(_l("Add the arrow"))
