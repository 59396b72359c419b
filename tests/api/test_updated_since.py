"""``GET /api/v1/actions?updatedSince=``: an action is listed when one of its own moments or one
of its advice's (issued, corrected) is at or after the moment, and only for its organisation's
client. The advice's moments are asked in a subquery (api.resources._changed_since)."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from advice.models import Action
from api.resources import iso
from core.db import db


def _listed(api, moment, token=None) -> set[int]:
    response = api.call("GET", "/actions?" + urlencode({"updatedSince": iso(moment), "limit": 100}), token=token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["id"] for item in response.get_json()["items"]}


def test_updated_since_lists_actions_changed_by_their_own_or_their_advices_moments(api):
    action = db.session.get(Action, api.action.id)
    issued = action.advice.issued_at
    # As after a correction that left this action unchanged: assigned before its advice was issued.
    action.assigned_at = issued - timedelta(days=1)
    db.session.commit()
    assert api.action.id in _listed(api, issued)  # the advice's issue, at the moment itself
    later = issued + timedelta(minutes=5)
    assert api.action.id not in _listed(api, later)

    # One of the action's own moments after it (the overdue notice of the timed job).
    action.overdue_notified_at = later + timedelta(minutes=1)
    db.session.commit()
    assert api.action.id in _listed(api, later)
    assert api.action.id not in _listed(api, later, token=api.token2)  # never in another organisation's list
    action.overdue_notified_at = None
    db.session.commit()
    assert api.action.id not in _listed(api, later)

    # Only the advice changed after it: corrected (superseded).
    action.advice.superseded_at = later + timedelta(minutes=2)
    db.session.commit()
    assert api.action.id in _listed(api, later)
    assert api.action.id not in _listed(api, later + timedelta(minutes=3))
