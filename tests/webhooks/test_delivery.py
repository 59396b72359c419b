"""Webhooks end to end: the services write events in their own transaction, the delivery job
POSTs signed CloudEvents to a real receiver on loopback that checks the Standard Webhooks
signature itself; two runs at once deliver each event once per endpoint; a receiver that is
down gets it later; an endpoint that keeps failing is disabled and the administrators told.
The receiver and the resolver are in ``conftest.py``; the address checks in ``test_addresses.py``."""
from __future__ import annotations

import base64
import threading
from datetime import date, timedelta
from http.server import ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from advice.follow_through.jobs import mark_overdue
from advice.follow_through.services import confirm_action
from casefiles.holds.services import put_on_hold, request_signals
from core.audit import AuditEvent
from core.clock import utcnow
from core.db import db
from core.errors import ServiceError
from notifications.models import Notification
from tests.advice.conftest import _english, aw, discussed, drafted, issued
from webhooks import delivery, services
from webhooks.events import emit
from webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


@pytest.fixture
def hooks(app, aw, receiver):
    app.config.update(WEBHOOKS_ALLOW_HTTP_LOOPBACK=True, APP_BASE_URL="https://expertteam.example")

    def endpoint(org, path: str, events=("action.assigned", "action.changed", "action.overdue", "advice.corrected",
                                        "signal.requested")):
        row, secret = services.create_endpoint(aw.admin, org, url=receiver.url + path, event_types=list(events))
        db.session.commit()
        receiver.secrets[path] = secret
        return row

    return endpoint


def test_steps_reach_the_organisations_receiver_signed_and_only_theirs(hooks, receiver, aw, issued):
    hooks(aw.org, "/vaart")
    hooks(aw.org2, "/ggz", events=["action.changed"])
    advice = issued()
    action = next(a for a in advice.actions if a.organisation_id == aw.org.id)
    confirm_action(action, aw.contact, expected_version=action.version)
    db.session.commit()
    assert receiver.received == []  # nothing is sent by the services themselves: the job sends
    assert delivery.deliver(utcnow()) == "delivered 2, to retry 0, failed 0, postponed 0"
    assert [(r.path, r.event["type"]) for r in receiver.received] == [
        ("/vaart", "nl.expertteam.action.assigned"), ("/vaart", "nl.expertteam.action.changed")]
    for message in receiver.received:
        assert message.valid
        event = message.event
        assert event["specversion"] == "1.0" and event["id"] == message.headers["webhook-id"]
        assert event["source"] == "https://expertteam.example" and event["subject"] == f"actions/{action.id}"
        assert event["dataref"] == f"https://expertteam.example/api/v1/actions/{action.id}"
        assert event["data"] == {"action": action.id}  # ids only
        assert message.headers["content-type"].startswith("application/cloudevents+json")
    assert delivery.deliver(utcnow()) == "delivered 0, to retry 0, failed 0, postponed 0"


def test_overdue_and_signal_requests_are_events_too(hooks, aw, issued, create_case):
    hooks(aw.org, "/vaart", events=["action.overdue", "signal.requested"])
    issued()
    assert mark_overdue(utcnow() + timedelta(days=30)) == "2 actions marked overdue"
    case = create_case("accepted")
    put_on_hold(case, aw.owner, reason="no_contact", note="", retry_on=date.today() + timedelta(days=7))
    request_signals(case, aw.owner, organisation_ids=[aw.org.id], whom_to_call="Owner, 06-12345678",
                    last_contact_on=date.today())
    db.session.commit()
    events = db.session.execute(sa.select(WebhookEvent.type, WebhookEvent.resource).order_by(WebhookEvent.id)).all()
    assert [e.type for e in events] == ["action.overdue", "signal.requested"]
    assert events[1].resource.startswith("signal-requests/")


def test_two_runs_at_once_deliver_each_event_once_per_endpoint(hooks, receiver, aw, app):
    hooks(aw.org, "/a")
    hooks(aw.org, "/b")
    for i in range(12):
        emit("action.changed", aw.org.id, f"actions/{i + 1}", {"action": i + 1})
    db.session.commit()
    app.config["WEBHOOKS_BATCH_SIZE"] = 5
    receiver.delay = 0.01
    now = utcnow()

    def run():
        with app.app_context():
            for _ in range(6):
                delivery.deliver(now)
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    got = sorted((r.path, r.headers["webhook-id"]) for r in receiver.received)
    assert len(got) == 24 and len(set(got)) == 24  # 12 events x 2 endpoints, each once
    assert all(r.valid for r in receiver.received)
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(WebhookDelivery.status))) == {DeliveryStatus.DELIVERED}


def test_a_receiver_that_is_down_gets_it_later_with_the_same_id(hooks, receiver, aw):
    endpoint = hooks(aw.org, "/down")
    emit("action.changed", aw.org.id, "actions/7", {"action": 7})
    db.session.commit()
    receiver.status = 503
    now = utcnow()
    assert delivery.deliver(now) == "delivered 0, to retry 1, failed 0, postponed 0"
    row = db.session.scalar(sa.select(WebhookDelivery))
    db.session.refresh(row)
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.PENDING, 1, 503)
    receiver.status = 200
    assert delivery.deliver(now + timedelta(seconds=30)) == "delivered 0, to retry 0, failed 0, postponed 0"
    assert delivery.deliver(now + timedelta(seconds=61)) == "delivered 1, to retry 0, failed 0, postponed 0"
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and second.valid
    db.session.refresh(endpoint)
    assert endpoint.consecutive_failures == 0 and endpoint.active


def test_an_endpoint_that_keeps_failing_is_disabled_and_the_administrators_told(hooks, receiver, aw, app):
    app.config["WEBHOOKS_DISABLE_AFTER"] = 3
    endpoint = hooks(aw.org, "/broken")
    emit("action.changed", aw.org.id, "actions/1", {"action": 1})
    emit("action.changed", aw.org.id, "actions/2", {"action": 2})
    db.session.commit()
    receiver.status = 500
    now = utcnow()
    for minutes in (0, 2, 8, 40):
        delivery.deliver(now + timedelta(minutes=minutes))
    assert len(receiver.received) == 3  # one attempt per run (the rest waits), then disabled
    db.session.refresh(endpoint)
    assert not endpoint.active and endpoint.disabled_at is not None
    told = db.session.scalars(sa.select(Notification).where(Notification.kind == "webhooks.endpoint_disabled")).all()
    assert [n.user_id for n in told] == [aw.admin.id] and told[0].link == f"/admin/webhooks/{endpoint.id}"
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "webhook_endpoint.disable")) == 1
    assert db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id)).where(
        WebhookDelivery.status == DeliveryStatus.PENDING)) == 2  # kept for when it is enabled again
    services.set_active(endpoint, aw.admin, True)
    db.session.commit()
    receiver.status = 200
    assert delivery.deliver(now + timedelta(days=2)) == "delivered 2, to retry 0, failed 0, postponed 0"


def test_endpoints_need_https_except_loopback_when_allowed(app, aw, dns):
    dns.answers["crm.example.org"] = ["93.184.216.34"]  # public; never connected to here
    for url in ("http://example.org/hook", "ftp://example.org", "https://user:pw@example.org/", "not a url"):
        with pytest.raises(ServiceError):
            services.check_url(url)
    assert services.check_url("https://crm.example.org/hooks") == "https://crm.example.org/hooks"
    with pytest.raises(ServiceError):
        services.check_url("http://127.0.0.1:8080/hook")
    app.config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"] = True
    assert services.check_url("http://127.0.0.1:8080/hook")
    assert db.session.scalar(sa.select(sa.func.count(WebhookEndpoint.id))) == 0


def test_the_example_receiver_accepts_our_messages_and_refuses_forged_ones(hooks, aw, app):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "webhook_receiver.py"
    spec = importlib.util.spec_from_file_location("webhook_receiver", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    server = ThreadingHTTPServer(("127.0.0.1", 0), example.Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        _endpoint, secret = services.create_endpoint(aw.admin, aw.org, url=url, event_types=["action.changed"])
        emit("action.changed", aw.org.id, "actions/3", {"action": 3})
        db.session.commit()
        example.SECRET = "whsec_" + base64.b64encode(b"x" * 24).decode()  # not ours: refused
        assert delivery.deliver(utcnow()) == "delivered 0, to retry 1, failed 0, postponed 0"
        assert db.session.scalar(sa.select(WebhookDelivery.last_status_code)) == 401
        example.SECRET = secret
        assert delivery.deliver(utcnow() + timedelta(minutes=2)) == "delivered 1, to retry 0, failed 0, postponed 0"
        assert len(example.seen) == 1
    finally:
        server.shutdown()
        thread.join(5)
