"""The registry of notification kinds, with their texts. This package knows no kind of its own:
each package registers its kinds (``casefiles.kinds``, ``meeting.kinds`` …) in its ``init_app``.

Texts are lazy gettext strings formatted with the notification's context at display time, so
each reader gets them in their own language. They carry the case reference and what to do,
never household details.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from core.registry import add, registry


@dataclass(frozen=True)
class Kind:
    subject: object
    body: object
    always_email: bool = False
    """Sent by e-mail whatever the recipient's preference (e.g. a refused action)."""


_KEY = "notifications.kinds"


def registered(app: Flask | None = None) -> dict[str, Kind]:
    """The app's notification kinds by key (each package adds its own in ``init_app``)."""
    return registry(_KEY, app)


def register(app: Flask, key: str, kind: Kind) -> Kind:
    """Let a package add a kind (case, meeting, advice …) without this package knowing it.

    Call it from the package's ``init_app``, e.g.::

        register(app, "advice.action_refused", Kind(_l("Action for case %(reference)s refused"),
                                                     _l("… Please decide how to proceed."), always_email=True))

    Registering the same key again with an equal kind is harmless; a different kind under a
    known key is a bug.
    """
    return add(_KEY, app, key, kind, "notification kind")


def register_all(app: Flask, kinds: dict[str, Kind]) -> None:
    for key, kind in kinds.items():
        register(app, key, kind)
