"""What a package above casefiles asks the case owner to do, shown where they look: on the home
page and on the case page. casefiles knows no advice; ``advice`` registers its notices (a
three-month evaluation that is due, a completed case to close) from its ``init_app``.

A home notice is ``func(user) -> list[Notice]`` (one statement for all the user's cases); a case
notice is ``func(user, case) -> list[Notice]``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from core.registry import add, registry

_HOME = "casefiles.home_notices"
_CASE = "casefiles.case_notices"


@dataclass(frozen=True)
class Notice:
    """One thing to do: what, about which case, and where to do it."""

    text: str
    link: str
    link_text: str
    reference: str = ""
    due: bool = False
    """True when it is due or overdue (shown as a warning)."""
    badge: str = ""
    """A CSS class to show the text as a coloured badge (e.g. an escalation level; the words carry the meaning)."""


def register_home_notices(app: Flask, func: Callable) -> None:
    add(_HOME, app, f"{func.__module__}.{func.__qualname__}", func, "home notice")


def register_case_notices(app: Flask, func: Callable) -> None:
    add(_CASE, app, f"{func.__module__}.{func.__qualname__}", func, "case notice")


def home_notices(user) -> list[Notice]:
    return [n for func in registry(_HOME).values() for n in func(user)]


def case_notices(user, case) -> list[Notice]:
    return [n for func in registry(_CASE).values() for n in func(user, case)]
