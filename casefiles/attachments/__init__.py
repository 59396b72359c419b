"""Files attached to a case (a debt overview, a letter, the signed consent): checked by content,
kept in a folder, read on need-to-know, audited, removed by retention."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core.privacy import register_anonymiser, register_export, register_export_files

    from . import services, views

    app.register_blueprint(views.bp)
    register_export(app, "attachments", services.export_attachments)
    register_export_files(app, "attachments", services.export_files)
    register_anonymiser(app, "attachments", services.anonymise_attachments)
