"""The audit trail: one call that every state change makes."""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from .extensions import db
from .models import AuditEvent, User


def record(
    action: str,
    *,
    object_type: str,
    object_id: int | None,
    actor: User | None,
    team_id: int | None = None,
    details: dict[str, Any] | None = None,
    result: str = "ok",
) -> AuditEvent:
    """Add an audit row to the current transaction (the caller commits)."""
    ip = ua = None
    if has_request_context():
        ip = request.remote_addr
        ua = (request.user_agent.string or "")[:300] or None
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor.id if actor is not None else None,
        team_id=team_id,
        details=details or {},
        result=result,
        ip=ip,
        user_agent=ua,
    )
    db.session.add(event)
    return event
