"""Who may read the case files the chair shares with an action: the read rule ``init_app``
registers with ``casefiles.attachments`` (the other rules of the advice are in
``advice.permissions``)."""
from __future__ import annotations

import sqlalchemy as sa

from advice.models import Action, Advice, AdviceStatus
from core.db import db
from core.models import User
from core.permissions import signed_in

from .models import ActionAttachment


def can_read_shared(user: User | None, attachment) -> bool:
    """An organisation's contact reads a case file the chair shared with one of its actions
    (an issued version's; the access rule ``casefiles.attachments`` asks)."""
    orgs = user.organisation_ids(attachment.case.team_id) if signed_in(user) else set()
    if not orgs:
        return False
    return db.session.scalar(
        sa.select(ActionAttachment.action_id)
        .join(Action, Action.id == ActionAttachment.action_id)
        .join(Advice, Advice.id == Action.advice_id)
        .where(ActionAttachment.attachment_id == attachment.id, Action.organisation_id.in_(orgs),
               Advice.status != AdviceStatus.DRAFT)
        .limit(1)
    ) is not None
