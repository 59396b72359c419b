"""Numbers in the reader's language: a decimal comma and "50,0 %" in Dutch."""
from decimal import Decimal

import pytest
from flask_babel import force_locale

from core.filters import number, percent


@pytest.mark.parametrize("locale, expected", [
    ("nl", ("50,0\u00a0%", "0,5", "0,50", "1.234,5", "—")),
    ("en", ("50.0\u00a0%", "0.5", "0.50", "1,234.5", "—")),
])
def test_numbers_follow_the_language(app, locale, expected):
    with app.test_request_context(), force_locale(locale):
        assert (percent(50), number(Decimal("0.5")), number(0.5, 2), number(1234.5, 1), number(None)) == expected


def test_overview_rate_and_medians_in_dutch(client, world, create_case):
    """The follow-through table (overview, contact's home, dashboard) uses the filters."""
    from flask import render_template_string

    from advice.follow_through.org_figures import OrgFollowThrough
    row = OrgFollowThrough(1, "Woonstichting", total=4000, done=2000, median_days_to_confirm=2.5, median_days_to_complete=10.0)
    with client.application.test_request_context(), force_locale("nl"):
        html = render_template_string(
            '{% from "advice/follow_through/_macros.html" import figures_table %}{{ figures_table([row]) }}', row=row)
    assert "50,0\u00a0%" in html and "4.000" in html and "2,5" in html and "10,0" in html and "50.0" not in html
