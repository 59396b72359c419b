"""Who may read and change a case's blockage map (views, services and templates ask here).

Everyone who may read the case may read its map. The case owner (at intake and until the case
is closed) and the chair or secretary of the team (once the case has been submitted, until it is
closed) may change it.
"""
from __future__ import annotations

from casefiles import permissions as case_permissions
from casefiles.models import FINAL_STATUSES, Case
from core.models import User
from core.permissions import is_lead, is_owner

#: Case states in which the map can no longer change.
MAP_FROZEN = FINAL_STATUSES


def can_view_map(user: User | None, case: Case) -> bool:
    return case_permissions.can_view(user, case)


def can_edit_map(user: User | None, case: Case) -> bool:
    if case.status in MAP_FROZEN or not case_permissions.can_view(user, case):
        return False
    return is_owner(user, case) or is_lead(user, case.team_id)
