"""Loading a case in a view: the one place a view turns an id into a case the user may see."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from core.db import db

from . import permissions
from .models import Case


def get_case(case_id: int) -> Case:
    """A case the current user may see, or 404 (a foreign case does not exist for them)."""
    case = db.session.get(Case, case_id)
    if case is None or not permissions.can_view(current_user, case):
        abort(404)
    return case
