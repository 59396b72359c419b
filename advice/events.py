"""The advice package's webhook events (registered by ``advice.init_app``) and the one-line
helpers its services call; events carry ids only, the API gives the details."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webhooks.events import emit, emit_many

ADVICE_EVENTS = {
    "action.assigned": _l("Action assigned"),
    "action.changed": _l("Action changed (confirmed, done, refused, decided by the team)"),
    "action.overdue": _l("Action overdue"),
    "advice.corrected": _l("Advice corrected"),
}


def action_event(key: str, action) -> None:
    emit(key, action.organisation_id, f"actions/{action.id}", {"action": action.id})


def overdue_events(rows) -> None:
    """For the overdue job's claimed rows (id, organisation_id): one set-based write."""
    emit_many(("action.overdue", r.organisation_id, f"actions/{r.id}", {"action": r.id}) for r in rows)


def correction_events(advice, previous) -> None:
    """Every organisation with an action in the old or the new version: its actions have new
    ids (``previousActionId`` links them), whether or not their text changed."""
    for org_id in sorted({a.organisation_id for a in advice.actions} | {a.organisation_id for a in previous.actions}):
        emit("advice.corrected", org_id, "actions", {
            "advice": advice.id, "version": advice.version, "supersedes": previous.id,
            "actions": sorted(a.id for a in advice.actions if a.organisation_id == org_id)})
