"""Errors every service raises, and the shell's own services (accounts, organisations)."""
from __future__ import annotations


class ServiceError(Exception):
    """A refused step, with a message fit to show the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = str(message)


class PermissionDenied(ServiceError):
    """The user may not do this (views answer 403)."""
