"""Sign-in through an organisation's identity provider (accounts/oidc*.py), against a real
OpenID Connect provider: the certified ``oidc-provider`` npm package run by Node.js on loopback
(tests/oidc_provider/), started once for this module. Our side runs in the Flask test client; the
browser's part at the provider (its login page, its sign-out page) goes over real HTTP.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests
import sqlalchemy as sa

from accounts import oidc
from accounts.oidc_models import IdentityLink
from core.audit import AuditEvent
from core.db import db
from core.models import User
from expertteam import create_app
from tests.conftest import _empty_tables, _test_config, csrf_token, login, post_form, totp_ready
from tests.oidc_provider.harness import PASSWORD, follow_logout, login_at_provider, provider_or_skip

BASE = "http://localhost"
CALLBACK = f"{BASE}/login/oidc/test/callback"
MFA_ACR = "urn:expertteam:test:mfa"

ACCOUNTS = {
    "anna": {"email": "anna@gooistad.example", "amr": ["pwd", "otp"], "acr": MFA_ACR},
    "bob": {"email": "bob@gooistad.example", "amr": ["pwd"]},
    "carol": {"email": "carol@gooistad.example", "email_verified": False, "amr": ["pwd", "otp"]},
    "dave": {"email": "dave@gooistad.example", "amr": ["otp"]},
    "eve": {"email": "eve@elders.example", "amr": ["otp"]},
}


@pytest.fixture(scope="module")
def provider():
    p = provider_or_skip(
        client={"client_id": "expertteam", "client_secret": "test-secret", "redirect_uris": [CALLBACK],
                "post_logout_redirect_uris": [f"{BASE}/login"]},
        accounts={k: {**v, "password": PASSWORD} for k, v in ACCOUNTS.items()},
    )
    yield p
    p.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when this returns: nothing listens


def provider_configs(issuer: str) -> list[dict]:
    port = urlsplit(issuer).port
    return [
        {"name": "test", "display_name": "Gemeente Gooistad", "issuer": issuer, "client_id": "expertteam",
         "client_secret": "test-secret", "domains": ["gooistad.example"], "strong_acr": [MFA_ACR],
         "strong_amr": ["otp", "hwk"], "password_sign_in": False},
        {"name": "down", "display_name": "Provider down", "issuer": f"http://127.0.0.1:{_closed_port()}",
         "client_id": "x", "client_secret": "y", "domains": ["down.example"]},
        {"name": "wrong", "display_name": "Wrong issuer", "issuer": f"http://localhost:{port}",
         "client_id": "expertteam", "client_secret": "test-secret", "domains": ["wrong.example"]},
    ]


@pytest.fixture
def app(_schema, database_url, tmp_path, provider):
    os.environ["EXPERTTEAM_INSTANCE"] = str(tmp_path / "instance")
    config = {**_test_config(database_url, tmp_path), "APP_BASE_URL": BASE, "OIDC_CLOCK_SKEW": 5,
              "OIDC_PROVIDERS": provider_configs(provider.issuer)}
    app = create_app(config)
    ctx = app.app_context()
    ctx.push()
    provider.mode()
    try:
        yield app
    finally:
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
        ctx.pop()


@pytest.fixture
def people(make_user, make_team):
    team = make_team()
    return {k: make_user("case_owner", team=team, email=v["email"], name=k.title()) for k, v in ACCOUNTS.items() if k != "dave"}


def start(client, name: str = "test", **params):
    response = client.get(f"/login/oidc/{name}", query_string=params)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return response.headers["Location"]


def sign_in(client, provider, login_name: str, browser: requests.Session | None = None, **params):
    """Start at our sign-in, log in at the provider, come back: our answer to the callback."""
    browser = browser or requests.Session()
    back = login_at_provider(browser, start(client, **params), login_name, CALLBACK)
    return client.get(back.removeprefix(BASE))


def signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def audit_rows(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


# --- configuration --------------------------------------------------------------------------------

def test_configuration_is_checked_and_read_from_json_or_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("GOOI_SECRET", "s3cret")
    good = {"name": "gooi", "issuer": "https://login.example/realms/x", "client_id": "c", "client_secret_env": "GOOI_SECRET",
            "domains": "gooistad.nl, @Example.ORG", "strong_amr": ["mfa"]}
    (p,) = oidc.load_providers({"OIDC_PROVIDERS": [good]})
    assert p.domains == ("gooistad.nl", "example.org") and p.client_secret == "s3cret" and p.scopes == oidc.DEFAULT_SCOPES
    assert "s3cret" not in repr(p) and "s3cret" not in str(p.public())
    file = tmp_path / "providers.json"
    file.write_text('[{"name": "a", "issuer": "https://a.example", "client_id": "c", "client_secret": "s", "domains": ["*"]}]')
    assert [q.name for q in oidc.load_providers({"OIDC_PROVIDERS_FILE": str(file)})] == ["a"]
    for broken, message in [
        ({**good, "name": "Has Spaces"}, "name"), ({**good, "domains": []}, "domains"),
        ({**good, "scopes": "email"}, "openid"), ({**good, "client_secret_env": "NOT_SET_ANYWHERE"}, "client_secret"),
        ({**good, "password_sign_in": "no"}, "password_sign_in"), ({**good, "issuer": "login.example"}, "issuer"),
    ]:
        with pytest.raises(oidc.OIDCConfigError, match=message):
            oidc.load_providers({"OIDC_PROVIDERS": [broken]})
    with pytest.raises(oidc.OIDCConfigError, match="JSON"):
        oidc.load_providers({"OIDC_PROVIDERS": "[{"})
    with pytest.raises(oidc.OIDCConfigError, match="unique"):
        oidc.load_providers({"OIDC_PROVIDERS": [good, good]})


def test_sign_in_page_and_discovery_and_pkce(client, provider):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/oidc/test"' in page and "Gemeente Gooistad" in page
    location = start(client)
    assert location.startswith(provider.issuer + "/auth?")  # the endpoint from the discovery document
    query = parse_qs(urlsplit(location).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["expertteam"]
    assert query["redirect_uri"] == [CALLBACK] and query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43 and query["state"][0] and query["nonce"][0]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}


# --- sign-in, linking, MFA ----------------------------------------------------------------------------

def test_first_sign_in_links_then_the_subject_alone_is_used(client, provider, people):
    anna = people["anna"]
    response = sign_in(client, provider, "anna")
    assert response.status_code == 302 and response.headers["Location"] == "/", response.get_data(as_text=True)[:500]
    assert signed_in(client)
    link = db.session.scalar(sa.select(IdentityLink).where(IdentityLink.user_id == anna.id))
    assert (link.issuer, link.subject, link.provider) == (provider.issuer, "anna", "test")
    (linked,) = audit_rows("user.identity_link")
    assert linked.object_id == anna.id and linked.details["provider"] == "test"
    login_row = audit_rows("user.login")[-1]
    assert login_row.result == "ok" and login_row.details == {"second_factor": "provider", "provider": "test"}

    # Sign-out here ends the session and signs out at the provider (RP-initiated logout).
    response = post_form(client, "/logout", token_from="/account/password")
    assert response.headers["Location"] == "/login/oidc/signed-out"
    response = client.get("/login/oidc/signed-out")
    end_session = response.headers["Refresh"].removeprefix("0; url=")
    assert end_session.startswith(provider.issuer + "/session/end?")
    assert f'href="{end_session.replace("&", "&amp;")}"' in response.get_data(as_text=True)
    assert parse_qs(urlsplit(end_session).query)["post_logout_redirect_uri"] == [f"{BASE}/login"]
    assert not signed_in(client)
    browser = requests.Session()
    assert follow_logout(browser, end_session, BASE).startswith(f"{BASE}/login")
    assert audit_rows("user.logout")[-1].details == {"provider": "test"}

    # The person's e-mail address changes at the provider: the link still finds the account,
    # and no second link is made.
    provider.account("anna", email="a.devries@gooistad.example")
    first_use = link.last_used_at
    time.sleep(0.01)
    response = sign_in(client, provider, "anna", browser)
    assert response.status_code == 302 and signed_in(client)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdentityLink)) == 1
    assert db.session.get(IdentityLink, link.id).last_used_at > first_use
    assert len(audit_rows("user.identity_link")) == 1
    provider.account("anna", email=ACCOUNTS["anna"]["email"])


def test_without_a_strong_sign_in_at_the_provider_our_code_follows(client, provider, people):
    bob = people["bob"]
    secret = totp_ready(bob)
    response = sign_in(client, provider, "bob", next="/meetings/")
    assert response.headers["Location"] == "/login/verify"
    assert not signed_in(client)
    response = post_form(client, "/login/verify", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert response.status_code == 200 and not signed_in(client)
    response = post_form(client, "/login/verify", {"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"] == "/meetings/"
    assert signed_in(client)
    login_row = audit_rows("user.login")[-1]
    assert login_row.details == {"second_factor": "totp", "provider": "test"} and login_row.actor_id == bob.id


def test_password_sign_in_is_switched_off_for_the_providers_domain(client, provider, people):
    response = post_form(client, "/login", {"email": "Anna@Gooistad.example", "password": "correct horse battery staple"})
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Gemeente Gooistad" in page and 'href="/login/oidc/test"' in page
    assert not signed_in(client)
    assert audit_rows("user.login")[-1].details == {"reason": "password_sign_in_off", "provider": "test"}


# --- every error: a clear page, a log line, an audit row, nobody signed in ---------------------------

def _refused(client, response, reason: str, status: int, caplog) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:800]
    assert f'data-reason="{reason}"' in page
    assert not signed_in(client)
    row = audit_rows("user.login")[-1]
    assert row.result == "failed" and row.details["reason"] == reason, row.details
    assert any(reason in r.getMessage() for r in caplog.records if r.name == "accounts.oidc")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == "dave@gooistad.example")) == 0
    return page


@pytest.mark.parametrize("login_name,reason,status", [
    ("dave", "no_link", 403),  # nobody here with that address: no account is made
    ("carol", "email_not_verified", 403),
    ("eve", "domain_not_served", 403),
])
def test_people_the_provider_cannot_link(client, provider, people, caplog, login_name, reason, status):
    caplog.set_level(logging.WARNING, "accounts.oidc")
    page = _refused(client, sign_in(client, provider, login_name), reason, status, caplog)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdentityLink)) == 0
    if reason == "no_link":
        assert "administrator" in page or "beheerder" in page  # in the visitor's language


@pytest.mark.parametrize("mode,reason", [
    ({"foreign_key": True}, "bad_signature"),
    ({"claims": {"iss": "http://127.0.0.1:1"}}, "wrong_issuer"),
    ({"claims": {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}}, "token_expired"),
    ({"claims": {"nonce": "not-the-nonce-we-sent"}}, "nonce_mismatch"),
    ({"claims": {"aud": "another-client"}}, "invalid_token"),
    ({"replay": True}, "nonce_mismatch"),  # an ID token of an earlier sign-in, replayed
])
def test_id_tokens_that_cannot_be_trusted(client, provider, people, caplog, mode, reason):
    caplog.set_level(logging.WARNING, "accounts.oidc")
    if mode.get("replay"):
        assert sign_in(client, provider, "anna").status_code == 302  # an earlier token to replay
        client.delete_cookie("session")
    provider.mode(**mode)
    _refused(client, sign_in(client, provider, "anna"), reason, 502 if reason in ("bad_signature", "wrong_issuer", "invalid_token") else 400, caplog)


def test_answers_that_do_not_belong_to_this_sign_in(client, provider, people, caplog):
    caplog.set_level(logging.WARNING, "accounts.oidc")
    browser = requests.Session()
    back = login_at_provider(browser, start(client), "anna", CALLBACK)
    # a mismatched state: the answer to a sign-in this browser did not start
    forged = re.sub(r"state=[^&]+", "state=forged", back)
    _refused(client, client.get(forged.removeprefix(BASE)), "state_mismatch", 400, caplog)
    # the real answer works once ...
    assert client.get(back.removeprefix(BASE)).status_code == 302 and signed_in(client)
    client.delete_cookie("session")
    # ... and a replayed answer (the same code and state again) is refused
    _refused(client, client.get(back.removeprefix(BASE)), "state_mismatch", 400, caplog)
    # a code used before, with a fresh state of this browser: the provider refuses it
    location = start(client)
    state = parse_qs(urlsplit(location).query)["state"][0]
    code = parse_qs(urlsplit(back).query)["code"][0]
    _refused(client, client.get("/login/oidc/test/callback", query_string={"code": code, "state": state}), "token_refused", 400, caplog)
    # the provider says no (e.g. the person cancelled)
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    _refused(client, client.get("/login/oidc/test/callback", query_string={"error": "access_denied", "state": state}), "provider_refused", 400, caplog)


def test_provider_down_or_not_the_issuer_it_claims(client, provider, caplog):
    caplog.set_level(logging.WARNING, "accounts.oidc")
    _refused(client, client.get("/login/oidc/down"), "provider_unreachable", 502, caplog)
    _refused(client, client.get("/login/oidc/wrong"), "wrong_issuer", 502, caplog)
    assert client.get("/login/oidc/nope").status_code == 404


# --- re-authentication, administration ------------------------------------------------------------------

def test_sensitive_steps_send_the_person_back_to_the_provider(app, client, provider, people, caplog):
    caplog.set_level(logging.WARNING, "accounts.oidc")
    browser = requests.Session()
    assert sign_in(client, provider, "anna", browser).status_code == 302
    app.config["REAUTH_MINUTES"] = 0  # the sign-in is no longer recent
    time.sleep(1.1)
    token = csrf_token(client, "/account/two-factor")
    response = client.post("/account/two-factor/recovery-codes", data={"csrf_token": token},
                           headers={"Referer": f"{BASE}/account/two-factor"})
    assert response.headers["Location"].startswith("/account/confirm?next=")
    response = client.get(response.headers["Location"])
    assert response.headers["Location"].startswith("/account/confirm/provider")
    response = client.get(response.headers["Location"])
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["prompt"] == ["login"] and query["max_age"] == ["0"]
    app.config["REAUTH_MINUTES"] = 10
    # the provider asks for the password again although its session is still open
    page = browser.get(response.headers["Location"]).text
    assert 'name="password"' in page
    back = login_at_provider(browser, response.headers["Location"], "anna", CALLBACK)
    response = client.get(back.removeprefix(BASE))
    assert response.headers["Location"] == "/account/two-factor"
    assert audit_rows("user.reauthenticate")[-1].details == {"provider": "test", "second_factor": "provider"}
    assert client.post("/account/two-factor/recovery-codes", data={"csrf_token": token}).status_code == 200

    # a provider that answers with an old sign-in (auth_time before the request) is refused
    app.config["REAUTH_MINUTES"] = 0
    provider.mode(claims={"auth_time": int(time.time()) - 3600})
    location = client.get("/account/confirm/provider").headers["Location"]
    response = client.get(login_at_provider(browser, location, "anna", CALLBACK).removeprefix(BASE))
    assert response.status_code == 400 and 'data-reason="not_fresh"' in response.get_data(as_text=True)
    row = audit_rows("user.reauthenticate")[-1]
    assert row.result == "failed" and row.details["reason"] == "not_fresh"


def test_reauthentication_without_a_strong_provider_sign_in_asks_our_code(app, client, provider, people):
    bob = people["bob"]
    secret = totp_ready(bob)
    sign_in(client, provider, "bob")
    post_form(client, "/login/verify", {"code": pyotp.TOTP(secret).now()})
    assert signed_in(client)
    totp_ready(bob)
    location = client.get("/account/confirm/provider?next=/account/two-factor").headers["Location"]
    response = client.get(login_at_provider(requests.Session(), location, "bob", CALLBACK).removeprefix(BASE))
    assert response.headers["Location"] == "/account/confirm/code"
    response = post_form(client, "/account/confirm/code", {"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"] == "/account/two-factor"
    assert audit_rows("user.reauthenticate")[-1].details == {"provider": "test", "second_factor": "totp"}


def test_the_administrator_sees_providers_and_removes_a_link(client, provider, people, make_user):
    sign_in(client, provider, "anna")
    anna = people["anna"]
    admin = make_user(is_admin=True, name="Admin", email="admin@example.test")
    login(client, admin)
    page = client.get("/admin/sign-in/").get_data(as_text=True)
    assert "Gemeente Gooistad" in page and provider.issuer in page and CALLBACK in page
    assert "test-secret" not in page
    page = client.get(f"/admin/sign-in/people/{anna.id}").get_data(as_text=True)
    assert ">anna<" in page
    link = db.session.scalar(sa.select(IdentityLink).where(IdentityLink.user_id == anna.id))
    version = anna.session_version
    response = post_form(client, f"/admin/sign-in/links/{link.id}/remove", token_from=f"/admin/sign-in/people/{anna.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(IdentityLink, link.id) is None
    assert db.session.get(User, anna.id).session_version == version + 1
    row = audit_rows("user.identity_unlink")[-1]
    assert row.actor_id == admin.id and row.object_id == anna.id
    # not for anyone else
    client.delete_cookie("session")
    login(client, people["eve"])
    assert client.get("/admin/sign-in/").status_code == 403
