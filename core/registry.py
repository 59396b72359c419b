"""Registries that live on the app: what each package adds in its ``init_app`` (jobs,
notification kinds, privacy parts, …). Kept in ``app.extensions``, so every process that
creates the app has the same entries, and nothing depends on what happened to be imported."""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app


def registry(key: str, app: Flask | None = None) -> dict[str, Any]:
    """The app's registry called ``key`` (name -> entry, in registration order)."""
    return (app or current_app).extensions.setdefault(key, {})


def add(key: str, app: Flask, name: str, entry: Any, what: str) -> Any:
    """Register ``entry`` under ``name``; the same entry again is harmless, a different entry
    under a known name is a bug (two packages claiming one name)."""
    entries = registry(key, app)
    if name in entries and entries[name] != entry:
        raise ValueError(f"{what} {name!r} registered twice")
    entries[name] = entry
    return entry
