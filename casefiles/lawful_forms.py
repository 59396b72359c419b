"""The form of the team's list of legal grounds."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.forms import Form

from .lawful_models import STATUS_LABELS


class LegalBasisForm(Form):
    basis_id = HiddenField()
    statute = StringField(_l("Statute"), validators=[DataRequired(), Length(max=160)])
    article = StringField(_l("Article"), validators=[Optional(), Length(max=120)])
    allows = TextAreaField(_l("What it allows"), validators=[Optional(), Length(max=600)])
    status = SelectField(_l("Status"), choices=[(k.value, v) for k, v in STATUS_LABELS.items()])
    source_url = StringField(_l("Source (link)"), validators=[Optional(), Length(max=300)])
    save = SubmitField(_l("Save ground"))
