"""How a view reports a step the services refused."""
from __future__ import annotations

from flask import abort, flash

from .extensions import db
from .services import PermissionDenied, ServiceError


def show_refusal(exc: ServiceError, form=None) -> None:
    """Roll back the refused step, then: a ``PermissionDenied`` answers 403; an error that names
    a field of ``form`` (``exc.field``) is shown on that field; anything else is flashed."""
    db.session.rollback()
    if isinstance(exc, PermissionDenied):
        abort(403)
    field = getattr(exc, "field", None)
    if form is not None and field and field in form:
        form[field].errors = list(form[field].errors) + [exc.message]
    else:
        flash(exc.message, "error")
