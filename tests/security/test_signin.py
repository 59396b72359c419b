"""Two-factor sign-in, recovery codes, throttling, passwords, sessions and re-authentication."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from accounts import security
from accounts.models import LoginAttempt, RecoveryCode
from core.audit import AuditEvent
from core.db import db
from core.models import User
from tests.conftest import PASSWORD, csrf_token, login, post_form, totp_ready


def actions(**where):
    q = sa.select(AuditEvent).order_by(AuditEvent.id)
    for k, v in where.items():
        q = q.where(getattr(AuditEvent, k) == v)
    return [e.action for e in db.session.scalars(q)]


def password_step(client, user, password=PASSWORD, **extra):
    client.delete_cookie("session")
    return post_form(client, "/login", {"email": user.email, "password": password, **extra})


def test_enrolment_with_qr_code_and_recovery_codes(client, world):
    response = password_step(client, world.owner)
    assert response.headers["Location"] == "/login/enrol"
    assert client.get("/").status_code == 302  # half-way is not signed in
    page = client.get("/login/enrol").get_data(as_text=True)
    db.session.expire_all()
    secret = db.session.get(User, world.owner.id).totp_secret
    assert secret and " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in page
    qr = client.get("/login/enrol/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data and b"<script" not in qr.data
    assert qr.headers["Cache-Control"] == "no-store"

    wrong = post_form(client, "/login/enrol", {"code": "000000"})
    assert wrong.status_code == 200 and client.get("/").status_code == 302
    response = post_form(client, "/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>", response.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert client.get("/").status_code == 200  # signed in now
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == world.owner.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are stored
    assert "user.mfa_enrol" in actions(actor_id=world.owner.id)
    # The QR code is gone once enrolled.
    assert client.get("/login/enrol/qr.svg").status_code == 404


def test_every_account_enrols_before_using_the_app(client, world):
    password_step(client, world.admin)
    for url in ("/", "/admin/", "/account/password"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url


def test_a_code_is_accepted_once_only(client, world, app):
    secret = totp_ready(world.owner)
    code = pyotp.TOTP(secret).now()
    password_step(client, world.owner)
    assert post_form(client, "/login/verify", {"code": code}).status_code == 302
    other = app.test_client()
    password_step(other, world.owner)
    response = post_form(other, "/login/verify", {"code": code})
    assert response.status_code == 200 and 'class="field-error"' in response.get_data(as_text=True)
    assert other.get("/").status_code == 302


def test_recovery_code_works_once(client, world):
    totp_ready(world.owner)
    from accounts.mfa import new_recovery_codes

    codes = new_recovery_codes(db.session.get(User, world.owner.id))
    db.session.commit()
    password_step(client, world.owner)
    assert post_form(client, "/login/verify", {"code": codes[0].lower()}).status_code == 302
    assert client.get("/").status_code == 200
    password_step(client, world.owner)
    assert post_form(client, "/login/verify", {"code": codes[0]}).status_code == 200
    assert "user.recovery_code_used" in actions()


def test_wrong_codes_are_limited(client, world, app):
    secret = totp_ready(world.owner)
    password_step(client, world.owner)
    for _ in range(4):
        assert post_form(client, "/login/verify", {"code": "123456"}).status_code == 200
    response = post_form(client, "/login/verify", {"code": "123456"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"  # pending sign-in ended
    # Per account across sessions: after TOTP_MAX_FAILURES even the right code is refused.
    app.config["TOTP_MAX_FAILURES"] = 5
    password_step(client, world.owner)
    response = post_form(client, "/login/verify", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200 and 'flash-error' in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_pending_sign_in_expires(client, world, monkeypatch):
    secret = totp_ready(world.owner)
    password_step(client, world.owner)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 6 * 60)
    response = post_form(client, "/login/verify", {"code": pyotp.TOTP(secret).now()}, token_from="/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_admin_resets_a_second_factor_after_reauthentication(client, world, app):
    user_client = app.test_client()
    login(user_client, world.owner)
    login(client, world.admin)
    url = f"/admin/users/{world.owner.id}/two-factor/reset"
    page = client.get(f"/admin/users/{world.owner.id}").get_data(as_text=True)
    assert url in page
    # Signed in more than REAUTH_MINUTES ago: confirm first.
    with client.session_transaction() as s:
        s["auth_at"] = int(time.time()) - 3600
    response = post_form(client, url, token_from=f"/admin/users/{world.owner.id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/confirm")
    db.session.expire_all()
    assert db.session.get(User, world.owner.id).totp_enrolled_at is not None
    secret = totp_ready(world.admin)
    response = post_form(client, "/account/confirm", {"password": PASSWORD, "code": pyotp.TOTP(secret).now(), "next": f"/admin/users/{world.owner.id}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/users/{world.owner.id}"
    response = post_form(client, url, token_from=f"/admin/users/{world.owner.id}")
    assert response.status_code == 302
    db.session.expire_all()
    owner = db.session.get(User, world.owner.id)
    assert owner.totp_secret is None and owner.totp_enrolled_at is None
    assert actions(action="user.mfa_reset") == ["user.mfa_reset"]
    assert user_client.get("/").status_code == 302  # their sessions ended
    assert password_step(user_client, world.owner).headers["Location"] == "/login/enrol"


def test_non_admin_cannot_reset(client, world):
    login(client, world.chair)
    response = post_form(client, f"/admin/users/{world.owner.id}/two-factor/reset", token_from="/")
    assert response.status_code == 403


@pytest.mark.parametrize("endpoint_url", ["/admin/users/{id}/memberships"])
def test_role_changes_need_recent_authentication(client, world, endpoint_url):
    login(client, world.admin)
    with client.session_transaction() as s:
        s["auth_at"] = int(time.time()) - 3600
    url = endpoint_url.format(id=world.owner.id)
    response = post_form(client, url, {"team_id": world.team.id, "role": "expert", "domain": "housing"}, token_from=f"/admin/users/{world.owner.id}")
    assert response.status_code == 302 and "/account/confirm" in response.headers["Location"]
    db.session.expire_all()
    assert world.owner.roles_in(world.team.id) == {"case_owner"}


def test_reauthentication_refuses_a_wrong_password(client, world):
    secret = totp_ready(world.owner)
    login(client, world.owner)
    response = post_form(client, "/account/confirm", {"password": "wrong wrong wrong", "code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert response.status_code == 200
    assert actions(action="user.reauthenticate") == ["user.reauthenticate"]


# --- throttling -------------------------------------------------------------------------------

def test_failed_sign_ins_are_limited_per_account_without_enumeration(client, world, app):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 3
    for _ in range(3):
        assert password_step(client, world.owner, "wrong password!!").status_code == 200
    response = password_step(client, world.owner)  # even the right password now
    assert response.status_code == 429
    assert 'flash-error' in response.get_data(as_text=True)
    # An unknown address behaves the same (no account enumeration).
    for _ in range(3):
        post_form(client, "/login", {"email": "nobody@example.test", "password": "x" * 12})
    assert post_form(client, "/login", {"email": "nobody@example.test", "password": "x" * 12}).status_code == 429
    # Other accounts are not blocked (the address limit is higher).
    assert password_step(client, world.chair).status_code == 302
    # Counted in the database, keyed without the plain e-mail address.
    keys = db.session.scalars(sa.select(LoginAttempt.key)).all()
    assert keys and not any("example.test" in k for k in keys)


def test_failed_sign_ins_are_limited_per_address(client, world, app):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 4
    for i in range(4):
        post_form(client, "/login", {"email": f"guess{i}@example.test", "password": "x" * 12})
    assert password_step(client, world.owner).status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    assert post_form(other, "/login", {"email": world.owner.email, "password": PASSWORD}).status_code == 302


def test_the_count_is_shared_between_workers(app, world):
    """A second app (another worker process) sees the failures the first recorded."""
    from expertteam import create_app

    with app.test_request_context():
        security.record_sign_in_failure(world.owner.email, "10.0.0.1")
    worker2 = create_app({**app.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT": 1})
    with worker2.test_request_context():
        assert security.sign_in_blocked(world.owner.email, "10.0.0.2")
        assert not security.sign_in_blocked(world.chair.email, "10.0.0.2")


def test_redis_store(app, world):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    app.extensions.pop("expertteam_throttle", None)
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 2
    store = security.throttle()
    assert isinstance(store, security.RedisThrottle)
    email = f"redis-{time.time_ns()}@example.test"
    with app.test_request_context():
        assert not security.sign_in_blocked(email, "10.1.1.1")
        security.record_sign_in_failure(email, "10.1.1.1")
        security.record_sign_in_failure(email, "10.1.1.2")
        assert security.sign_in_blocked(email, "10.1.1.3")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 0  # not in the database
    store.clear(security.account_key(email))
    store.clear(security.address_key("10.1.1.1"))
    store.clear(security.address_key("10.1.1.2"))
    app.extensions.pop("expertteam_throttle", None)


# --- passwords --------------------------------------------------------------------------------

def test_common_password_list_ships_and_is_checked(app):
    assert len(security.common_passwords()) > 10_000
    assert security.password_problem("password1234")
    assert security.password_problem("Wachtwoord123")
    assert security.password_problem("short")
    assert security.password_problem("aaaaaaaaaaaaaaa")
    assert security.password_problem("someone@example.test", email="someone@example.test")
    assert security.password_problem("a long enough new password") is None


def test_common_password_refused_on_change_admin_and_cli(client, world, app):
    login(client, world.owner)
    response = post_form(client, "/account/password", {"current": PASSWORD, "new": "password1234", "confirm": "password1234"})
    assert response.status_code == 200 and 'class="field-error"' in response.get_data(as_text=True)
    db.session.refresh(world.owner)
    assert world.owner.check_password(PASSWORD)
    login(client, world.admin)
    response = post_form(client, "/admin/users/new", {"name": "X", "email": "x@example.test", "password": "qwertyuiop123", "locale": "nl"})
    assert response.status_code == 200 and 'class="field-error"' in response.get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "y@example.test", "--name", "Y", "--password", "welkom123456"])
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email.in_(["x@example.test", "y@example.test"]))) == 0


def test_passwords_are_hashed_with_scrypt(world):
    assert world.owner.password_hash.startswith("scrypt:")
    u = User(email="z@example.test", name="Z")
    u.set_password("a long enough new password")
    assert u.password_hash.startswith("scrypt:")


# --- sessions ---------------------------------------------------------------------------------

def test_sign_out_ends_every_session_including_a_copied_cookie(app, client, world):
    login(client, world.owner)
    cookie = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/").status_code == 200
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/").status_code == 302


def test_a_new_session_at_sign_in(app, client, world):
    client.get("/login")
    with client.session_transaction() as s:
        s["planted"] = "fixation"
    login_response = password_step(client, world.owner)
    assert login_response.status_code == 302
    with client.session_transaction() as s:
        assert "planted" not in s


@pytest.mark.parametrize("key, age", [("seen_at", 31 * 60), ("login_at", 12 * 3600 + 60)])
def test_idle_and_absolute_timeouts(client, world, key, age):
    login(client, world.owner)
    assert client.get("/").status_code == 200
    with client.session_transaction() as s:
        s[key] = s[key] - age
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/").status_code == 302


def test_activity_keeps_the_session_alive(client, world):
    login(client, world.owner)
    with client.session_transaction() as s:
        s["seen_at"] -= 29 * 60
    assert client.get("/").status_code == 200
    with client.session_transaction() as s:
        assert time.time() - s["seen_at"] < 5


def test_session_cookie_flags(app, world, client):
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = login(client, world.owner)
    header = " ".join(response.headers.getlist("Set-Cookie"))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "remember_token" not in header
    assert 'name="remember' not in client.get("/login").get_data(as_text=True)
