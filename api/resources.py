"""The JSON representations of the API: what an organisation's system may see, exactly the
context the contact's pages show (the case reference and pseudonym, the advice text, this
action; never the intake), and the queries behind the lists (need-to-know in SQL)."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import contains_eager, joinedload

from advice import permissions as advice_permissions
from advice.follow_through.action_lists import contact_clause
from advice.models import Action, Advice, AdviceStatus
from casefiles.holds.models import ContactSignalRequest
from casefiles.holds.permissions import is_signal_contact
from casefiles.models import Case
from core.clock import team_today
from core.db import db
from core.models import User
from core.paging import Page, keyset
from core.routing import MAX_ID


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601; date-times in UTC with their offset."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return value.isoformat()


def _person(user: User | None) -> dict | None:
    return {"name": user.name} if user is not None else None


#: The moments an action changes (its representation's ``updatedAt`` and the list's ``updatedSince``).
def _moments(action: Action) -> list[datetime]:
    return [m for m in (action.assigned_at, action.confirmed_at, action.done_at, action.refused_at,
                        action.decided_at, action.overdue_notified_at, action.escalated_at,
                        action.advice.issued_at, action.advice.superseded_at) if m is not None]


def _changed_since(moment: datetime) -> sa.ColumnElement[bool]:
    """The action changed at or after ``moment`` (one of ``_moments``). The advice's two moments
    are asked of the advice by their own indexes, in an uncorrelated subquery the database runs
    once, so the action rows are filtered on their own columns without reading each one's advice
    (at national size an organisation has thousands of actions; few changed since)."""
    changed_advice = sa.select(Advice.id).where(sa.or_(Advice.issued_at >= moment, Advice.superseded_at >= moment))
    return sa.or_(*(column >= moment for column in (
        Action.assigned_at, Action.confirmed_at, Action.done_at, Action.refused_at, Action.decided_at,
        Action.overdue_notified_at, Action.escalated_at)), Action.advice_id.in_(changed_advice))


def action_summary(action: Action) -> dict[str, Any]:
    """An action in a list: the action and its case's reference and pseudonym."""
    advice, case = action.advice, action.advice.case
    moments = _moments(action)
    return {
        "id": action.id,
        "status": action.status.value,
        "inForce": advice.status == AdviceStatus.ISSUED,
        "overdue": action.is_overdue(team_today(case.team)),
        "organisation": {"id": action.organisation_id, "name": action.organisation.name},
        "case": {"reference": case.reference, "pseudonym": case.household_pseudonym},
        "description": action.description,
        "deadline": iso(action.deadline),
        "effectiveDeadline": iso(action.effective_deadline),
        "assignedAt": iso(action.assigned_at),
        "updatedAt": iso(max(moments)) if moments else None,
        "previousActionId": action.previous_action_id,
        "_links": {"self": {"href": url_for("api.action", action_id=action.id)}},
    }


def action_detail(action: Action) -> dict[str, Any]:
    """One action with the context of the contact's page."""
    advice = action.advice
    out = action_summary(action)
    out.update({
        "advice": {"id": advice.id, "version": advice.version, "text": advice.advice_text,
                   "issuedAt": iso(advice.issued_at)},
        "confirmed": {"at": iso(action.confirmed_at), "by": _person(action.confirmed_by)}
        if action.confirmed_at else None,
        "done": {"at": iso(action.done_at), "on": iso(action.done_on), "by": _person(action.done_by),
                 "note": action.done_note} if action.done_at else None,
        "refused": {"at": iso(action.refused_at), "by": _person(action.refused_by), "reason": action.refused_reason}
        if action.refused_at else None,
        "teamDecision": {"decision": action.team_decision.value, "note": action.team_decision_note,
                         "at": iso(action.decided_at)} if action.team_decision else None,
    })
    links = out["_links"]
    if advice_permissions.can_confirm(action_user(), action):
        links["confirm"] = {"href": url_for("api.confirm", action_id=action.id)}
    if advice_permissions.can_act_on(action_user(), action):
        links["done"] = {"href": url_for("api.done", action_id=action.id)}
        links["refuse"] = {"href": url_for("api.refuse", action_id=action.id)}
    return out


def action_user() -> User:
    from flask import g

    return g.api_client.user


def visible_action(user: User, action_id: int) -> Action | None:
    """The action if this client's account may see it as a contact (else None: a 404)."""
    action = db.session.get(Action, action_id) if action_id <= MAX_ID else None
    if action is None or not advice_permissions.can_view_action(user, action):
        return None
    if not advice_permissions.is_contact_for(user, action):
        return None
    return action


def action_page(user: User, *, status: str | None, updated_since: datetime | None, cursor: str | None,
                size: int) -> Page:
    """The organisation's actions (of issued and corrected advice), oldest first by id: one statement."""
    query = (
        sa.select(Action)
        .join(Advice, Advice.id == Action.advice_id)
        .join(Case, Case.id == Advice.case_id)
        .where(contact_clause(user), Advice.status != AdviceStatus.DRAFT)
        .options(contains_eager(Action.advice).load_only(Advice.id, Advice.case_id, Advice.status, Advice.issued_at,
                                                          Advice.superseded_at),
                 contains_eager(Action.advice, Advice.case).load_only(Case.id, Case.team_id, Case.reference,
                                                                      Case.household_pseudonym),
                 joinedload(Action.advice, Advice.case, Case.team),
                 joinedload(Action.organisation))
    )
    if status:
        query = query.where(Action.status == status)
    if updated_since is not None:
        query = query.where(_changed_since(updated_since))
    return keyset(query, Action.id, Action.id, cursor=cursor, size=size, newest_first=False)


# --- signal requests ----------------------------------------------------------------------------

def signal_request(request: ContactSignalRequest) -> dict[str, Any]:
    """What the contact's signal page shows: reference, pseudonym, whom to call."""
    case = request.case
    out = {
        "id": request.id,
        "active": request.active,
        "case": {"reference": case.reference, "pseudonym": case.household_pseudonym},
        "organisation": {"id": request.organisation_id, "name": request.organisation.name},
        "whomToCall": request.whom_to_call,
        "requestedAt": iso(request.created_at),
        "endedAt": iso(request.ended_at),
        "signals": [{"id": s.id, "seenAt": iso(s.seen_at)} for s in request.signals],
        "_links": {"self": {"href": url_for("api.signal_request", request_id=request.id)}},
    }
    if request.active:
        out["_links"]["seen"] = {"href": url_for("api.seen", request_id=request.id)}
    return out


def visible_signal_request(user: User, request_id: int) -> ContactSignalRequest | None:
    request = db.session.get(ContactSignalRequest, request_id) if request_id <= MAX_ID else None
    if request is None or not is_signal_contact(user, request):
        return None
    return request


def open_signal_requests(user: User) -> list[ContactSignalRequest]:
    """Open requests to the client's organisation: open work, in full, oldest first."""
    from casefiles.holds.services import contact_requests

    return sorted(contact_requests(user), key=lambda r: r.id)

