"""Fixtures of the hard-case tests."""
from __future__ import annotations

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def _english(app):
    with force_locale("en"):
        yield
