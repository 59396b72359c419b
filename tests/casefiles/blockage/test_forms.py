"""The long select box of the blockage map writes the same HTML as WTForms' own select."""
from __future__ import annotations

from wtforms import Form, SelectField
from wtforms.widgets import Select

from casefiles.blockage.forms import LongSelect

CHOICES = [(0, "— nobody —"), (7, "Gemeente <Aa> & \"Hunze\""), (12, "UWV")]


class _Plain(Form):
    who = SelectField("Who", coerce=int, choices=CHOICES, widget=Select())


class _Long(Form):
    who = SelectField("Who", coerce=int, choices=CHOICES, widget=LongSelect())


def test_long_select_renders_what_wtforms_renders():
    for data in (None, 0, 7, 12):
        plain, long = _Plain(data={"who": data}), _Long(data={"who": data})
        assert str(long.who()) == str(plain.who())
        assert str(long.who(class_="wide", required=True)) == str(plain.who(class_="wide", required=True))
    assert 'selected value="7">Gemeente &lt;Aa&gt; &amp; &#34;Hunze&#34;</option>' in str(_Long(data={"who": 7}).who())
