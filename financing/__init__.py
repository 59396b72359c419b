"""Pay for success: a team's financing agreements, the ledger derived from the cases' recorded
outcomes (booked with corrections, never typed), and the financier's statement per period.
On the layer of ``reports`` (it reuses the period, the small-count rule and the CSV download)."""
from __future__ import annotations

from decimal import Decimal

from flask import Flask


def euro(cents: int | None) -> str:
    """Cents as an amount in the reader's language ("€ 1.234,50" in Dutch)."""
    from flask_babel import format_currency

    if cents is None:
        return ""
    return format_currency(Decimal(cents) / 100, "EUR")


def init_app(app: Flask) -> None:
    from core import jobs
    from core.i18n import N_

    from . import ledger, views

    app.register_blueprint(views.bp)
    app.add_template_filter(euro, "euro")
    jobs.register(app, "financing.book", ledger.book_all, "cron",
                  N_("Book the financing ledgers: entries and corrections from the recorded outcomes"),
                  hour=2, minute=40)
