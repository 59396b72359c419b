"""Who may attach, see, download and remove a case's files (views, services and templates ask
here). The same need-to-know as the case; a higher package may let others read a file through
an access rule registered in its ``init_app`` (advice: an organisation's contacts read the files
the chair shared with one of their actions)."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from casefiles import permissions as case_permissions
from casefiles.models import FINAL_STATUSES, Case
from core.models import User
from core.permissions import is_lead, is_owner, signed_in
from core.registry import add, registry

from .models import CaseAttachment

AccessRule = Callable[[User, CaseAttachment], bool]
_RULES = "casefiles.attachments.access_rules"


def register_access_rule(app: Flask, name: str, rule: AccessRule) -> None:
    add(_RULES, app, name, rule, "attachment access rule")


def can_attach(user: User | None, case: Case) -> bool:
    """The case owner, or the chair or secretary of the team, while the case is not final."""
    if case.status in FINAL_STATUSES or case.anonymised_at is not None or not case_permissions.can_view(user, case):
        return False
    return is_owner(user, case) or is_lead(user, case.team_id)


def can_see_attachments(user: User | None, case: Case) -> bool:
    return case_permissions.can_view(user, case)


def can_download(user: User | None, attachment: CaseAttachment) -> bool:
    """Whoever sees the case; others only through a registered rule (an action it is shared with)."""
    if not signed_in(user):
        return False
    if case_permissions.can_view(user, attachment.case):
        return True
    return any(rule(user, attachment) for rule in registry(_RULES).values())


def can_remove(user: User | None, attachment: CaseAttachment) -> bool:
    """Who uploaded it, or the chair or secretary, while the case is open for attachments."""
    case = attachment.case
    if not can_attach(user, case):
        return False
    return attachment.uploaded_by_id == user.id or is_lead(user, case.team_id)
