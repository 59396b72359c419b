"""The case package's notification kinds (registered by ``casefiles.init_app``).

Contexts carry the case reference only: never household details.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from notifications.kinds import Kind

CASE_KINDS: dict[str, Kind] = {
    "case.submitted": Kind(
        _l("Case %(reference)s submitted for intake"),
        _l("Case %(reference)s has been submitted to the expert team. Please assess it at intake."),
    ),
    "case.returned": Kind(
        _l("Case %(reference)s returned for more information"),
        _l("Intake returned case %(reference)s to you with a question. Please complete it and submit it again."),
    ),
    "case.accepted": Kind(
        _l("Case %(reference)s accepted"),
        _l("Case %(reference)s was accepted by the expert team and is now waiting in the queue."),
    ),
    "case.declined": Kind(
        _l("Case %(reference)s declined"),
        _l("The expert team declined case %(reference)s. The reason is on the case page."),
    ),
    "case.withdrawn": Kind(
        _l("Case %(reference)s withdrawn"),
        _l("Case %(reference)s was withdrawn."),
    ),
}
