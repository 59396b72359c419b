"""The last line of defence for issued advice: a ``before_flush`` hook that refuses any change
to an issued (or superseded) version, its legal grounds, cost lines and the content of its
actions. Services already refuse such changes with a friendly message; this catches any other
code path (a forgotten check, a shell session) before it reaches the database.

Allowed on a locked advice: the move issued -> superseded (status, superseded_at), and the
follow-through fields of its actions (status, dates, escalation, the team's decision).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import LOCKED_STATUSES, Action, Advice, AdviceLegalGround, CostLine

#: Advice columns that may change once issued (superseding it).
ADVICE_MUTABLE_AFTER_ISSUE = frozenset({"status", "superseded_at"})

#: The one sanctioned exception: retention (GDPR storage limitation) clears free text of a
#: closed case's advice after the team's retention period, only these columns, with set-based
#: UPDATE statements that name nothing else (``advice.drafting.privacy.anonymise_advice``; they do not
#: pass through this ORM hook). The stored content hash stays, as proof the advice existed.
RETENTION_FIELDS = {
    "Advice": frozenset({"situation", "blockage", "advice_text", "legal_free_text", "correction_reason"}),
    "Action": frozenset({"description", "done_note", "refused_reason", "team_decision_note"}),
}


class ImmutableAdviceError(RuntimeError):
    """Code tried to change an issued advice version."""


def _was_locked(advice) -> bool:
    hist = sa.inspect(advice).attrs.status.history
    before = hist.deleted[0] if hist.deleted else advice.status
    return before in LOCKED_STATUSES


def _changed_columns(obj) -> set[str]:
    state = sa.inspect(obj)
    return {
        attr.key
        for attr in state.mapper.column_attrs
        if state.attrs[attr.key].history.has_changes()
    }


def _parents(obj) -> list:
    """The advice the part belongs to, and the one it was just taken from (if any)."""
    hist = sa.inspect(obj).attrs.advice.history
    parents = [p for p in (*hist.unchanged, *hist.added, *hist.deleted) if p is not None]
    if not parents and obj.advice_id is not None:
        parent = Session.object_session(obj).get(Advice, obj.advice_id)
        parents = [parent] if parent is not None else []
    return [p for p in parents if not sa.inspect(p).transient]


def check(session: Session) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Advice) and _was_locked(obj):
            if obj in session.deleted:
                raise ImmutableAdviceError(f"issued advice {obj.id} cannot be deleted")
            changed = _changed_columns(obj) - ADVICE_MUTABLE_AFTER_ISSUE
            if changed:
                raise ImmutableAdviceError(f"issued advice {obj.id} cannot change: {sorted(changed)}")
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, (AdviceLegalGround, CostLine, Action)):
            locked = [p for p in _parents(obj) if _was_locked(p)]
            if not locked:
                continue
            advice_id = locked[0].id
            if obj in session.new or obj in session.deleted:
                raise ImmutableAdviceError(f"the parts of issued advice {advice_id} cannot be added or removed")
            if sa.inspect(obj).attrs.advice.history.has_changes():
                raise ImmutableAdviceError(f"the parts of issued advice {advice_id} cannot be moved")
            changed = _changed_columns(obj)
            if isinstance(obj, Action):
                changed &= set(Action.CONTENT_FIELDS)
            if changed:
                raise ImmutableAdviceError(f"the parts of issued advice {advice_id} cannot change: {sorted(changed)}")


def _before_flush(session, flush_context, instances):
    check(session)


def install() -> None:
    """Wire the guard into every ORM session (idempotent; called by ``advice.init_app``)."""
    if not sa.event.contains(Session, "before_flush", _before_flush):
        sa.event.listen(Session, "before_flush", _before_flush)
