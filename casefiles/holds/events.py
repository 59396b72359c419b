"""The hard cases' webhook event (registered by ``casefiles.holds.init_app``)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

HOLD_EVENTS = {"signal.requested": _l("Signal requested (lost contact)")}
