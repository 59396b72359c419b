"""The in-app inbox."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from expertteam.extensions import db, utcnow

from .kinds import KINDS
from .models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


def render_text(n: Notification, part: str = "subject") -> str:
    kind = KINDS.get(n.kind)
    if kind is None:
        return n.kind
    template = kind.subject if part == "subject" else kind.body
    try:
        return str(template) % n.context
    except (KeyError, TypeError, ValueError):
        return str(template)


@bp.app_context_processor
def _inbox_globals():
    def unread_count() -> int:
        if not current_user.is_authenticated:
            return 0
        return db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == current_user.id, Notification.read_at.is_(None)
            )
        )

    return {"unread_count": unread_count, "notification_text": render_text}


@bp.get("/")
def inbox():
    rows = db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(200)
    ).all()
    return render_template("notifications/inbox.html", notifications=rows)


@bp.post("/<int:notification_id>/open")
def open(notification_id: int):  # noqa: A001 - the endpoint's verb
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != current_user.id:
        abort(404)
    if n.read_at is None:
        n.read_at = utcnow()
        db.session.commit()
    return redirect(n.link or url_for("notifications.inbox"))


@bp.post("/read-all")
def read_all():
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(url_for("notifications.inbox"))
