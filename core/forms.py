"""Form pieces every package uses."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets

from .models import DOMAIN_LABELS, Domain


class PostForm(FlaskForm):
    """A button that posts (CSRF only): publish, confirm, remove …"""


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def domain_choices(domains=None):
    return [(d.value, DOMAIN_LABELS[d]) for d in (domains if domains is not None else Domain)]
