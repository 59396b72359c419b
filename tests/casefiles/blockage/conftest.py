"""Fixtures of the blockage-map tests: the seed example as a case with needs and links."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from casefiles.blockage import services as blockage
from core.db import db


@pytest.fixture(autouse=True)
def _english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def seed_map(world):
    """The seed pilot's circle: urgency -> debt arrangement -> fixed address -> urgency, and the
    children staying with their mother waiting for urgency. Built by the owner at intake."""

    def _make(case):
        o = world.owner
        s = SimpleNamespace(case=case)
        s.urgency = blockage.add_need(case, o, title="Rental urgency", decided_by_id=world.org.id,
                                rule="Huisvestingsverordening art. 2.5")
        s.debt = blockage.add_need(case, o, title="Debt arrangement", rule="Wgs")
        s.address = blockage.add_need(case, o, title="Fixed address")
        s.children = blockage.add_need(case, o, title="Children stay with their mother")
        blockage.link_needs(s.urgency, s.debt, o, reason="No urgency while a debt is open")
        blockage.link_needs(s.debt, s.address, o, reason="No debt arrangement without a fixed address")
        blockage.link_needs(s.address, s.urgency, o, reason="No fixed address without urgency")
        blockage.link_needs(s.children, s.urgency, o, reason="Custody needs a home")
        db.session.commit()
        return s

    return _make


from tests.advice.conftest import aw, discussed, drafted, issued  # noqa: E402,F401  (advice fixtures)


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
