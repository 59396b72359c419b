"""Fixtures of the hard-case tests."""
from __future__ import annotations

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def _english(app):
    with force_locale("en"):
        yield


@pytest.fixture(autouse=True)
def _english_pages(request):
    """The pages in English for every user (the tests read English texts; users default to Dutch)."""
    if "world" not in request.fixturenames:
        yield
        return
    import sqlalchemy as sa

    from core.db import db
    from core.models import User

    request.getfixturevalue("world")
    db.session.execute(sa.update(User).values(locale="en"))
    db.session.commit()
    yield
