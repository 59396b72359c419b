"""Services of the blockage map: needs and their "waits for" links. (Their ties to the advice
live in ``advice.drafting.ties``, which plugs into ``need_in_use`` and calls ``solve_by_action``.)

Like every service: check who may do it and from which state, change objects, flush, write the
audit record; the caller (view, job) owns the commit. Audit rows name ids and statuses, never the
needs' texts (they are case content).

Who may read and change the map: ``casefiles.blockage.permissions``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _

from casefiles.models import Case
from core import audit
from core.clock import utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Organisation, User
from core.people import committed_first
from core.privacy import ANONYMISED, clear
from core.registry import add, registry

from .analysis import Analysis, analyse_needs
from .models import TEXT_MAX, TITLE_MAX, Need, NeedLink, NeedStatus
from .permissions import MAP_FROZEN, can_edit_map

#: Most needs on one map (a map is a thinking tool, not a database).
NEEDS_MAX = 100

#: Checks whether something above this package still refers to a need (``need_in_use``).
_REFERENCES_KEY = "casefiles.blockage.need_references"


def register_need_reference(app: Flask, check: Callable[[Need], bool]) -> None:
    """Let a package above (advice: a need named in an advice or tied to one of its actions)
    say that a need is in use, so the map does not remove it."""
    add(_REFERENCES_KEY, app, f"{check.__module__}.{check.__qualname__}", check, "need reference")


def need_in_use(need: Need) -> bool:
    return any(check(need) for check in registry(_REFERENCES_KEY).values())


def _require_edit(case: Case, actor: User) -> None:
    if not can_edit_map(actor, case):
        if case.status in MAP_FROZEN:
            raise ServiceError(_("The blockage map of case %(reference)s can no longer be changed.",
                                 reference=case.reference))
        raise PermissionDenied(_("Only the case owner, the chair or the secretary can change the blockage map."))


def _audit(action: str, need: Need, actor: User | None, case: Case, details: dict[str, Any] | None = None) -> None:
    audit.record(action, object_type="need", object_id=need.id, actor=actor, team_id=case.team_id,
                 details={"case": case.id, **(details or {})})


# --- reading ----------------------------------------------------------------------------------

def decider_choices(team_id: int) -> list[tuple[int, str]]:
    """Who can decide on a need: (id, name) of every active organisation, the team's committed
    ones first (``core.people.committed_first``), as bare columns: the
    list runs to hundreds at national scale and only feeds a select box."""
    return [(row.id, row.name) for row in db.session.execute(
        sa.select(Organisation.id, Organisation.name).where(Organisation.active.is_(True))
        .order_by(*committed_first(team_id))
    )]


def needs_of(case: Case) -> list[Need]:
    return list(db.session.scalars(
        sa.select(Need).where(Need.case_id == case.id).order_by(Need.position, Need.id)
        .options(sa.orm.joinedload(Need.decided_by))
    ))


def links_of(case: Case) -> list[NeedLink]:
    return list(db.session.scalars(
        sa.select(NeedLink).join(Need, Need.id == NeedLink.need_id).where(Need.case_id == case.id)
        .order_by(NeedLink.id)
    ))


def _needs_and_links(case: Case) -> tuple[list[Need], list[NeedLink]]:
    """The case's needs (with who decides) and their arrows, in one statement however many
    needs: each need joined with the arrows leaving it."""
    rows = db.session.execute(
        sa.select(Need, NeedLink).outerjoin(NeedLink, NeedLink.need_id == Need.id)
        .where(Need.case_id == case.id)
        .order_by(Need.position, Need.id, NeedLink.id)
        .options(sa.orm.joinedload(Need.decided_by))
    ).all()
    needs = list({need.id: need for need, _link in rows}.values())
    links = sorted((link for _need, link in rows if link is not None), key=lambda link: link.id)
    return needs, links


class BlockageMap:
    """A case's needs, links and their analysis, ready for the templates."""

    def __init__(self, case: Case):
        self.case = case
        self.needs, self.links = _needs_and_links(case)
        self.by_id = {n.id: n for n in self.needs}
        self.analysis: Analysis = analyse_needs(self.needs, self.links)
        self.reasons = {(link.need_id, link.waits_for_id): link.reason for link in self.links}

    def __bool__(self) -> bool:
        return bool(self.needs)

    @property
    def biggest(self) -> Need | None:
        return self.by_id.get(self.analysis.biggest) if self.analysis.biggest is not None else None

    def freed(self, need: Need) -> int:
        return self.analysis.freed[need.id]

    def links_from(self, need: Need) -> list[NeedLink]:
        """The need's "waits for" arrows (loaded with the map: no statement per need)."""
        return [link for link in self.links if link.need_id == need.id]

    def waits_for(self, need: Need) -> list[tuple[Need, str]]:
        return [(self.by_id[m], self.reasons[(need.id, m)]) for m in self.analysis.waits_for[need.id]]

    def circles(self) -> list[tuple[list[Need], Need]]:
        return [([self.by_id[m] for m in c.members], self.by_id[c.breaker]) for c in self.analysis.circles]

    @property
    def free_now(self) -> list[Need]:
        return [self.by_id[n] for n in self.analysis.free_now]

    def in_circle(self, need: Need) -> bool:
        return need.id in self.analysis.in_circle


def blockage_map(case: Case) -> BlockageMap:
    return BlockageMap(case)


# --- changing the map -------------------------------------------------------------------------

def _clean(value: str | None, limit: int, message: str, *, required: bool = False) -> str:
    value = (value or "").strip().replace("\r\n", "\n")
    if required and not value:
        raise ServiceError(message)
    if len(value) > limit:
        raise ServiceError(_("The text is too long (at most %(max)d characters).", max=limit))
    return value


def _organisation(organisation_id: int | None) -> int | None:
    if not organisation_id:
        return None
    org = db.session.get(Organisation, organisation_id)
    if org is None or not org.active:
        raise ServiceError(_("Unknown organisation."))
    return org.id


def add_need(case: Case, actor: User, *, title: str, decided_by_id: int | None = None, rule: str = "",
             status: NeedStatus | str = NeedStatus.BLOCKED) -> Need:
    _require_edit(case, actor)
    title = _clean(title, TITLE_MAX, _("Say what must happen."), required=True)
    rule = _clean(rule, TEXT_MAX, "")
    status = NeedStatus(status)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Need).where(Need.case_id == case.id))
    if count >= NEEDS_MAX:
        raise ServiceError(_("A blockage map holds at most %(max)d needs.", max=NEEDS_MAX))
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Need.position), 0)).where(Need.case_id == case.id))
    need = Need(case_id=case.id, title=title, decided_by_id=_organisation(decided_by_id), rule=rule, status=status,
                position=position + 1, created_by_id=actor.id)
    if status == NeedStatus.SOLVED:
        need.solved_at = utcnow()
    db.session.add(need)
    db.session.flush()
    _audit("need.add", need, actor, case, {"status": status.value})
    return need


def update_need(need: Need, actor: User, *, title: str, decided_by_id: int | None, rule: str,
                status: NeedStatus | str) -> list[Need]:
    """Change a need; returns the needs freed when it became solved (see ``set_status``)."""
    case = db.session.get(Case, need.case_id)
    _require_edit(case, actor)
    need.title = _clean(title, TITLE_MAX, _("Say what must happen."), required=True)
    need.rule = _clean(rule, TEXT_MAX, "")
    need.decided_by_id = _organisation(decided_by_id)
    db.session.flush()
    _audit("need.update", need, actor, case)
    return _set_status(need, actor, case, NeedStatus(status))


def set_status(need: Need, actor: User, status: NeedStatus | str) -> list[Need]:
    case = db.session.get(Case, need.case_id)
    _require_edit(case, actor)
    return _set_status(need, actor, case, NeedStatus(status))


def _set_status(need: Need, actor: User | None, case: Case, status: NeedStatus, *,
                action_id: int | None = None, now: datetime | None = None) -> list[Need]:
    """Change the status. When a need becomes solved, every blocked need that now waits for no
    unsolved need becomes open ("free now"); those are returned and named in the audit row."""
    if need.status == status:
        return []
    previous = need.status
    need.status = status
    freed: list[Need] = []
    if status == NeedStatus.SOLVED:
        need.solved_at = now or utcnow()
        need.solved_by_action_id = action_id
        db.session.flush()
        freed = _free_waiting(need)
    else:
        need.solved_at = None
        need.solved_by_action_id = None
    db.session.flush()
    _audit("need.status", need, actor, case, {"from": previous.value, "to": status.value, "action": action_id,
                                               "freed": [n.id for n in freed]})
    return freed


def _free_waiting(solved: Need) -> list[Need]:
    freed = []
    for link in solved.waited_on_links:
        waiting = link.need
        if waiting.status != NeedStatus.BLOCKED:
            continue
        if all(other.waits_for.status == NeedStatus.SOLVED for other in waiting.waits_for_links):
            waiting.status = NeedStatus.OPEN
            freed.append(waiting)
    return freed


def remove_need(need: Need, actor: User) -> None:
    case = db.session.get(Case, need.case_id)
    _require_edit(case, actor)
    if need_in_use(need):
        raise ServiceError(_("This need is named in an advice; it cannot be removed."))
    _audit("need.remove", need, actor, case)
    db.session.delete(need)
    db.session.flush()


def link_needs(need: Need, waits_for: Need, actor: User, *, reason: str) -> NeedLink:
    """``need`` waits for ``waits_for``, with the reason. Circles are allowed (that is the point)."""
    case = db.session.get(Case, need.case_id)
    _require_edit(case, actor)
    if waits_for.case_id != need.case_id:
        raise ServiceError(_("A need can only wait for a need of the same case."))
    if waits_for.id == need.id:
        raise ServiceError(_("A need cannot wait for itself."))
    reason = _clean(reason, TEXT_MAX, _("Say why it waits."), required=True)
    exists = db.session.scalar(sa.select(sa.exists().where(NeedLink.need_id == need.id,
                                                           NeedLink.waits_for_id == waits_for.id)))
    if exists:
        raise ServiceError(_("This need already waits for that one."))
    link = NeedLink(need=need, waits_for=waits_for, reason=reason, created_by_id=actor.id)
    db.session.add(link)
    db.session.flush()
    _audit("need.link", need, actor, case, {"waits_for": waits_for.id, "link": link.id})
    return link


def unlink(link: NeedLink, actor: User) -> None:
    need = link.need
    case = db.session.get(Case, need.case_id)
    _require_edit(case, actor)
    _audit("need.unlink", need, actor, case, {"waits_for": link.waits_for_id, "link": link.id})
    need.waits_for_links.remove(link)
    db.session.delete(link)
    db.session.flush()


def solve_by_action(need_id: int, action_id: int, actor: User | None, now: datetime | None = None) -> list[Need]:
    """An advice action tied to this need was done: the need is solved by that action (the
    action's own step checked who may do it). Returns the needs freed by it."""
    need = db.session.get(Need, need_id)
    if need is None or need.status == NeedStatus.SOLVED:
        return []
    case = db.session.get(Case, need.case_id)
    return _set_status(need, actor, case, NeedStatus.SOLVED, action_id=action_id, now=now)


def anonymise_map(case_ids: Sequence[int]) -> list[str]:
    """Retention of a batch of cases: clear the texts of their maps (two statements for the
    batch; the structure stays for evaluation: how many needs, circles, what solved them). Safe
    to run twice."""
    need_ids = sa.select(Need.id).where(Need.case_id.in_(case_ids))
    return clear({
        "needs": sa.update(Need).where(Need.case_id.in_(case_ids), sa.or_(Need.title != ANONYMISED, Need.rule != ""))
        .values(title=ANONYMISED, rule=""),
        "need_links": sa.update(NeedLink).where(NeedLink.need_id.in_(need_ids), NeedLink.reason != ANONYMISED)
        .values(reason=ANONYMISED),
    })
