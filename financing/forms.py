"""Forms of the financing pages. Amounts are typed in euros in the reader's language
("1.234,50" in Dutch) and kept as cents."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import NumberFormatError, parse_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from .models import MISSING_LABELS, PRICE_LABELS, SCOPE_LABELS


def euros_to_cents(text: str | None) -> int | None:
    """'1.234,50' (Dutch) or '1,234.50' (English), with or without '€', as cents; None if empty.
    Raises ValueError when it is not an amount."""
    text = (text or "").replace("€", "").replace("\u00a0", "").strip()
    if not text:
        return None
    try:
        value = parse_decimal(text, locale=str(get_locale() or "nl"), strict=True)
    except NumberFormatError:
        raise ValueError(text) from None
    if value < 0 or value > Decimal(100000000):
        raise ValueError(text)
    return int((value * 100).quantize(Decimal(1), ROUND_HALF_UP))


class AmountField(StringField):
    """An amount in euros; ``.cents`` after validation."""

    cents: int | None = None

    def pre_validate(self, form):
        try:
            self.cents = euros_to_cents(self.data)
        except ValueError:
            raise ValidationError(_l("Enter an amount in euros, for example 1500 or 1500.00.")) from None


class AgreementForm(FlaskForm):
    financier = StringField(_l("Financier"), validators=[InputRequired(), Length(max=160)],
                            description=_l("The organisation that pre-finances the support."))
    starts_on = DateField(_l("Start"), validators=[InputRequired()])
    ends_on = DateField(_l("End (last day)"), validators=[InputRequired()])
    scope = SelectField(_l("Cases covered"), choices=[(k.value, v) for k, v in SCOPE_LABELS.items()])
    price_kind = SelectField(_l("Price"), choices=[(k.value, v) for k, v in PRICE_LABELS.items()])
    price = AmountField(_l("Amount per successful household (euro)"),
                        description=_l("For a fixed price."))
    cap = AmountField(_l("Cap per household (euro)"),
                      description=_l("For a cost-based price: the most one household can cost. Empty: no cap."))
    partial_share_percent = IntegerField(_l("Share due when partly successful (%)"), default=50,
                                         validators=[InputRequired(), NumberRange(min=0, max=100)])
    grace_days = IntegerField(_l("Grace period after the evaluation date (days)"), default=30,
                              validators=[InputRequired(), NumberRange(min=0, max=365)])
    missing_rule = SelectField(_l("An evaluation still missing after the grace period"),
                               choices=[(k.value, v) for k, v in MISSING_LABELS.items()])
    version = HiddenField()
    save = SubmitField(_l("Save the agreement"))


class MarkForm(FlaskForm):
    reference = StringField(_l("Case reference"), validators=[InputRequired(), Length(max=24)],
                            description=_l("For example GOO-2026-0007."))
    mark = SubmitField(_l("Mark the case"))

