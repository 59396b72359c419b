"""The API against its own OpenAPI document (schemathesis, over HTTP against the real app in a
real server thread): every operation, with valid and invalid requests, each answer checked
against the document (status, headers, problem+json, schemas); and two clients acting on one
action at the same moment over real connections, losing nothing."""
from __future__ import annotations

import threading

import requests
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from advice.models import Action, ActionStatus
from api.clients import create_client
from api.models import SCOPES
from core.audit import AuditEvent
from core.db import db

from .conftest import API, get_token

EXAMPLES = 20
OPERATIONS = {"GET /actions", "GET /actions/{actionId}", "POST /actions/{actionId}/confirm",
              "POST /actions/{actionId}/done", "POST /actions/{actionId}/refuse", "GET /signal-requests",
              "GET /signal-requests/{requestId}", "POST /signal-requests/{requestId}/seen"}


def _run(operation, strategy, base_url: str, headers: dict) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case):
        # Every check but "valid data is accepted": a schema-valid request may still be refused
        # on purpose (a stale If-Match is 412, an opaque cursor that is not ours 400, a date in
        # the future 422); tests/api/test_api.py shows real valid requests accepted.
        case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=[positive_data_acceptance])

    check()


def test_every_operation_answers_as_its_openapi_document_says(api, live, app):
    app.config["API_RATE_LIMIT"] = 1_000_000
    schema = schemathesis.openapi.from_url(live.url + API + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == OPERATIONS
    base_url, auth = live.url + API, {"Authorization": f"Bearer {api.token}"}
    real = {"actionId": api.action.id, "requestId": 1}
    nothing_to_break = set()
    for operation in operations:
        _run(operation, operation.as_strategy(GenerationMode.POSITIVE), base_url, auth)
        try:
            _run(operation, operation.as_strategy(GenerationMode.NEGATIVE), base_url, auth)
        except Unsatisfiable:
            nothing_to_break.add(operation.label)
        if operation.method.upper() == "POST" and "actionId" in operation.path:
            # On a real action of the client, with If-Match "*": the writes themselves.
            strategy = operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"actionId": real["actionId"]},
                                             headers={"If-Match": "*"})
            _run(operation, strategy, base_url, auth)
    assert nothing_to_break == {"GET /signal-requests"}  # its only parameter is a free text header


def test_two_clients_acting_at_once_lose_nothing(api, live):
    second, secret = create_client(api.admin, api.org, name="Second system", scopes=SCOPES)
    db.session.commit()
    tokens = [api.token, get_token(api.http, second.client_id, secret)]
    url = f"{live.url}{API}/actions/{api.action.id}"
    etag = requests.get(url, headers={"Authorization": f"Bearer {tokens[0]}"}, timeout=10).headers["ETag"]
    barrier, answers = threading.Barrier(2), [None, None]
    steps = [("confirm", None), ("done", {"note": "Home offered."})]

    def act(i: int) -> None:
        path, body = steps[i]
        barrier.wait()
        answers[i] = requests.post(f"{url}/{path}", json=body, timeout=10,
                                   headers={"Authorization": f"Bearer {tokens[i]}", "If-Match": etag})

    threads = [threading.Thread(target=act, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 412], [a.text for a in answers]
    winner = next(i for i, a in enumerate(answers) if a.status_code == 200)
    loser = answers[1 - winner]
    db.session.expire_all()
    action = db.session.get(Action, api.action.id)
    expected = ActionStatus.CONFIRMED if winner == 0 else ActionStatus.DONE
    assert action.status == expected
    assert loser.json()["current"]["status"] == expected.value  # the loser sees what happened
    steps_audited = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "action", AuditEvent.object_id == action.id,
        AuditEvent.action.in_(["action.confirm", "action.complete"]))).all()
    assert steps_audited == ["action.confirm" if winner == 0 else "action.complete"]

