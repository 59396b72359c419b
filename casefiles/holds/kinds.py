"""The hard cases' notification kinds (registered by ``casefiles.holds.init_app``). The keys keep
their first names (``casefiles.…``): stored notifications refer to them.

Contexts carry the case reference only: never household details.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from notifications.kinds import Kind

HOLD_KINDS: dict[str, Kind] = {
    "casefiles.hold_retry": Kind(
        _l("Case %(reference)s: time to try again"),
        _l("Case %(reference)s is on hold and today is the date to try again. Resume the case or set a new date."),
    ),
    "casefiles.signal_requested": Kind(
        _l("Signal request for case %(reference)s"),
        _l("The case owner of %(reference)s lost contact with the client and asks your organisation to signal "
           "when the client turns up. Open the request to see whom to call."),
    ),
    "casefiles.client_seen": Kind(
        _l("Client of case %(reference)s seen"),
        _l("An organisation reported that the client of case %(reference)s was seen. Open the case for the note."),
        always_email=True,
    ),
}
