"""Sharing case files with actions: the chair chooses, per action of the advice in force, which
of the case's files its organisation's contacts may read; the action page lists them.

A correction's new actions start without shares (the chair shares again); the contacts of a
superseded action keep reading what was shared with it.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from advice import permissions
from advice.lifecycle import audit_step
from advice.models import Action, Advice
from casefiles.attachments.models import CaseAttachment
from casefiles.attachments.services import case_attachments
from core.db import db
from core.errors import PermissionDenied
from core.models import User

from .models import ActionAttachment


def shares_of(advice: Advice) -> set[tuple[int, int]]:
    """(attachment id, action id) pairs shared on the advice's actions."""
    rows = db.session.execute(
        sa.select(ActionAttachment.attachment_id, ActionAttachment.action_id)
        .join(Action, Action.id == ActionAttachment.action_id)
        .where(Action.advice_id == advice.id)
    )
    return {(file_id, action_id) for file_id, action_id in rows}


def set_shares(advice: Advice, actor: User, wanted: set[tuple[int, int]]) -> tuple[int, int]:
    """Make the shares exactly ``wanted`` (pairs of the case's files and the advice's actions;
    anything else is ignored). Audited once with the pairs added and removed; flushes."""
    if not permissions.can_share_attachments(actor, advice):
        raise PermissionDenied(_("Only the chair shares files with the organisations, on the advice in force."))
    files = {a.id for a in case_attachments(advice.case)}
    actions = {a.id for a in advice.actions}
    wanted = {(f, a) for f, a in wanted if f in files and a in actions}
    current = shares_of(advice)
    added, removed = sorted(wanted - current), sorted(current - wanted)
    for file_id, action_id in removed:
        db.session.execute(sa.delete(ActionAttachment).where(ActionAttachment.attachment_id == file_id,
                                                             ActionAttachment.action_id == action_id))
    db.session.add_all(ActionAttachment(attachment_id=f, action_id=a, shared_by_id=actor.id) for f, a in added)
    db.session.flush()
    if added or removed:
        audit_step("advice.attachments_shared", "advice", advice.id, actor, advice.case.team_id,
                   {"added": [list(p) for p in added], "removed": [list(p) for p in removed]})
    return len(added), len(removed)


def shared_with(action: Action) -> list[CaseAttachment]:
    """The files shared with this action (for its page)."""
    return list(db.session.scalars(
        sa.select(CaseAttachment).join(ActionAttachment, ActionAttachment.attachment_id == CaseAttachment.id)
        .where(ActionAttachment.action_id == action.id).order_by(CaseAttachment.uploaded_at, CaseAttachment.id)
    ))
