"""Browser tests: Playwright drives Debian's Chromium against the app served on loopback.

* The app runs in a real WSGI server (werkzeug's threaded server) on 127.0.0.1 and a free port,
  on its own fresh SQLite database (schema from the models); every test starts from empty tables
  and a small seeded team, so tests do not depend on each other.
* Chromium is Debian's package (``/usr/bin/chromium`` or ``$CHROMIUM``), passed to Playwright as
  its executable: nothing is downloaded. Without it these tests are skipped with a plain reason,
  unless ``REQUIRE_BROWSER=1`` (CI), which makes a missing Chromium a failure.
* Every page that a test opens through a :class:`Person` collects console errors, uncaught
  exceptions and Content-Security-Policy violations; any of them fails the test at its end.
  Server-side exceptions (logged at ERROR by Flask) fail it too.
* ``person.check()`` runs axe-core (shipped by ``axe-playwright-python``) with the WCAG 2.0/2.1
  A and AA rules and fails on any violation; ``person.shot(name)`` saves a full-page screenshot
  under ``var/screenshots/`` (``$EXPERTTEAM_SCREENSHOTS`` overrides).
"""
from __future__ import annotations

import gettext
import logging
import os
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER", "0") == "1"
SCREENSHOTS = Path(os.environ.get("EXPERTTEAM_SCREENSHOTS", ROOT / "var" / "screenshots"))
# Flags that keep Chromium quiet and offline (it must not try the network, which is closed).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000


def _why_no_browser() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM}: browser tests skipped (apt-get install chromium)"
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed: browser tests skipped (pip install -e '.[test]')"
    return None


def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder ``browser``; skip them plainly (or fail, under CI) without Chromium."""
    reason = _why_no_browser()
    for item in items:
        if HERE not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason and not REQUIRE_BROWSER:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_report_header(config):
    reason = _why_no_browser()
    if reason:
        return f"browser tests: {reason}" + (" (REQUIRE_BROWSER=1: they will fail)" if REQUIRE_BROWSER else "")
    return f"browser tests: {CHROMIUM}; screenshots in {SCREENSHOTS}"


# --- Dutch and English texts -------------------------------------------------------------------

@dataclass
class Texts:
    """The app's own texts in one language, from the compiled gettext catalogue.

    ``nl("Sign in")`` is what a Dutch user sees. A string without a Dutch translation is what the
    app shows too (the English), so the step goes on, but the test fails at its end with the list
    of every untranslated text it met: what the person sees must be Dutch.
    """

    lang: str
    _catalogue: gettext.NullTranslations
    missing: list = field(default_factory=list)

    def __call__(self, msgid: str, *, same: bool = False, **params) -> str:
        """``same=True``: the word is the same in Dutch (e.g. "Intake")."""
        text = self._catalogue.gettext(msgid)
        if self.lang == "nl" and not same and text == msgid and re.search(r"[A-Za-z]{3}", msgid):
            if msgid not in self.missing:
                self.missing.append(msgid)
        return text % params if params else text

    def assert_all_dutch(self) -> None:
        """Fail now (in the test's body) if any text met so far has no Dutch translation."""
        missing, self.missing = list(self.missing), []
        assert not missing, "texts the Dutch user sees in English (no translation in the catalogue):\n" + "\n".join(
            f"  {m!r}" for m in missing)

    def has(self, msgid: str) -> bool:
        return self._catalogue.gettext(msgid) != msgid


def _texts(lang: str) -> Texts:
    if lang == "en":
        return Texts("en", gettext.NullTranslations())
    mo = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.mo"
    with mo.open("rb") as fh:
        return Texts(lang, gettext.GNUTranslations(fh))


@pytest.fixture
def nl() -> Texts:
    texts = _texts("nl")
    yield texts
    texts.assert_all_dutch()


@pytest.fixture(scope="session")
def en() -> Texts:
    return _texts("en")


def advice_pages_untranslated() -> bool:
    """True while the Dutch catalogue lacks the advice pages' texts (they came after the last
    translation pass); tests that walk those pages are then expected to fail on exactly that."""
    return not _texts("nl").has("Advice and actions")


UNTRANSLATED_ADVICE = pytest.mark.xfail(
    condition=advice_pages_untranslated(), strict=True,
    reason="the advice pages (advice/ and its templates) have no Dutch translation in "
           "translations/nl yet, e.g. 'Advice and actions', 'Issue the advice', 'Our actions'; "
           "this marker switches itself off once the catalogue has them",
)


# --- the live server -----------------------------------------------------------------------------

class _ErrorLog(logging.Handler):
    """Collects server-side errors (Flask logs unhandled exceptions at ERROR)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(self.format(record))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app in a threaded WSGI server on 127.0.0.1, with a fresh SQLite database."""
    from werkzeug.serving import make_server

    from core.db import db
    from expertteam import create_app

    base = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    os.environ["EXPERTTEAM_INSTANCE"] = str(base / "instance")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(base / "e2e.sqlite3"),
        "SECRET_KEY": "e2e-secret-key",
        "WTF_CSRF_ENABLED": True,
        "APP_BASE_URL": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens; the outbox only queues mail in these tests
        "PROPAGATE_EXCEPTIONS": False,
    })
    errors = _ErrorLog()
    app.logger.addHandler(errors)
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    try:
        yield SimpleNamespace(url=url, app=app, errors=errors.records)
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


# --- a small team on a fresh database, per test -------------------------------------------------

PEOPLE = {
    # key: (name, e-mail, roles, domain, organisation key)
    "owner": ("Anna de Vries", "anna@gooistad.example", ["case_owner"], None, None),
    "secretary": ("Sophie Jansen", "sophie@gooistad.example", ["secretary"], None, None),
    "chair": ("Hans Bos", "hans@gooistad.example", ["chair"], None, None),
    "expert_housing": ("Ingrid Bakker", "ingrid@gooistad.example", ["expert"], "housing", None),
    "expert_debt": ("Ruud Vermeulen", "ruud@gooistad.example", ["expert"], "debt", None),
    "contact_housing": ("Joost van Dam", "joost@devaart.example", ["org_contact"], None, "housing"),
    "contact_debt": ("Marco Visser", "marco@schuldhulp.example", ["org_contact"], None, "debt"),
    "admin": ("Beheerder Gooistad", "beheer@gooistad.example", [], None, None),
}
ORGANISATIONS = {"housing": "Woonstichting De Vaart", "debt": "Schuldhulp Gooistad"}
CRITERIA = ["Reguliere hulp is geprobeerd en loopt vast", "Er spelen problemen op meerdere leefgebieden"]


def _empty_tables(db) -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def _seed(app) -> SimpleNamespace:
    """One team with the people of the journey, all enrolled in the second factor."""
    import pyotp

    from casefiles.models import InclusionCriterion
    from core.clock import utcnow
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
    from tests.conftest import password_hash

    with app.app_context():
        _empty_tables(db)
        team = Team(name="Expertteam Gooistad", municipality="Gemeente Gooistad", code="GOO", quorum=2, capacity=4)
        team.domains = [TeamDomain(domain=d) for d in Domain]
        db.session.add(team)
        orgs = {}
        for key, name in ORGANISATIONS.items():
            orgs[key] = Organisation(name=name)
            db.session.add(orgs[key])
            db.session.add(Commitment(team=team, organisation=orgs[key], committed_on=utcnow().date() - timedelta(days=60)))
        db.session.flush()
        for i, text in enumerate(CRITERIA):
            db.session.add(InclusionCriterion(team_id=team.id, text=text, position=i))
        w = SimpleNamespace(team_name=team.name, orgs=dict(ORGANISATIONS), people={})
        for key, (name, email, roles, domain, org) in PEOPLE.items():
            user = User(email=email, name=name, locale="nl", is_admin=(key == "admin"), password_hash=password_hash())
            secret = None
            if hasattr(User, "totp_secret"):  # the second factor (TOTP) is enrolled for everyone
                secret = pyotp.random_base32()
                user.totp_secret = secret
                user.totp_enrolled_at = utcnow()
            db.session.add(user)
            for role in roles:
                db.session.add(Membership(user=user, team=team, role=Role(role),
                                          domain=Domain(domain) if domain else None,
                                          organisation=orgs[org] if org else None))
            w.people[key] = SimpleNamespace(key=key, name=name, email=email, totp_secret=secret, last_step=None)
        db.session.commit()
        w.team_id = team.id
        w.org_ids = {k: o.id for k, o in orgs.items()}
        for key, person in w.people.items():
            person.id = db.session.scalar(db.select(User.id).where(User.email == person.email))
        db.session.remove()
    return w


@pytest.fixture
def world(live_server):
    """Empty tables and the seeded team; server errors of this test fail it at the end."""
    live_server.errors.clear()
    w = _seed(live_server.app)
    w.url = live_server.url
    yield w
    errors = list(live_server.errors)
    live_server.errors.clear()
    assert not errors, "the server logged errors:\n" + "\n\n".join(errors)


# --- the browser -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    reason = _why_no_browser()
    if reason:
        pytest.fail(reason + " — REQUIRE_BROWSER=1 makes this a failure", pytrace=False)
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception:
        pw.stop()
        raise
    yield b
    b.close()
    pw.stop()


_AXE_SOURCE: str | None = None


def _axe_source() -> str:
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        import axe_playwright_python

        _AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    return _AXE_SOURCE


# Reports CSP violations to the console as errors (Chromium logs most itself; this catches all).
_CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
                ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


# Inline scripts, style elements/attributes and on* handlers: the app must have none (strict CSP).
_INLINE_CODE = """() => {
  const found = [];
  document.querySelectorAll('script:not([src])').forEach(s => found.push('inline <script>'));
  document.querySelectorAll('style').forEach(s => found.push('<style> element'));
  document.querySelectorAll('*').forEach(e => {
    for (const a of e.attributes) {
      // (an empty style="" is what scripts leave after setting and clearing element.style: harmless)
      if ((a.name === 'style' && a.value.trim()) || a.name.startsWith('on')) found.push(a.name + ' attribute on <' + e.tagName.toLowerCase() + '>');
    }
  });
  return found.slice(0, 10);
}"""


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} [{v.get('helpUrl', '')}]")
        for node in v["nodes"][:6]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').strip()}".replace("\n", " "))
    return "\n".join(lines)


@dataclass
class Person:
    """One person in their own browser context (own cookies), with checks built in."""

    key: str
    name: str
    email: str
    context: object
    page: object
    base_url: str
    world: SimpleNamespace
    console: list = field(default_factory=list)
    checked: list = field(default_factory=list)
    allowed_console: list = field(default_factory=list)

    # navigation
    def goto(self, path: str):
        response = self.page.goto(self.base_url + path if path.startswith("/") else path)
        return response

    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.page.url)

    # checks
    def check(self, label: str | None = None, *, shot: str | None = None, context=None) -> None:
        """axe-core with the WCAG 2.0/2.1 A and AA rules: zero violations; optionally a screenshot."""
        self.page.wait_for_load_state("load")
        where = f"{label or self.path()} ({self.path()})"
        lang = self.page.get_attribute("html", "lang")
        assert lang in ("nl", "en"), f"{where}: <html lang> is {lang!r}"
        inline = self.page.evaluate(_INLINE_CODE)
        assert not inline, f"{where}: inline code that a strict Content-Security-Policy blocks: {inline}"
        self.page.evaluate(_axe_source())
        options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        result = self.page.evaluate("([ctx, opts]) => axe.run(ctx || document, opts)", [context, options])
        violations = result["violations"]
        self.checked.append(where)
        assert not violations, f"axe-core: WCAG A/AA violations on {where}:\n{format_violations(violations)}"
        if shot:
            self.shot(shot)

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        return target

    def heading(self) -> str:
        return self.page.locator("h1").first.inner_text().strip()

    def flash(self) -> str:
        return " ".join(t.strip() for t in self.page.locator(".flash").all_inner_texts())

    def allow_console(self, pattern: str) -> None:
        """Accept console errors matching ``pattern`` (e.g. the 404 of a page a test opens on purpose)."""
        self.allowed_console.append(re.compile(pattern))

    def console_errors(self) -> list[str]:
        return [c for c in self.console if not any(p.search(c) for p in self.allowed_console)]

    # sign-in, as the person does it: e-mail and password, then the code from their app
    def login(self, nl_texts: Texts | None = None) -> None:
        self.goto("/login")
        assert self.path().startswith("/login"), f"{self.name} is already signed in: /login went to {self.path()}"
        self.page.fill("#email", self.email)
        self.page.fill("#password", _password())
        self.page.locator("form:has(#password) [type=submit]").click()
        self.complete_second_factor()
        assert "/login" not in self.path(), f"{self.name} is not signed in: {self.path()} {self.flash()}"

    def complete_second_factor(self, *, keyboard: bool = False) -> None:
        """On the code page, type the current TOTP code (each code is accepted once per person)."""
        if "/login/enrol" in self.page.url:
            raise AssertionError(f"{self.name} is asked to enrol a second factor, but was enrolled in the seed")
        if "/login/verify" not in self.page.url:
            return
        code = totp_code(self.world.people[self.key])
        field_ = self.page.locator("#code")
        if keyboard:
            field_.focus()
            self.page.keyboard.type(code)
            self.page.keyboard.press("Enter")
        else:
            field_.fill(code)
            self.page.locator("form:has(#code) [type=submit]").first.click()
        self.page.wait_for_load_state("load")


def _password() -> str:
    from tests.conftest import PASSWORD

    return PASSWORD


def totp_code(person: SimpleNamespace) -> str:
    """A TOTP code of a time step this person has not used yet (the app accepts each step once;
    it allows one step of clock drift, so the next step is valid too)."""
    import pyotp

    assert person.totp_secret, "the seed did not enrol a second factor"
    totp = pyotp.TOTP(person.totp_secret)
    while True:
        now_step = int(time.time() // totp.interval)
        step = now_step if person.last_step is None else max(now_step, person.last_step + 1)
        if step <= now_step + 1:
            break
        time.sleep(totp.interval - time.time() % totp.interval + 0.2)  # used up: wait for the next window
    person.last_step = step
    return totp.generate_otp(step)


@pytest.fixture
def people(browser, world):
    """``people("owner")`` opens a fresh browser context for that person and signs them in.

    ``viewport`` gives a phone-sized window; ``login=False`` leaves the person at no page.
    At the end every page's console errors and CSP violations fail the test.
    """
    opened: list[Person] = []

    def _open(key: str | None = None, *, viewport: dict | None = None, login: bool = True, locale: str = "nl-NL",
              javascript: bool = True) -> Person:
        context = browser.new_context(base_url=world.url, viewport=viewport or DESKTOP, locale=locale,
                                      java_script_enabled=javascript,
                                      is_mobile=bool(viewport and viewport["width"] < 600),
                                      has_touch=bool(viewport and viewport["width"] < 600))
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(_CSP_LISTENER)
        page = context.new_page()
        info = world.people[key] if key else SimpleNamespace(name="visitor", email="")
        person = Person(key=key or "visitor", name=info.name, email=info.email, context=context, page=page,
                        base_url=world.url, world=world)

        def on_console(msg):
            if msg.type == "error":
                source = (msg.location or {}).get("url") or ""
                person.console.append(f"{page.url}: {msg.text}" + (f" ({source})" if source and source != page.url else ""))

        page.on("console", on_console)
        page.on("pageerror", lambda exc: person.console.append(f"{page.url}: uncaught {exc}"))
        opened.append(person)
        if key and login:
            person.login()
        return person

    yield _open
    problems = []
    for person in opened:
        problems += [f"{person.name}: {c}" for c in person.console_errors()]
        try:
            person.context.close()
        except Exception:  # noqa: BLE001 - the browser may already be gone after a failure
            pass
    assert not problems, "browser console errors or CSP violations:\n" + "\n".join(problems)


# --- data made through the services (for pages a test does not walk to itself) -----------------

DUTCH_CASE = dict(
    household_composition="Moeder (34), twee kinderen (6 en 9)",
    tried="Reguliere schuldhulp en een woonconsulent.",
    blockage="Geen urgentie zolang er een huurschuld openstaat.",
    household_goal="Een eigen huis voor ons drieën.",
    question="Kan urgentie worden verleend voordat de schuld is afgelost?",
    consent_method="written",
    legal_ground="consent",
)


@pytest.fixture
def make_case(live_server, world):
    """``make_case("accepted", pseudonym="Gezin Berk")``: a case driven through the real services."""
    from datetime import date

    import sqlalchemy as sa

    from casefiles import services
    from casefiles.models import InclusionCriterion
    from core.db import db
    from core.models import Domain, Team, User

    def _make(status: str = "draft", *, pseudonym: str = "Gezin Amber", owner: str = "owner",
              urgency: str = "normal", **fields):
        with live_server.app.app_context():
            team = db.session.get(Team, world.team_id)
            owner_user = db.session.get(User, world.people[owner].id)
            lead = db.session.get(User, world.people["secretary"].id)
            values = {**DUTCH_CASE, "consent_date": date.today() - timedelta(days=3), **fields}
            values.setdefault("referring_organisation_id", min(world.org_ids.values()))  # the controller
            case = services.create_case(team, owner_user, domains=[Domain.HOUSING, Domain.DEBT],
                                        household_pseudonym=pseudonym, urgency=urgency, **values)
            steps = {"draft": [], "submitted": ["submit"], "returned": ["submit", "return"],
                     "accepted": ["submit", "accept"], "declined": ["submit", "decline"]}[status]
            criteria = db.session.scalars(sa.select(InclusionCriterion.id).where(InclusionCriterion.team_id == team.id)).all()
            for step in steps:
                if step == "submit":
                    services.submit_case(case, owner_user)
                elif step == "return":
                    services.return_case(case, lead, message="Graag aanvullen wat de schuldhulp heeft geprobeerd.")
                elif step == "accept":
                    services.accept_case(case, lead, criteria_met=criteria)
                elif step == "decline":
                    services.decline_case(case, lead, reason="Niet vastgelopen op meerdere leefgebieden.")
            db.session.commit()
            result = SimpleNamespace(id=case.id, reference=case.reference, pseudonym=pseudonym)
            db.session.remove()
            return result

    return _make


@pytest.fixture
def meeting_with_case(live_server, world, make_case):
    """``meeting_with_case(advise=False)``: an accepted case on the published agenda of a meeting
    that starts in a few minutes; with ``discussed=True`` taken as discussed (ready for a draft
    advice); with ``advise=True`` also discussed, and the advice issued with
    an action for each of the two organisations. Made through the services (the journey test
    walks the same steps through the pages)."""
    from datetime import date

    from advice.drafting.issuing import issue_advice
    from advice.drafting.services import add_action, draft_advice, update_draft
    from core.clock import utcnow
    from core.db import db
    from core.models import Team, User
    from meeting.agenda import propose_agenda, publish_agenda
    from meeting.attendance import record_attendance
    from meeting.models import Meeting
    from meeting.schedule import add_extra_meeting
    from meeting.session import mark_discussed

    def _make(*, pseudonym: str = "Gezin Linde", advise: bool = False, discussed: bool = False) -> SimpleNamespace:
        case = make_case("accepted", pseudonym=pseudonym)
        with live_server.app.app_context():
            team = db.session.get(Team, world.team_id)
            secretary = db.session.get(User, world.people["secretary"].id)
            chair = db.session.get(User, world.people["chair"].id)
            now = utcnow()
            start = now.replace(second=0, microsecond=0) + timedelta(minutes=10)
            meeting = add_extra_meeting(team, secretary, starts_at=start, ends_at=start + timedelta(minutes=45),
                                                         location="Stadhuis, zaal 2.14")
            propose_agenda(meeting, now, secretary)
            publish_agenda(meeting, secretary)
            for key in ("chair", "secretary", "expert_housing", "expert_debt"):
                record_attendance(meeting, chair, world.people[key].id, "present")
            db.session.commit()
            result = SimpleNamespace(meeting_id=meeting.id, item_ids=[i.id for i in meeting.items], **vars(case))
            if discussed and not advise:
                mark_discussed(db.session.get(Meeting, meeting.id).items[0], chair)
                db.session.commit()
            if advise:
                meeting = db.session.get(Meeting, meeting.id)
                mark_discussed(meeting.items[0], chair)
                advice = draft_advice(meeting.items[0].case, chair)
                update_draft(advice, chair, expected_version=advice.lock_version,
                                             situation="Gezin met huurschuld.", blockage="Urgentie wacht op de schuld.",
                                             advice_text="Verleen urgentie en bied een saneringskrediet aan.")
                deadline = date.today() + timedelta(days=21)
                for org in ("housing", "debt"):
                    add_action(advice, chair, organisation_id=world.org_ids[org],
                                               description=f"Actie voor {world.orgs[org]}.", deadline=deadline)
                issue_advice(advice, chair)
                db.session.commit()
                result.advice_id = advice.id
            db.session.remove()
            return result

    return _make
