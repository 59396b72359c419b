"""Test fixtures: a real database (SQLite file, or PostgreSQL when EXPERTTEAM_TEST_DB names one),
fresh per test; the app with CSRF protection on; a browser-like login helper; small factories.
"""
from __future__ import annotations

import functools
import os
import re
import time
from datetime import date, datetime, timedelta, timezone

import pyotp
import pytest
import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from core.clock import DEFAULT_ZONE
from core.db import db
from core.models import (
    Commitment,
    Domain,
    Membership,
    Organisation,
    Role,
    Team,
    TeamDomain,
    User,
)
from expertteam import create_app

PASSWORD = "correct horse battery staple"

# The tests' own "today" (``date.today()`` in a test) is the teams' calendar day: the suite runs
# in their time zone whatever the machine's, also in the servers the browser tests start. (The
# app itself never reads the machine's calendar: tests/test_architecture.py.) Without this, a
# test comparing its today with a team's failed for an hour or two after the teams' midnight.
os.environ["TZ"] = DEFAULT_ZONE
time.tzset()

# Which database this run uses: "sqlite" (default) or a PostgreSQL URL.
TEST_DB = os.environ.get("EXPERTTEAM_TEST_DB", "sqlite")


def pytest_report_header(config):
    return f"expertteam test database: {'SQLite (file)' if TEST_DB == 'sqlite' else TEST_DB}"


@functools.cache
def password_hash() -> str:
    """One scrypt hash for every test user (hashing per user would make the suite slow)."""
    return generate_password_hash(PASSWORD, method="scrypt")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DB == "sqlite":
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    url = TEST_DB
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create the schema once per session (tests then empty the tables after each test)."""
    app = create_app(_test_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        db.drop_all()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        with db.engine.begin() as conn:
            _audit_chain_row(conn)
        from core.audit import install_pg_guard

        install_pg_guard(db.engine)  # audit rows append-only, as the migration makes them
        db.engine.dispose()
    yield


def _test_config(database_url: str, instance) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": True,
        "SERVER_NAME": None,
        "APP_BASE_URL": "http://expertteam.test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens: tests that send mail start their own server
    }


_shared: dict[str, object] = {}


@pytest.fixture
def app(request, _schema, database_url, tmp_path):
    """The app of one test, on emptied tables, with its own instance folder.

    Building the app costs about a tenth of a second (Werkzeug compiles every URL rule), which
    across the suite was more than the tests themselves. So tests share one app, and each gets
    it back as it was built: the configuration and the extensions (throttles, connections made on
    first use) are restored after every test. A test that adds routes or otherwise changes the app
    itself asks for a fresh one with ``@pytest.mark.own_app``; a shared app whose routes, hooks or
    template globals a test changed is discarded and the test fails, so the next test never sees
    the change.
    """
    instance = tmp_path / "instance"
    os.environ["EXPERTTEAM_INSTANCE"] = str(instance)
    own = request.node.get_closest_marker("own_app") is not None
    if own:
        app = create_app(_test_config(database_url, tmp_path))
    else:
        app = _shared.get("app")
        if app is None:
            app = _shared["app"] = create_app(_test_config(database_url, tmp_path))
        os.makedirs(instance, exist_ok=True)
        app.instance_path = str(instance)
        saved_config, saved_extensions = dict(app.config), dict(app.extensions)
        shape = _app_shape(app)
        app.config["ATTACHMENT_FOLDER"] = str(instance / "attachments")
    ctx = app.app_context()
    ctx.push()
    try:
        yield app
    finally:
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
        ctx.pop()
        if not own:
            app.config.clear()
            app.config.update(saved_config)
            app.extensions.clear()
            app.extensions.update(saved_extensions)
            if _app_shape(app) != shape:
                _shared.pop("app")
                pytest.fail("this test changed the shared app (routes, hooks or template globals): "
                            "mark it @pytest.mark.own_app")


def _app_shape(app) -> tuple:
    """What a test could add to an app and no restoring undoes: routes, request hooks, template
    globals and filters."""
    hooks = tuple(tuple((key, tuple(funcs)) for key, funcs in registry.items()) for registry in (
        app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs))
    return (tuple(app.view_functions.items()), hooks, tuple(app.jinja_env.globals), tuple(app.jinja_env.filters))


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            _empty_postgres_tables(conn)
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        _audit_chain_row(conn)


def truncate_tables() -> None:
    """Empty every table as a fresh database would be, files and statistics included (PostgreSQL's
    TRUNCATE; the rows earlier tests deleted leave no dead tuples behind). For a test whose
    subject is the planner's choice, which bloat from earlier tests would sway."""
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            raise RuntimeError("truncate_tables is for PostgreSQL")
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        _audit_chain_row(conn)


@functools.cache
def _nonempty_tables_sql() -> str:
    return " UNION ALL ".join(
        f"SELECT '{t.name}' FROM (SELECT 1 FROM \"{t.name}\" LIMIT 1) AS x" for t in db.metadata.sorted_tables)


def _empty_postgres_tables(conn) -> None:
    """Empty the tables a test wrote to and restart the sequences it used, as TRUNCATE ... RESTART
    IDENTITY of every table would, at a fraction of the cost: a test fills a handful of small
    tables, and TRUNCATE costs new files for each of the seventy (most of a test's time here).
    With the superuser's ``session_replication_role = replica`` the rows go without foreign-key
    or append-only triggers; without that right, the non-empty tables are truncated instead."""
    names = set(conn.execute(sa.text(_nonempty_tables_sql())).scalars())
    if names:
        ordered = [t.name for t in reversed(db.metadata.sorted_tables) if t.name in names]
        try:
            with conn.begin_nested():
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        except sa.exc.DBAPIError:
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in ordered) + " CASCADE"))
        else:
            conn.exec_driver_sql("; ".join(f'DELETE FROM "{t}"' for t in ordered))
            conn.execute(sa.text("SET LOCAL session_replication_role = DEFAULT"))
    conn.execute(sa.text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
                         "FROM pg_sequences WHERE last_value IS NOT NULL"))


def _audit_chain_row(conn) -> None:
    """The audit chain's lock row, as the migration leaves it (core.audit creates it only when
    missing, at the cost of two statements more for the very first audit row)."""
    from core.audit import AuditChain

    conn.execute(AuditChain.__table__.insert().values(id=1, rows=0))


class BrowserClient(FlaskClient):
    """A test client whose requests each get a fresh ``g``, as on a real server.

    The test keeps one app context pushed (so factories can use the session); without this,
    values cached in ``g`` during one request (the signed-in user, the locale) would leak into
    the next.
    """

    def open(self, *args, **kwargs):
        outside = dict(vars(g))  # what the test itself cached (e.g. a locale for service calls)
        vars(g).clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            vars(g).clear()
            vars(g).update(outside)


@pytest.fixture
def client(app):
    app.test_client_class = BrowserClient
    return app.test_client()


# --- browser-like helpers ---------------------------------------------------------------------

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str = "/login") -> str:
    """Read the CSRF token from a page, the way a browser submits it."""
    response = client.get(url, follow_redirects=True)
    match = _TOKEN.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {response.status_code})"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, *, token_from: str | None = None, **kw):
    """POST a form with a CSRF token read from ``token_from`` (default: the same URL)."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, token_from or url))
    return client.post(url, data=data, **kw)


def totp_ready(user: User) -> str:
    """Give ``user`` an enrolled authenticator (if none) whose next code is unused; its secret.

    Test shortcut: enrolment itself is tested through the pages in tests/security. Forgetting the
    last used time step lets a test sign the same person in several times within 30 seconds.
    """
    secret = db.session.scalar(sa.select(User.totp_secret).where(User.id == user.id, User.totp_enrolled_at.is_not(None)))
    values = {"totp_last_step": None}
    if secret is None:
        secret = pyotp.random_base32()
        values.update(totp_secret=secret, totp_enrolled_at=datetime.now(timezone.utc))
    db.session.execute(sa.update(User).where(User.id == user.id).values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    return secret


def page_statements(client, count_queries, url) -> tuple[int, str]:
    """Statements and HTML of one request, with nothing cached: a test shares the session with
    the request, so everything it holds is expired first (as on a real server)."""
    db.session.commit()
    db.session.expire_all()
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200, url
    return q.count, response.get_data(as_text=True)


def login(client, user: User, password: str = PASSWORD):
    """Sign in through the login form and the second step with a code from the user's
    authenticator (a fresh browser session: earlier cookies are dropped). Returns the response
    of the last step: a redirect to where the user was going."""
    client.delete_cookie("session")
    secret = totp_ready(user)
    response = post_form(client, "/login", {"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].startswith("/login/verify"), response.headers["Location"]
    response = post_form(client, "/login/verify", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


@pytest.fixture
def login_as(client):
    def _login(user: User):
        login(client, user)
        return client

    return _login


# --- factories --------------------------------------------------------------------------------

@pytest.fixture
def make_team(app):
    counter = iter(range(1, 10_000))

    def _make(name: str | None = None, code: str | None = None, domains=tuple(Domain), **kw) -> Team:
        n = next(counter)
        team = Team(name=name or f"Team {n}", municipality=kw.pop("municipality", f"Gemeente {n}"),
                    code=code or "T" + "ABCDEFGHIJ"[n % 10] * 2 + str(n).translate(str.maketrans("0123456789", "ABCDEFGHIJ")), **kw)
        team.domains = [TeamDomain(domain=d) for d in domains]
        db.session.add(team)
        db.session.commit()
        return team

    return _make


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 100_000))

    def _make(*roles, team: Team | None = None, domain: Domain | None = None, organisation=None,
              name: str | None = None, email: str | None = None, is_admin: bool = False, locale: str = "nl") -> User:
        n = next(counter)
        user = User(email=email or f"user{n}@example.test", name=name or f"User {n}", is_admin=is_admin,
                    locale=locale, password_hash=password_hash())
        db.session.add(user)
        for role in roles:
            role = Role(role)
            db.session.add(Membership(
                user=user, team=team, role=role,
                domain=(domain or Domain.GGZ) if role == Role.EXPERT else None,
                organisation=organisation if role in (Role.ORG_CONTACT, Role.CASE_OWNER) else None,
            ))
        db.session.commit()
        return user

    return _make


@pytest.fixture
def make_org(app):
    counter = iter(range(1, 10_000))

    def _make(name: str | None = None, team: Team | None = None, committed_on: date | None = None) -> Organisation:
        org = Organisation(name=name or f"Organisation {next(counter)}")
        db.session.add(org)
        if team is not None:
            db.session.add(Commitment(team=team, organisation=org, committed_on=committed_on or date.today() - timedelta(days=30)))
        db.session.commit()
        return org

    return _make


COMPLETE_CASE = dict(
    household_pseudonym="Gezin Test",
    household_composition="Mother (34), two children (6, 9)",
    tried="Regular debt help, housing consultant.",
    blockage="No urgency while a debt is open.",
    household_goal="A home for the three of us.",
    question="Can urgency be granted before the debt is settled?",
    consent_date=date(2026, 1, 5),
    consent_method="written",
    legal_ground="consent",
)


@pytest.fixture
def world(make_team, make_user, make_org):
    """One team with its people, and a second team for isolation checks."""
    from types import SimpleNamespace

    team = make_team(name="Expertteam Gooistad", code="GOO")
    other_team = make_team(name="Expertteam Elders", code="ELD")
    org = make_org("Woonstichting De Vaart", team=team)
    w = SimpleNamespace(team=team, other_team=other_team, org=org)
    w.owner = make_user("case_owner", team=team, organisation=org, name="Owner One")  # org: the referring partner
    w.owner2 = make_user("case_owner", team=team, name="Owner Two")
    w.chair = make_user("chair", team=team, name="Chair")
    w.secretary = make_user("secretary", team=team, name="Secretary")
    w.expert = make_user("expert", team=team, domain=Domain.HOUSING, name="Expert Housing")
    w.contact = make_user("org_contact", team=team, organisation=org, name="Contact")
    w.admin = make_user(is_admin=True, name="Admin")
    w.other_owner = make_user("case_owner", team=other_team, name="Other Owner")
    w.other_chair = make_user("chair", team=other_team, name="Other Chair")
    return w


@pytest.fixture
def create_case(world):
    """Create a case and drive it through the real services to ``status``."""
    from casefiles import services
    from casefiles.models import CaseStatus, InclusionCriterion

    def _create(status: str = "draft", owner: User | None = None, team: Team | None = None, **fields):
        owner = owner or world.owner
        team = team or world.team
        lead = world.chair if team.id == world.team.id else world.other_chair
        values = {**COMPLETE_CASE, **fields}
        values.setdefault("referring_organisation_id", world.org.id)  # the controller (casefiles.lawful_basis)
        domains = values.pop("domains", [Domain.HOUSING, Domain.DEBT])
        case = services.create_case(team, owner, domains=domains, **values)
        status = CaseStatus(status)
        path = {
            CaseStatus.DRAFT: [],
            CaseStatus.SUBMITTED: ["submit"],
            CaseStatus.RETURNED: ["submit", "return"],
            CaseStatus.DECLINED: ["submit", "decline"],
            CaseStatus.ACCEPTED: ["submit", "accept"],
            CaseStatus.WITHDRAWN: ["withdraw"],
        }
        if status not in path:
            raise ValueError(f"create_case cannot reach {status} yet")
        criteria = db.session.scalars(sa.select(InclusionCriterion.id).where(InclusionCriterion.team_id == team.id, InclusionCriterion.active.is_(True))).all()
        for step in path[status]:
            if step == "submit":
                services.submit_case(case, owner)
            elif step == "return":
                services.return_case(case, lead, message="Please add what the debt counsellor tried.")
            elif step == "decline":
                services.decline_case(case, lead, reason="Not stuck in several domains.")
            elif step == "accept":
                services.accept_case(case, lead, criteria_met=criteria)
            elif step == "withdraw":
                services.withdraw_case(case, owner, reason="Household moved away.")
        db.session.commit()
        return case

    return _create


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _on(self, *args, **kw):
        self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._on)


@pytest.fixture
def count_queries(app):
    return lambda: QueryCounter(db.engine)
