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


_TEMPLATE_GLOBALS = "core.template_globals"


def add_template_global(app: Flask, name: str, value: Any) -> Any:
    """Make ``value`` a template global called ``name``: the one way a package adds one (a test
    checks that no module sets ``jinja_env.globals`` otherwise). A name another package claimed,
    or one Flask or Jinja already provide (``url_for``, ``_`` …), is refused. A global only
    formats or looks up what it is given: none may query the database (the view or a slot's
    provider loads what a template shows; ``tests/security/test_template_globals.py``)."""
    if name not in registry(_TEMPLATE_GLOBALS, app) and name in app.jinja_env.globals:
        raise ValueError(f"template global {name!r} is already provided by Flask or Jinja")
    add(_TEMPLATE_GLOBALS, app, name, value, "template global")
    app.jinja_env.globals[name] = value
    return value


def template_globals(app: Flask | None = None) -> dict[str, Any]:
    """The template globals the packages registered (name -> value)."""
    return dict(registry(_TEMPLATE_GLOBALS, app))
