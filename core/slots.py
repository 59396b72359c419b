"""Slots: named places on a lower layer's page that a higher package fills, so a page is
composed through hooks, never by including a higher layer's partial.

A page offers slots by name (``"meeting.detail.back_on_table"``: the page ``meeting.detail``,
its slot ``back_on_table``); a package registers a provider for a slot in its ``init_app``
(``register_slot``). The page's *view* calls ``fill_slots("meeting.detail", meeting=meeting)``
and passes the result to its template as ``slots``; each provider loads its own data (with
need-to-know) and renders its own partial with ``render_partial``, returning ``None`` for nothing
to show. The template writes ``{{ slots.back_on_table }}``: empty when no package fills it.

Only a rendered (autoescaped) template is placed in a page as it is: ``render_partial`` is, with
the markdown filter, the one place that marks text as markup (``tests/security/test_rules.py``),
and ``fill_slots`` refuses anything else a provider returns.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, render_template
from markupsafe import Markup

from .registry import add, registry

_SLOTS = "core.slots"


class Slots(dict):
    """A page's filled slots (name -> markup); a slot nobody filled is empty markup."""

    def __missing__(self, name: str) -> Markup:
        return Markup("")

    def __getattr__(self, name: str) -> Markup:
        if name.startswith("__"):
            raise AttributeError(name)
        return self[name]


def render_partial(template: str, **context) -> Markup:
    """A provider's partial, rendered by Jinja with autoescaping: safe to place in a page as it is."""
    return Markup(render_template(template, **context))


def register_slot(app: Flask, slot: str, provider: Callable[..., Markup | None]) -> None:
    """Fill ``slot`` (``"<page>.<name>"``) with what ``provider(**context)`` renders; several
    providers of one slot are shown in the order they registered (the packages' layer order)."""
    page, _, name = slot.rpartition(".")
    if not page or not name:
        raise ValueError(f"slot {slot!r} is not '<page>.<name>'")
    add(_SLOTS, app, f"{slot}:{provider.__module__}.{provider.__qualname__}", (page, name, provider), "slot provider")


def fill_slots(page: str, **context) -> Slots:
    """Every slot of ``page`` its providers fill, each given ``context`` (the view's objects)."""
    filled = Slots()
    for slot_page, name, provider in registry(_SLOTS).values():
        if slot_page == page:
            markup = provider(**context)
            if markup is not None and not isinstance(markup, Markup):
                raise TypeError(f"slot {page}.{name}: a provider returns render_partial's markup, not {type(markup).__name__}")
            if markup:
                filled[name] = filled[name] + markup
    return filled
