"""Form pieces every package uses."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets

from .models import DOMAIN_LABELS, Domain
from .text import UNSTORABLE_MESSAGE, unstorable


class Form(FlaskForm):
    """The base of every form: on top of each field's own validators, it refuses text that holds
    a character no database or XML document can take, with a message on that field. Every form
    of the app derives from it (``tests/core/test_forms.py`` checks)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if unstorable(field.data) or unstorable(getattr(field, "raw_data", None)):
                field.errors = [*field.errors, UNSTORABLE_MESSAGE]
                valid = False
        return valid


class PostForm(Form):
    """A button that posts (CSRF only): publish, confirm, remove …"""


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def domain_choices(domains=None):
    return [(d.value, DOMAIN_LABELS[d]) for d in (domains if domains is not None else Domain)]
