"""Slots (``core.slots``) and template globals (``core.registry.add_template_global``): a lower
page's named places that higher packages fill, and the one way to add a template global."""
from __future__ import annotations

import pytest
from flask import render_template_string
from jinja2 import ChoiceLoader, DictLoader
from markupsafe import Markup

from core.registry import add_template_global, template_globals
from core.slots import Slots, fill_slots, register_slot, render_partial


def _badge(case, **_context):
    return Markup("<b>") + case + Markup("</b>")


def _nothing(**_context):
    return None


@pytest.mark.own_app
def test_a_page_gets_what_its_providers_render_in_their_order(app):
    register_slot(app, "probe.page.status", _badge)
    register_slot(app, "probe.page.status", lambda case, **_: Markup("<i>second</i>"))
    register_slot(app, "probe.page.after", _nothing)
    register_slot(app, "probe.other.status", lambda **_: Markup("elsewhere"))
    with app.test_request_context():
        slots = fill_slots("probe.page", case="<script>")
        page = render_template_string("[{{ slots.status }}][{{ slots.after }}][{{ slots.unknown }}]", slots=slots)
    assert page == "[<b>&lt;script&gt;</b><i>second</i>][][]"
    assert set(slots) == {"status"}


@pytest.mark.own_app
def test_a_provider_returns_rendered_markup_only(app):
    register_slot(app, "probe.page.status", lambda **_: "<b>raw text</b>")
    with app.test_request_context(), pytest.raises(TypeError, match="probe.page.status"):
        fill_slots("probe.page")
    app.jinja_loader = ChoiceLoader([app.jinja_loader, DictLoader({"probe.html": "<p>{{ text }}</p>"})])
    with app.test_request_context():
        assert render_partial("probe.html", text="<x>") == Markup("<p>&lt;x&gt;</p>")


@pytest.mark.own_app
def test_a_slot_is_named_by_its_page_and_registered_once(app):
    with pytest.raises(ValueError, match="not '<page>.<name>'"):
        register_slot(app, "status", _badge)
    register_slot(app, "probe.page.status", _badge)
    register_slot(app, "probe.page.status", _badge)  # the same provider again: harmless
    with app.test_request_context():
        assert fill_slots("probe.page", case="x") == {"status": Markup("<b>x</b>")}
    assert Slots().anything == ""


@pytest.mark.own_app
def test_a_template_global_name_is_claimed_once(app):
    add_template_global(app, "probe_value", 1)
    add_template_global(app, "probe_value", 1)  # the same value again: harmless
    assert app.jinja_env.globals["probe_value"] == 1 and template_globals(app)["probe_value"] == 1
    with pytest.raises(ValueError, match="registered twice"):
        add_template_global(app, "probe_value", 2)
    with pytest.raises(ValueError, match="Flask or Jinja"):
        add_template_global(app, "url_for", lambda: "")
    assert {"id_link", "date_formatter", "advice_perms", "hold_reason_labels"} <= set(template_globals(app))
