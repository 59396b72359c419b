"""Templates translate through ``core.i18n.current_translations`` (looked up once per locale per
request): the page's language, a different language inside ``force_locale`` (an e-mail or a
document made during a request) and the page's language again after it; dates likewise."""
from datetime import date

from flask import render_template_string
from flask_babel import force_locale

TEMPLATE = '{{ _("Overdue") }} | {{ ngettext("%(num)d in all", "%(num)d in all", 3) }} | {{ day|date }}'


def test_templates_follow_the_language_also_inside_force_locale(app):
    day = date(2026, 3, 5)
    with app.test_request_context():
        with force_locale("nl"):
            dutch = render_template_string(TEMPLATE, day=day)
            with force_locale("en"):
                english = render_template_string(TEMPLATE, day=day)
            again = render_template_string(TEMPLATE, day=day)
    assert dutch == again
    assert english == "Overdue | 3 in all | Mar 5, 2026"
    assert dutch.startswith("Te laat") and "mrt" in dutch and dutch != english
