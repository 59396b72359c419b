"""The ties between an advice and the case's blockage map: the needs a draft advice names as
the ones it breaks, the need each action solves, their place in the advice's canonical content
(and so its hash), and solving a need when its action is done.

Part of the draft: refused once the advice is issued; a correction copies them.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from advice import permissions
from advice.models import Action, Advice, AdviceNeed, AdviceStatus
from casefiles.blockage import services as blockage
from casefiles.blockage.models import Need
from core import audit
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import User


def tie_needs(advice: Advice, actor: User, *, need_ids: Iterable[int], action_needs: dict[int, int | None]) -> None:
    """Name the needs a draft advice breaks, and tie its actions to needs. Part of the draft:
    refused once the advice is issued (and covered by its content hash)."""
    if advice.status != AdviceStatus.DRAFT:
        raise ServiceError(_("An issued advice cannot be changed; start a correction."))
    if not permissions.can_edit(actor, advice):
        raise PermissionDenied(_("Only the chair or secretary can edit the draft advice."))
    valid = {n.id for n in blockage.needs_of(advice.case)}
    wanted = set(need_ids)
    if not wanted <= valid or not {v for v in action_needs.values() if v} <= valid:
        raise ServiceError(_("Unknown need."))
    actions = {a.id: a for a in advice.actions}
    if not set(action_needs) <= set(actions):
        raise ServiceError(_("That action is not part of this advice."))
    current = set(db.session.scalars(sa.select(AdviceNeed.need_id).where(AdviceNeed.advice_id == advice.id)))
    for need_id in current - wanted:
        db.session.execute(sa.delete(AdviceNeed).where(AdviceNeed.advice_id == advice.id, AdviceNeed.need_id == need_id))
    for need_id in sorted(wanted - current):
        db.session.add(AdviceNeed(advice_id=advice.id, need_id=need_id))
    for action_id, need_id in action_needs.items():
        actions[action_id].need_id = need_id or None
    db.session.flush()
    audit.record("advice.tie_needs", object_type="advice", object_id=advice.id, actor=actor,
                 team_id=advice.case.team_id,
                 details={"needs": sorted(wanted), "actions": {str(k): v for k, v in sorted(action_needs.items())}})


def broken_needs(advice: Advice) -> list[Need]:
    return list(db.session.scalars(
        sa.select(Need).join(AdviceNeed, AdviceNeed.need_id == Need.id).where(AdviceNeed.advice_id == advice.id)
        .order_by(Need.position, Need.id)
    ))


def case_needs(advice: Advice) -> list[tuple[Need, bool]]:
    """Every need of the advice's case in the map's order, each with whether this advice names
    it as one it breaks: one statement."""
    rows = db.session.execute(
        sa.select(Need, AdviceNeed.need_id)
        .outerjoin(AdviceNeed, sa.and_(AdviceNeed.need_id == Need.id, AdviceNeed.advice_id == advice.id))
        .where(Need.case_id == advice.case_id)
        .order_by(Need.position, Need.id)
    ).all()
    return [(need, broken is not None) for need, broken in rows]


def needs_on_page(advice: Advice, rows: list[tuple[Need, bool]] | None = None) -> dict[str, Any]:
    """What a page of the advice shows of its case's needs (``case_needs``, or ``rows`` read
    already): the needs it breaks (``broken_needs``) and every need's title (``need_titles``,
    for the actions that solve one)."""
    rows = case_needs(advice) if rows is None else rows
    return {"broken_needs": [need for need, broken in rows if broken],
            "need_titles": {need.id: need.title for need, _broken in rows}}


#: The case's needs the advice page read (advice id -> ``case_needs``), while it checks the hash.
_READ: ContextVar[dict[int, list[tuple[Need, bool]]] | None] = ContextVar("advice_ties_read", default=None)


@contextmanager
def needs_read_once(advice: Advice) -> Iterator[dict[str, Any]]:
    """For the advice page: the case's needs read in one statement, as the page shows them
    (``needs_on_page``); within the block the content hash's ties (``canonical_ties``, e.g.
    through ``issuing.verify_hash``) are taken from the same rows instead of read again."""
    rows = case_needs(advice)
    token = _READ.set({**(_READ.get() or {}), advice.id: rows})
    try:
        yield needs_on_page(advice, rows)
    finally:
        _READ.reset(token)


def canonical_ties(advice: Advice) -> dict[str, Any]:
    """The ties as part of the advice's canonical content (for its hash). Empty when there are
    none, so the hashes of advice issued before the blockage map existed stay valid."""
    out: dict[str, Any] = {}
    read = (_READ.get() or {}).get(advice.id) if advice.id is not None else None
    if read is not None:
        needs = [need for need, broken in read if broken]
        titles = {need.id: need.title for need, _broken in read}
    else:
        needs = broken_needs(advice) if advice.id is not None else []
        titles = {}
    if needs:
        out["breaks_needs"] = sorted(n.title for n in needs)
    tied = [a for a in advice.actions if a.need_id is not None]
    if tied:
        unknown = {a.need_id for a in tied} - set(titles)
        if unknown:
            titles.update((n.id, n.title) for n in db.session.scalars(sa.select(Need).where(Need.id.in_(unknown))))
        out["action_needs"] = sorted(
            [a.organisation_id, a.deadline.isoformat(), a.description, titles.get(a.need_id, "")] for a in tied
        )
    return out


def copy_ties(old: Advice, new: Advice) -> None:
    """A correction copies the ties of the version it corrects (actions by ``previous_action_id``)."""
    by_old = {a.id: a.need_id for a in old.actions}
    for action in new.actions:
        if action.previous_action_id in by_old:
            action.need_id = by_old[action.previous_action_id]
    for need in broken_needs(old):
        db.session.add(AdviceNeed(advice_id=new.id, need_id=need.id))
    db.session.flush()


def solve_need_for_action(action: Action, now: datetime | None = None) -> list[Need]:
    """Called when an advice action is done: the need it is tied to is solved (by that action)."""
    if action.need_id is None:
        return []
    actor = db.session.get(User, action.done_by_id) if action.done_by_id else None
    return blockage.solve_by_action(action.need_id, action.id, actor, now)


def need_is_tied(need: Need) -> bool:
    """Named in an advice, or tied to one of its actions (the map then keeps the need)."""
    return bool(
        db.session.scalar(sa.select(sa.exists().where(Action.need_id == need.id)))
        or db.session.scalar(sa.select(sa.exists().where(AdviceNeed.need_id == need.id)))
    )
