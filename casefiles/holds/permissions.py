"""Who may put a case on hold, ask organisations to signal, and report a client seen (views,
services and templates ask here)."""
from __future__ import annotations

from casefiles import permissions as case_permissions
from casefiles.models import FINAL_STATUSES, Case
from core.clock import team_today
from core.models import User
from core.people import committed_organisation_ids
from core.permissions import is_lead, is_owner, signed_in

from .models import ContactSignalRequest
from .queries import active_hold

#: Case states in which a case can no longer be put on hold.
FINISHED = FINAL_STATUSES


def can_hold(user: User | None, case: Case) -> bool:
    """Put on hold or resume: the owner, or the chair or secretary of the team."""
    if case.status in FINISHED or not case_permissions.can_view(user, case):
        return False
    return is_owner(user, case) or is_lead(user, case.team_id)


def can_request_signals(user: User | None, case: Case) -> bool:
    """'Lost contact': the owner of a case on hold."""
    return case.status not in FINISHED and is_owner(user, case) and active_hold(case) is not None


def is_signal_contact(user: User | None, request: ContactSignalRequest) -> bool:
    """A contact of the request's organisation in the case's team, while the organisation's
    commitment to the team holds."""
    if not signed_in(user):
        return False
    case = request.case
    if request.organisation_id not in user.organisation_ids(case.team_id):
        return False
    return request.organisation_id in committed_organisation_ids(case.team, team_today(case.team))


def can_see_request(user: User | None, request: ContactSignalRequest) -> bool:
    return request.active and is_signal_contact(user, request)
