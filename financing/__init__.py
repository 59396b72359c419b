"""Pay for success: a team's financing agreements, the ledger derived from the cases' recorded
outcomes (booked with corrections, never typed), and the financier's statement per period.
On the layer of ``reports`` (it reuses the period, the small-count rule and the CSV download)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core import jobs
    from core.i18n import N_

    from . import ledger, views

    app.register_blueprint(views.bp)
    jobs.register(app, "financing.book", ledger.book_all, "cron",
                  N_("Book the financing ledgers: entries and corrections from the recorded outcomes"),
                  hour=2, minute=40)
