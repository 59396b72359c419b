"""Meeting pages (placeholder, filled in below)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("meeting", __name__, url_prefix="/meetings")

from . import jobs as _jobs  # noqa: E402,F401  (registers the meeting jobs)
from . import models as _models  # noqa: E402,F401
