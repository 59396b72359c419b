"""No template global queries the database: every global goes through
``core.registry.add_template_global``, and while the key pages of the demo's roles render, each
registered callable (and each function of a module registered as a global, e.g. ``advice_perms``)
is wrapped with a counter of the statements issued during its call. What a page shows is loaded
by its view or a slot's provider (``core.slots``)."""
from __future__ import annotations

import functools
import inspect
import types
from collections import Counter

import pytest
import sqlalchemy as sa
from flask import render_template_string

from advice.models import Action, Advice, AdviceStatus
from casefiles.blockage.models import Need
from casefiles.models import Case
from core.db import db
from core.models import Membership, Role, Team, User
from core.registry import template_globals
from expertteam.demo import DEMO_PASSWORD
from meeting.models import Meeting
from tests.conftest import login


class GlobalWatch:
    """Counts, per template global, its calls and the statements issued while it runs."""

    def __init__(self):
        self.calls: Counter[str] = Counter()
        self.statements: Counter[str] = Counter()
        self._running: list[str] = []

    def on_statement(self, *_args, **_kw) -> None:
        if self._running:
            self.statements[self._running[-1]] += 1

    def wrap(self, name: str, func):
        @functools.wraps(func)
        def counted(*args, **kwargs):
            self.calls[name] += 1
            self._running.append(name)
            try:
                return func(*args, **kwargs)
            finally:
                self._running.pop()
        return counted

    def watched(self, name: str, value):
        """The global as the templates will see it: a routine wrapped, a module's routines wrapped
        on a stand-in, anything else (enumerations, lists, constants) as it is."""
        if isinstance(value, types.ModuleType):
            return types.SimpleNamespace(**{
                attr: self.wrap(f"{name}.{attr}", member) if inspect.isroutine(member) else member
                for attr, member in vars(value).items() if not attr.startswith("__")})
        return self.wrap(name, value) if inspect.isroutine(value) else value


@pytest.fixture
def watch(app, monkeypatch):
    watch = GlobalWatch()
    for name, value in template_globals(app).items():
        monkeypatch.setitem(app.jinja_env.globals, name, watch.watched(name, value))
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", watch.on_statement)
    yield watch
    sa.event.remove(engine, "before_cursor_execute", watch.on_statement)


def test_the_watch_catches_a_global_that_queries(app, watch, monkeypatch, world):
    monkeypatch.setitem(app.jinja_env.globals, "peek", watch.wrap(
        "peek", lambda: db.session.scalar(sa.select(sa.func.count()).select_from(User))))
    with app.test_request_context():
        shown = render_template_string("{{ peek() }} people, {{ current_locale() }}")
    assert shown.split()[0] == str(db.session.scalar(sa.select(sa.func.count()).select_from(User)))
    assert watch.statements == {"peek": 1} and watch.calls["current_locale"] == 1


def _key_pages() -> list[str]:
    """The key pages of the demo team: its home pages, and every case, meeting, advice and action
    of the team (the pages that show what the packages above plug in: holds, the blockage map,
    back on the table, the plan, the shared files, the ladder)."""
    team = db.session.scalar(sa.select(Team).where(Team.code == "GOO"))
    ids = lambda column, *where: db.session.scalars(sa.select(column).where(*where).order_by(column)).all()
    cases = ids(Case.id, Case.team_id == team.id)
    pages = ["/", f"/teams/{team.id}/queue", "/meetings/", f"/advice/teams/{team.id}/overview",
             f"/advice/teams/{team.id}/follow-up", f"/dashboard/teams/{team.id}", "/notifications/", "/advice/actions",
             "/signals", "/admin/users", "/admin/teams", "/admin/organisations"]
    pages += [f"/cases/{c}" for c in cases] + [f"/cases/{c}/hold" for c in cases]
    pages += [f"/cases/{c}/needs" for c in sorted(set(ids(Need.case_id, Need.case_id.in_(cases))))]
    for m in ids(Meeting.id, Meeting.team_id == team.id):
        pages += [f"/meetings/{m}", f"/meetings/{m}/live"]
    pages += [f"/advice/{a}" for a in ids(Advice.id, Advice.case_id.in_(cases), Advice.status == AdviceStatus.ISSUED)]
    for a in ids(Action.id, Action.team_id == team.id):
        pages += [f"/advice/actions/{a}", f"/escalation/actions/{a}"]
    return pages


def _demo_people() -> dict[str, User]:
    """One person per role of the demo team (each case owner too), and the administrator."""
    people = {}
    for role, user in db.session.execute(sa.select(Membership.role, User).join(User, User.id == Membership.user_id)
                                         .order_by(Membership.role, User.id)):
        key = f"{role.value}:{user.id}" if role == Role.CASE_OWNER else role.value
        people.setdefault(key, user)
    people["admin"] = db.session.scalar(sa.select(User).where(User.is_admin.is_(True)).order_by(User.id))
    return people


def test_no_template_global_queries_the_database_on_the_demo_pages(app, client, watch):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    pages, people = _key_pages(), _demo_people()
    assert len(pages) > 60 and {"chair", "org_contact", "municipality", "admin"} <= set(people)
    shown = Counter()
    for who, user in people.items():
        login(client, user, DEMO_PASSWORD)
        for url in pages:
            response = client.get(url)
            assert response.status_code < 500, (who, url)
            shown[response.status_code] += 1
    assert shown[200] > 200  # the pages really rendered
    # Every kind of global was called, the permission rules the templates ask too.
    assert {"id_link", "date_formatter", "unread_count", "event_label", "advice_perms.can_decide",
            "ladder_level_labels", "blockage_svg_data"} <= set(watch.calls)
    assert dict(watch.statements) == {}
