"""Drafting and issuing the binding advice: the draft as one form (texts, legal grounds, cost
lines, actions, the ties to the blockage map and the plan; ``services``, ``draft_form``,
``draft_page``, ``draft_save``, ``ties``), issuing and correcting it (``issuing``), its archive
copy (``documents``), the team's catalogues it draws on (``catalogue``, ``models``), the advice's
part of a case's export and retention (``privacy``) and its pages (``views``, blueprint
``advice``: draft, issue, show, print, the catalogue)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from casefiles.blockage.services import register_need_reference

    from . import privacy, ties, views

    register_need_reference(app, ties.need_is_tied)
    app.register_blueprint(views.bp)
    privacy.register_parts(app)
