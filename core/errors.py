"""The errors every service raises: a refused step (``ServiceError``, its message fit to show) and
a refused permission (``PermissionDenied``, a 403)."""
from __future__ import annotations


class ServiceError(Exception):
    """A refused step, with a message fit to show the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = str(message)


class PermissionDenied(ServiceError):
    """The user may not do this (views answer 403)."""
