"""Security headers, caching, production checks, the 500 reference and log redaction."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import pyotp
import pytest

from core.redaction import redact
from expertteam import create_app
from expertteam.config import ConfigurationError, check_production, web_workers
from tests.conftest import PASSWORD, login, post_form, totp_ready
from tests.template_files import template_files, template_folders

ROOT = Path(__file__).resolve().parents[2]
CASE_TEXT_FIELDS = ("household_composition", "tried", "blockage", "household_goal", "question", "proposed_invitees", "consent_note")


def test_security_headers_on_every_response(client, world):
    for url in ("/login", "/healthz", "/static/app.css", "/nonexistent"):
        r = client.get(url)
        csp = r.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        for part in ("default-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "object-src 'none'"):
            assert part in csp, (url, part)
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"]
        assert "Strict-Transport-Security" not in r.headers  # only in production


def test_hsts_in_production(app, client):
    app.config["PRODUCTION"] = True
    assert "max-age=" in client.get("/login").headers["Strict-Transport-Security"]


def test_authenticated_pages_are_not_stored(client, world, create_case):
    case = create_case("submitted")
    login(client, world.owner)
    for url in ("/", f"/cases/{case.id}"):
        assert client.get(url).headers["Cache-Control"] == "no-store"
    assert client.get("/static/app.css").headers.get("Cache-Control") != "no-store"


def test_the_template_checks_read_every_folder_the_app_loads_templates_from(app):
    folders = {Path(app.root_path, app.template_folder)} | {
        Path(bp.root_path, bp.template_folder) for bp in app.blueprints.values() if bp.template_folder}
    assert set(template_folders()) == folders and len(folders) > 1


def test_templates_have_no_inline_scripts_or_styles():
    offenders = []
    for path in template_files("*.html"):
        if "email" in path.relative_to(ROOT).parts:
            continue  # e-mail bodies: mail clients need inline styles; no CSP applies there
        text = path.read_text("utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle\s*=", text) or "<style" in text:
            offenders.append(str(path.relative_to(ROOT)))
        if re.search(r"\son[a-z]+\s*=", text):  # onclick= and friends are inline scripts too
            offenders.append(str(path.relative_to(ROOT)) + " (event handler attribute)")
    assert offenders == []


def _prod(**over):
    config = {"PRODUCTION": True, "SECRET_KEY": "a" * 40, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x/y"}
    config.update(over)
    return config


def test_production_refuses_unsafe_configurations():
    dev = "dev-insecure-secret-key-change-me"
    check_production(_prod(), {}, False, dev)  # fine
    with pytest.raises(ConfigurationError):
        check_production(_prod(SECRET_KEY=dev), {}, False, dev)
    with pytest.raises(ConfigurationError):
        check_production(_prod(), {}, True, dev)
    with pytest.raises(ConfigurationError):
        check_production(_prod(), {"FLASK_DEBUG": "1"}, False, dev)
    sqlite = _prod(SQLALCHEMY_DATABASE_URI="sqlite:////tmp/x.sqlite3")
    check_production(sqlite, {"WEB_CONCURRENCY": "1"}, False, dev)
    with pytest.raises(ConfigurationError):
        check_production(sqlite, {"WEB_CONCURRENCY": "4"}, False, dev)
    with pytest.raises(ConfigurationError):
        check_production(sqlite, {"GUNICORN_CMD_ARGS": "--bind 0.0.0.0:8000 --workers 3"}, False, dev)
    assert web_workers({"GUNICORN_CMD_ARGS": "-w 2"}) == 2 and web_workers({}) == 1


def test_create_app_refuses_sqlite_with_several_workers(monkeypatch, tmp_path):
    monkeypatch.setenv("EXPERTTEAM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-random-secret-value")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    with pytest.raises(ConfigurationError):
        create_app()


@pytest.mark.own_app
def test_500_page_shows_a_reference_that_is_in_the_log(app, client, world, caplog):
    marker = "SENTINEL" + "-500"

    @app.get("/boom-security-test")
    def boom():
        raise RuntimeError("household secret " + marker)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    login(client, world.owner)
    with caplog.at_level(logging.ERROR):
        response = client.get("/boom-security-test")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "Traceback" not in body and "SENTINEL-500" not in body
    match = re.search(r'class="error-reference"[^>]*>([0-9A-F]{8})<', body)
    assert match, body
    log_text = "\n".join(r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "") for r in caplog.records)
    assert match.group(1) in log_text
    assert "SENTINEL-500" not in log_text


def test_redaction_patterns():
    text = redact("password=hunter2hunter2 token: abcdef0123456789abcdef0123456789 code 123456 X4PQ-7RTY-ABCD-EF23")
    assert "hunter2" not in text and "abcdef0123456789" not in text and "123456" not in text and "X4PQ" not in text


@pytest.mark.own_app
def test_logs_hold_no_case_text_passwords_codes_or_tokens(app, client, world, create_case, caplog):
    """Sentinels through sign-in, a case with text in every field, a failing request: none logs."""
    sentinels = {
        "password": "SentinelPassword-9x7",
        "case": "SENTINEL-CASE-TEXT",
    }
    app.config["PROPAGATE_EXCEPTIONS"] = False
    state = {}

    @app.get("/boom-log-test")
    def boom():
        raise ValueError(f"failed on {sentinels['case']} with {sentinels['password']} and {state['code']}")

    with caplog.at_level(logging.DEBUG):
        secret = totp_ready(world.owner)
        code = state["code"] = pyotp.TOTP(secret).now()
        post_form(client, "/login", {"email": world.owner.email, "password": sentinels["password"]})
        post_form(client, "/login", {"email": world.owner.email, "password": PASSWORD})
        post_form(client, "/login/verify", {"code": code})
        fields = {k: f"{sentinels['case']} {k}" for k in CASE_TEXT_FIELDS}
        fields["household_pseudonym"] = sentinels["case"]
        case = create_case("submitted", **fields)
        client.get(f"/cases/{case.id}")

        client.get("/boom-log-test")
        logging.getLogger("expertteam.test").warning("user typed %s", sentinels["password"] + " password=" + sentinels["password"])
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert sentinels["case"] not in text
    assert f"password={sentinels['password']}" not in text
    assert code not in text
    assert caplog.records  # the failing request did log something
