"""Sign-in, sign-out, own password, sessions, safe redirects, error pages, health."""
import pyotp
import pytest
import sqlalchemy as sa

from core.audit import AuditEvent
from core.db import db
from tests.conftest import PASSWORD, csrf_token, login, post_form, totp_ready


def test_wrong_password_is_refused_with_a_clear_message(client, world):
    response = post_form(client, "/login", {"email": world.owner.email, "password": "wrong password!"})
    assert response.status_code == 200
    assert client.get("/", follow_redirects=False).status_code == 302
    failed = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.login", AuditEvent.result == "failed")).all()
    assert len(failed) == 1


def test_unknown_email_and_inactive_user_are_refused(client, world):
    assert post_form(client, "/login", {"email": "nobody@example.test", "password": PASSWORD}).status_code == 200
    world.owner.active = False
    db.session.commit()
    assert post_form(client, "/login", {"email": world.owner.email, "password": PASSWORD}).status_code == 200


def test_email_is_case_insensitive(client, world):
    response = post_form(client, "/login", {"email": world.owner.email.upper(), "password": PASSWORD})
    assert response.status_code == 302


def test_next_redirects_only_to_local_paths(client, world):
    for target, expected in [
        ("/cases/1", "/cases/1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ]:
        client.delete_cookie("session")
        secret = totp_ready(world.owner)
        response = post_form(client, "/login", {"email": world.owner.email, "password": PASSWORD, "next": target})
        assert response.headers["Location"] == "/login/verify", target  # the second factor first
        response = post_form(client, "/login/verify", {"code": pyotp.TOTP(secret).now()})
        assert response.headers["Location"] == expected, target


def test_logout_ends_the_session_and_needs_post(client, world):
    login(client, world.owner)
    assert client.get("/logout").status_code == 405
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_password_change_ends_other_sessions(app, client, world):
    other = app.test_client()
    login(other, world.owner)
    login(client, world.owner)
    response = post_form(client, "/account/password", {"current": PASSWORD, "new": "a much longer passphrase", "confirm": "a much longer passphrase"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session continues
    assert other.get("/").status_code == 302  # the copied/other session is over
    db.session.refresh(world.owner)
    assert world.owner.check_password("a much longer passphrase")


def test_password_change_validation(client, world):
    login(client, world.owner)
    for data in (
        {"current": "wrong", "new": "a much longer passphrase", "confirm": "a much longer passphrase"},
        {"current": PASSWORD, "new": "short", "confirm": "short"},
        {"current": PASSWORD, "new": "a much longer passphrase", "confirm": "another long passphrase"},
    ):
        assert post_form(client, "/account/password", data).status_code == 200
    db.session.refresh(world.owner)
    assert world.owner.check_password(PASSWORD)


def test_error_pages_are_friendly(client, world):
    login(client, world.owner)
    response = client.get("/cases/999999")
    assert response.status_code == 404 and "<h1>" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.own_app
def test_500_page_has_no_traceback(app, client, world):
    @app.get("/boom-test-only")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    login(client, world.owner)
    response = client.get("/boom-test-only")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body


def test_healthz_reports_database_failure(app, client, monkeypatch):
    def broken(*a, **kw):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "error"


def test_production_refuses_to_start_without_secret(monkeypatch, tmp_path):

    from expertteam import create_app
    from expertteam.config import ConfigurationError

    monkeypatch.setenv("EXPERTTEAM_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    with pytest.raises(ConfigurationError):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "a-real-random-secret-value")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_sqlite_connections_use_wal_and_foreign_keys(app):

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
