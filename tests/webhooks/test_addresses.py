"""Webhook addresses and server-side request forgery at registration, through the real form:
every internal address is refused (numeric forms and names that resolve to one included) and
nothing changes; loopback only with the development setting; a name that does not resolve gets a
clear message. At delivery: ``test_delivery_addresses.py``.

The resolver answers only what a test says (``dns``, conftest) and the ``connections`` guard
refuses any connection beyond loopback, so no test reaches another machine."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import ServiceError
from tests.conftest import post_form
from webhooks import services
from webhooks.models import WebhookEndpoint

#: The addresses of the security sweep, verbatim.
ISSUE_EXAMPLES = [
    "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/hook", "https://192.168.1.1/hook",
    "https://172.16.0.1/hook", "https://100.64.0.1/hook", "https://localhost/hook", "https://127.0.0.1:22/",
    "http://127.0.0.1:22/", "https://[::1]/hook", "https://[fd00::1]/hook", "https://0.0.0.0/hook",
    "https://2130706433/hook", "https://metadata.google.internal/computeMetadata/v1/",
]
#: Other spellings a resolver or a network accepts for internal addresses.
OTHER_FORMS = [
    "https://0x7f.1/", "https://127.1/", "https://017700000001/", "https://0x7f000001/", "https://127.0.0.1./",
    "https://0xa9.0xfe.0xa9.0xfe/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:a9fe:a9fe]/",
    "https://[64:ff9b::a00:1]/", "https://[2002:a9fe:a9fe::1]/", "https://[fe80::1%25eth0]/", "https://224.0.0.1/",
    "https://[ff02::1]/", "https://255.255.255.255/", "https://198.18.0.1/", "https://[fec0::1]/",
    "https://intranet/hook", "https://crm.localhost/", "https://nas.local/", "https://private.example.org/hook",
]
INTERNAL = "This address is in an internal network: webhooks only go to public addresses."
PUBLIC = "93.184.216.34"  # a public address: answered by the test resolver, never connected to


@pytest.fixture
def admin(app, world, make_user, login_as, dns):
    """An administrator signed in (English pages), and the test names the resolver knows."""
    dns.answers.update({"private.example.org": ["10.0.0.5"], "crm.example.org": [PUBLIC]})
    user = make_user(is_admin=True, name="Webhook Admin", locale="en")
    login_as(user)
    return SimpleNamespace(user=user, org=world.org)


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count(WebhookEndpoint.id)))


@pytest.mark.parametrize("url", ISSUE_EXAMPLES + OTHER_FORMS)
def test_the_admin_form_refuses_internal_addresses_and_changes_nothing(url, admin, client, dns, connections):
    endpoint, _secret = services.create_endpoint(admin.user, admin.org, url="https://crm.example.org/hook",
                                                 event_types=["action.changed"])
    db.session.commit()
    made = post_form(client, "/admin/webhooks/new", {
        "organisation_id": admin.org.id, "url": url, "event_types": ["action.changed"]})
    edited = post_form(client, f"/admin/webhooks/{endpoint.id}", {
        "organisation_id": admin.org.id, "url": url, "event_types": ["action.changed"]})
    for response in (made, edited):
        assert response.status_code == 400
        assert INTERNAL in response.get_data(as_text=True)
    db.session.expire_all()
    assert _count() == 1 and db.session.get(WebhookEndpoint, endpoint.id).url == "https://crm.example.org/hook"
    assert connections == []
    assert set(dns.asked) <= {"crm.example.org", "private.example.org"}  # numbers and internal names: no lookup


@pytest.mark.parametrize("url", [u for u in ISSUE_EXAMPLES + OTHER_FORMS if not any(
    loop in u for loop in ("localhost", "127.", "[::1]", "2130706433", "0x7f", "017700000001", "[::ffff:127"))])
def test_the_development_setting_allows_loopback_only(url, app, dns):
    app.config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"] = True
    dns.answers["private.example.org"] = ["10.0.0.5"]
    with pytest.raises(ServiceError, match="internal network"):
        services.check_url(url)


def test_loopback_needs_the_development_setting(app, dns):
    for url in ("http://127.0.0.1:8080/hook", "http://localhost:8080/", "https://[::1]:8443/", "https://2130706433/"):
        with pytest.raises(ServiceError):
            services.check_url(url)
    app.config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"] = True
    for url in ("http://127.0.0.1:8080/hook", "http://localhost:8080/", "https://[::1]:8443/"):
        assert services.check_url(url) == url
    dns.answers["crm.example.org"] = ["127.0.0.1"]
    with pytest.raises(ServiceError, match="https://"):
        services.check_url("http://crm.example.org/hook")  # plain HTTP only to a loopback host itself
    assert dns.asked == []


def test_a_name_that_resolves_to_a_private_address_among_public_ones_is_refused(app, dns, connections):
    dns.answers["mixed.example.org"] = [PUBLIC, "10.0.0.5"]
    with pytest.raises(ServiceError, match="internal network"):
        services.check_url("https://mixed.example.org/hook")
    assert dns.asked == ["mixed.example.org"] and connections == []


def test_a_name_that_does_not_resolve_gets_a_clear_message(admin, client):
    response = post_form(client, "/admin/webhooks/new", {
        "organisation_id": admin.org.id, "url": "https://nowhere.example.org/hook", "event_types": ["action.changed"]})
    assert response.status_code == 400
    assert "The host name of this address cannot be found." in response.get_data(as_text=True)
    assert _count() == 0
