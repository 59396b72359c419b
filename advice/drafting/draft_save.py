"""Saving the whole draft advice in one step: what the one-form draft page posts.

One transaction through the same services as each part on its own (``advice.drafting.services``,
``advice.drafting.ties``), so every rule, audit row and check is theirs: the texts (with the draft's lock
version, so a save based on an older version is refused and changes nothing), the legal grounds
cited, cost lines and actions removed and added, and the ties to the blockage map. Any refusal
raises before the caller commits, so a save changes everything or nothing. Removing something
that is already gone (someone else removed it) is not an error."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from advice.models import Advice
from advice.plan import services as plan
from core.models import User

from . import ties
from .services import (
    TEXT_FIELDS,
    add_action,
    add_cost_line,
    add_legal_ground,
    remove_action,
    remove_cost_line,
    remove_legal_ground,
    update_draft,
)


def save_draft(advice: Advice, actor: User, *, expected_version: int, texts: dict[str, str],
               ground_ids: Iterable[int], remove_cost_ids: Iterable[int], new_costs: Iterable[dict[str, Any]],
               remove_action_ids: Iterable[int], new_actions: Iterable[dict[str, Any]],
               need_ids: Iterable[int] | None = None, action_needs: dict[int, int | None] | None = None,
               plan_fields: dict[str, Any] | None = None) -> Advice:
    """Apply the whole draft page. ``new_costs``: dicts with side, intervention (0 = by hand),
    name, unit_cost, unit, source, quantity; ``new_actions``: dicts with organisation,
    description, deadline and need (0 = none). ``need_ids``/``action_needs`` (None when the case
    has no blockage map): the needs the advice breaks and the need of each existing action."""
    update_draft(advice, actor, expected_version=expected_version, **{f: texts.get(f, "") for f in TEXT_FIELDS})

    wanted = set(ground_ids)
    for ground in list(advice.legal_grounds):
        if ground.legal_reference_id not in wanted:
            remove_legal_ground(advice, actor, ground.id)
    cited = {g.legal_reference_id for g in advice.legal_grounds}
    for reference_id in sorted(wanted - cited):
        add_legal_ground(advice, actor, reference_id)

    present = {c.id for c in advice.cost_lines}
    for line_id in sorted(set(remove_cost_ids) & present):
        remove_cost_line(advice, actor, line_id)
    for row in new_costs:
        add_cost_line(advice, actor, side=row["side"], quantity=row["quantity"],
                      intervention_id=row.get("intervention") or None, name=row.get("name") or "",
                      unit_cost=row.get("unit_cost") or None, unit=row.get("unit") or "",
                      source=row.get("source") or "", deviation_reason=row.get("deviation_reason") or "")

    present = {a.id for a in advice.actions}
    removed = set(remove_action_ids) & present
    for action_id in sorted(removed):
        remove_action(advice, actor, action_id)
    added: dict[int, int | None] = {}
    for row in new_actions:
        action = add_action(advice, actor, organisation_id=row["organisation"], description=row["description"],
                            deadline=row["deadline"])
        added[action.id] = row.get("need") or None

    if need_ids is not None:
        kept = {k: v for k, v in (action_needs or {}).items() if k in present - removed}
        ties.tie_needs(advice, actor, need_ids=need_ids, action_needs={**kept, **added})
    if plan_fields is not None:  # the coordinated approach: coordinator, goals, progress check
        plan.save_plan(advice, actor, **plan_fields)
    return advice
