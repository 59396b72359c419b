"""Advice pages: drafting, issuing, correcting and printing the advice; the organisations'
action pages; the overviews; closing and following up the case. Thin: forms validate, services
change state, we commit."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("advice", __name__, url_prefix="/advice")

from advice import models as _models  # noqa: E402,F401  (tables)
