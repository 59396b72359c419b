"""Forms of the notifications package."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.validators import InputRequired

from core.forms import Form
from core.models import NotificationPreference


class PreferencesForm(Form):
    preference = RadioField(
        _l("How do you want to receive messages?"),
        choices=[(p.value, p.label) for p in NotificationPreference],
        validators=[InputRequired()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Labels in the reader's language (the class attribute was built at import time).
        self.preference.choices = [(p.value, p.label) for p in NotificationPreference]
