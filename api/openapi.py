"""The OpenAPI 3.1 document of the API: the contract (tests load it and validate every answer
against it). Written by hand in one place; served at ``/api/v1/openapi.json``."""
from __future__ import annotations

from typing import Any

from flask import current_app

from advice.lifecycle import NOTE_MAX as ACTION_NOTE_MAX
from casefiles.holds.models import NOTE_MAX as SIGNAL_NOTE_MAX
from core.routing import MAX_ID

from .http import API_VERSION, BODY_MAX
from .models import SCOPES

_NULL_STR = {"type": ["string", "null"]}
_DATETIME = {"type": "string", "format": "date-time"}
_NULL_DATETIME = {"type": ["string", "null"], "format": "date-time"}
_DATE = {"type": "string", "format": "date"}
_LINK = {"type": "object", "required": ["href"], "properties": {"href": {"type": "string"}}}
_PERSON = {"type": ["object", "null"], "required": ["name"], "properties": {"name": {"type": "string"}}}
_CASE = {"type": "object", "required": ["reference", "pseudonym"],
         "properties": {"reference": {"type": "string"}, "pseudonym": {"type": "string"}}}
_ORG = {"type": "object", "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str, headers: dict | None = None) -> dict:
    out: dict[str, Any] = {"description": description,
                           "content": {"application/problem+json": {"schema": _ref("Problem")}}}
    if headers:
        out["headers"] = headers
    return out


_VERSION_HEADER = {"API-Version": {"description": "The version of this API.", "schema": {"type": "string"}}}
_ETAG_HEADER = {"ETag": {"description": "The strong entity tag of the representation.", "schema": {"type": "string"}},
                **_VERSION_HEADER}


def _ok(schema_name: str, description: str) -> dict:
    return {"description": description, "headers": _ETAG_HEADER,
            "content": {"application/json": {"schema": _ref(schema_name)}}}


_ERRORS_READ = {
    "400": _problem("Invalid parameters."),
    "401": _problem("No valid access token.", {"WWW-Authenticate": {"schema": {"type": "string"}}}),
    "403": _problem("The token lacks the scope."),
    "404": _problem("No such resource, or not for this client."),
    "429": _problem("Rate limit reached.", {"Retry-After": {"schema": {"type": "string"}}}),
}
_ERRORS_WRITE = {
    **_ERRORS_READ,
    "409": _problem("Not possible in the current state."),
    "412": _problem("If-Match does not match: the current representation is in `current`.",
                    {"ETag": {"schema": {"type": "string"}}}),
    "413": _problem(f"The body is larger than {BODY_MAX // 1024} kB."),
    "415": _problem("The body is not JSON."),
    "422": _problem("The request cannot be carried out (e.g. an empty note)."),
    "428": _problem("If-Match is missing."),
}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_LANG = {"name": "Accept-Language", "in": "header", "required": False, "schema": {"type": "string"},
         "description": "nl (default) or en: the language of problem titles and details."}
_IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
             "description": "The ETag of the representation this change is based on."}


def _transition(summary: str, op_id: str, body: dict | None) -> dict:
    op: dict[str, Any] = {
        "summary": summary, "operationId": op_id, "tags": ["actions"],
        "security": [{"oauth2": ["actions:write"]}],
        "parameters": [{"name": "actionId", "in": "path", "required": True, "schema": _ID}, _IF_MATCH, _LANG],
        "responses": {"200": _ok("Action", "The action after the change."), **_ERRORS_WRITE},
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def document() -> dict[str, Any]:
    base = (current_app.config.get("APP_BASE_URL") or "").rstrip("/")
    summary_props = {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": ["open", "confirmed", "done", "refused", "dropped"]},
        "inForce": {"type": "boolean", "description": "False once the advice was corrected (a newer version)."},
        "overdue": {"type": "boolean"},
        "organisation": _ORG,
        "case": _CASE,
        "description": {"type": "string", "description": "What the organisation must do (markdown)."},
        "deadline": _DATE,
        "effectiveDeadline": _DATE,
        "assignedAt": _NULL_DATETIME,
        "updatedAt": _NULL_DATETIME,
        "previousActionId": {"type": ["integer", "null"]},
        "_links": {"type": "object", "required": ["self"], "additionalProperties": _LINK},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Expertteam API",
            "version": API_VERSION,
            "description": "The actions and lost-contact signal requests of one committed organisation. "
                           "Follows the NL API Design Rules. Writes need If-Match with the ETag of the "
                           "representation they are based on. Errors are application/problem+json (RFC 9457).",
            "contact": {"name": "Expertteam"},
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": base + "/api/v1" if base else "/api/v1"}],
        "tags": [{"name": "actions"}, {"name": "signal requests"}],
        "paths": {
            "/actions": {"get": {
                "summary": "The organisation's actions, oldest first (keyset pages).",
                "operationId": "listActions", "tags": ["actions"], "security": [{"oauth2": ["actions:read"]}],
                "parameters": [
                    {"name": "status", "in": "query", "required": False, "schema": summary_props["status"]},
                    {"name": "updatedSince", "in": "query", "required": False, "schema": _DATETIME,
                     "description": "Only actions that changed at or after this moment (with its time zone)."},
                    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}},
                    _LANG,
                ],
                "responses": {"200": _ok("ActionList", "A page of actions."), **_ERRORS_READ},
            }},
            "/actions/{actionId}": {"get": {
                "summary": "One action with the context of the contact's page.",
                "operationId": "getAction", "tags": ["actions"], "security": [{"oauth2": ["actions:read"]}],
                "parameters": [{"name": "actionId", "in": "path", "required": True, "schema": _ID}, _LANG],
                "responses": {"200": _ok("Action", "The action."), **_ERRORS_READ},
            }},
            "/actions/{actionId}/confirm": {"post": _transition(
                "Confirm: the organisation will carry out the action.", "confirmAction",
                {"type": "object", "additionalProperties": False, "properties": {}})},
            "/actions/{actionId}/done": {"post": _transition(
                "Report the action done, with a note.", "completeAction",
                {"type": "object", "additionalProperties": False, "required": ["note"],
                 "properties": {"note": {"type": "string", "maxLength": ACTION_NOTE_MAX},
                                "doneOn": {"type": "string", "format": "date",
                                           "description": "Default: today (the team's date)."}}})},
            "/actions/{actionId}/refuse": {"post": _transition(
                "Refuse the action, with a reason (the chair is told).", "refuseAction",
                {"type": "object", "additionalProperties": False, "required": ["reason"],
                 "properties": {"reason": {"type": "string", "maxLength": ACTION_NOTE_MAX}}})},
            "/signal-requests": {"get": {
                "summary": "Open lost-contact signal requests to the organisation.",
                "operationId": "listSignalRequests", "tags": ["signal requests"],
                "security": [{"oauth2": ["signals:read"]}], "parameters": [_LANG],
                "responses": {"200": _ok("SignalRequestList", "The open requests."), **_ERRORS_READ},
            }},
            "/signal-requests/{requestId}": {"get": {
                "summary": "One signal request.", "operationId": "getSignalRequest", "tags": ["signal requests"],
                "security": [{"oauth2": ["signals:read"]}],
                "parameters": [{"name": "requestId", "in": "path", "required": True, "schema": _ID}, _LANG],
                "responses": {"200": _ok("SignalRequest", "The request."), **_ERRORS_READ},
            }},
            "/signal-requests/{requestId}/seen": {"post": {
                "summary": "Report the client seen (the case owner is told at once).",
                "operationId": "reportSeen", "tags": ["signal requests"],
                "security": [{"oauth2": ["signals:write"]}],
                "parameters": [{"name": "requestId", "in": "path", "required": True, "schema": _ID}, _IF_MATCH, _LANG],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False, "required": ["note"],
                    "properties": {"note": {"type": "string", "maxLength": SIGNAL_NOTE_MAX}}}}}},
                "responses": {"200": _ok("SignalRequest", "The request with the new signal."), **_ERRORS_WRITE},
            }},
        },
        "components": {
            "securitySchemes": {"oauth2": {"type": "oauth2", "flows": {"clientCredentials": {
                "tokenUrl": (base or "") + "/api/v1/oauth/token",
                "scopes": {s: s for s in SCOPES}}}}},
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"}, "instance": {"type": "string"},
                    "invalidParams": {"type": "array", "items": {
                        "type": "object", "required": ["name", "reason"],
                        "properties": {"name": {"type": "string"}, "reason": {"type": "string"}}}},
                    "current": {"type": "object"}}},
                "ActionSummary": {"type": "object", "required": list(summary_props), "properties": summary_props},
                "Action": {"allOf": [_ref("ActionSummary"), {"type": "object", "required": [
                    "advice", "confirmed", "done", "refused", "teamDecision"], "properties": {
                    "advice": {"type": "object", "required": ["id", "version", "text", "issuedAt"], "properties": {
                        "id": {"type": "integer"}, "version": {"type": "integer"}, "text": {"type": "string"},
                        "issuedAt": _NULL_DATETIME}},
                    "confirmed": {"type": ["object", "null"], "properties": {"at": _DATETIME, "by": _PERSON}},
                    "done": {"type": ["object", "null"], "properties": {
                        "at": _DATETIME, "on": _DATE, "by": _PERSON, "note": {"type": "string"}}},
                    "refused": {"type": ["object", "null"], "properties": {
                        "at": _DATETIME, "by": _PERSON, "reason": {"type": "string"}}},
                    "teamDecision": {"type": ["object", "null"], "properties": {
                        "decision": {"type": "string", "enum": ["extend", "drop"]}, "note": {"type": "string"},
                        "at": _NULL_DATETIME}}}}]},
                "ActionList": {"type": "object", "required": ["items", "nextCursor", "_links"], "properties": {
                    "items": {"type": "array", "items": _ref("ActionSummary")},
                    "nextCursor": _NULL_STR,
                    "_links": {"type": "object", "additionalProperties": _LINK}}},
                "SignalRequest": {"type": "object", "required": [
                    "id", "active", "case", "organisation", "whomToCall", "requestedAt", "endedAt", "signals", "_links"],
                    "properties": {
                        "id": {"type": "integer"}, "active": {"type": "boolean"}, "case": _CASE, "organisation": _ORG,
                        "whomToCall": {"type": "string"}, "requestedAt": _DATETIME, "endedAt": _NULL_DATETIME,
                        "signals": {"type": "array", "items": {"type": "object", "required": ["id", "seenAt"],
                                                               "properties": {"id": {"type": "integer"},
                                                                              "seenAt": _DATETIME}}},
                        "_links": {"type": "object", "additionalProperties": _LINK}}},
                "SignalRequestList": {"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": _ref("SignalRequest")}}},
            },
        },
    }
