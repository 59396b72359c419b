"""Signed, expiring one-click confirm links for an action (e-mailed to its organisation's
contacts). The token names the action only; the user must still be signed in as a contact of
that organisation, and the confirm itself is a POST with a CSRF token."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "advice.confirm-action"
MAX_AGE = 14 * 24 * 3600  # two weeks


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make(action_id: int) -> str:
    return _serializer().dumps({"action": action_id})


def read(token: str, max_age: int = MAX_AGE) -> int | None:
    """The action id the token was made for, or None if it is forged or expired."""
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    action_id = data.get("action") if isinstance(data, dict) else None
    return action_id if isinstance(action_id, int) else None


def confirm_path(action_id: int) -> str:
    return f"/advice/actions/{action_id}/confirm/{make(action_id)}"
