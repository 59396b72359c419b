"""Every kind of notification, with its texts.

Texts are lazy gettext strings formatted with the notification's context at display time, so
each reader gets them in their own language. They carry the case reference and what to do,
never household details.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Kind:
    subject: object
    body: object
    always_email: bool = False
    """Sent by e-mail whatever the recipient's preference (e.g. a refused action)."""


KINDS: dict[str, Kind] = {
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


def register(key: str, kind: Kind) -> Kind:
    """Let a package add its kinds (meeting, advice …) without this package importing it.

    Call it at import time of the package's module, e.g.::

        register("action.refused", Kind(_l("Action for case %(reference)s refused"),
                                        _l("… Please decide how to proceed."), always_email=True))

    Registering the same key again with an equal kind is harmless (re-imports); a different
    kind under a known key is a bug.
    """
    existing = KINDS.get(key)
    if existing is not None and existing != kind:
        raise ValueError(f"notification kind {key!r} registered twice")
    KINDS[key] = kind
    return kind
