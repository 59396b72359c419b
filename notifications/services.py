"""The one call other packages make to tell people something."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from expertteam.extensions import db
from expertteam.models import User

from .kinds import KINDS
from .models import EmailStatus, Notification


def notify(recipients: Iterable[User], kind: str, context: dict[str, Any], link: str = "") -> list[Notification]:
    """Queue one notification per recipient in the caller's transaction (an outbox).

    If the caller rolls back, nothing is sent; once it commits, the rows cannot be lost.
    """
    if kind not in KINDS:
        raise KeyError(f"unknown notification kind {kind!r}")
    rows = []
    seen: set[int] = set()
    for user in recipients:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        row = Notification(
            user_id=user.id, kind=kind, context=dict(context), link=link, email_status=EmailStatus.NONE
        )
        db.session.add(row)
        rows.append(row)
    return rows
