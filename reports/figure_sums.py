"""The sums a reader can check in the pilot figures, and so the cells to leave out with the
small-count rule (``reports.suppression.protect``) wherever they leave the team: the dashboard as
the municipality sees it, the council's report and its PDF, and the CSV/ODS tables.

A cell is named by a key the pages use too:
- ``("flow", kind)``: the flow counts; ``("lead", "intake")``: the intake lead times counted;
- ``("outcome", outcome)`` and ``("outcome", outcome, evaluation)``: the outcomes table;
- ``("domain", combination)``: the domain combinations;
- ``("ft", organisation id or None for all, field)``: the follow-through table;
- ``("ladder", organisation name or None for all, level)``: escalations per level.

The sums: a case with intake is accepted or declined; the cases closed are the outcomes' rows,
each row its evaluation columns; the cases submitted are the domain combinations; per organisation
its actions are open, overdue, refused, done on time, done late or dropped, and every column of
the follow-through and the ladder adds up to its "All organisations" row. Where a sum holds only
roughly (a case without a domain, an undated done action), treating it as exact leaves out more,
never less.
"""
from __future__ import annotations

from advice.closure.models import ClosureOutcome

from .figures import FLOW_KINDS, EVALUATION_KEYS, Figures
from .ladder_figures import LEVELS
from .suppression import Line, protect

#: The follow-through counts a page or table shows, and those that make up an organisation's actions.
FT_FIELDS = ("total", "confirmed", "open", "overdue", "refused", "done_on_time", "done_late", "dropped")
FT_PARTS = ("open", "overdue", "refused", "done_on_time", "done_late", "dropped")


def hidden(fig: Figures) -> frozenset:
    """The keys of the figures' cells to leave out outside the team."""
    counts: dict = {("flow", k): fig.flow.counts[k] for k in FLOW_KINDS}
    counts["lead", "intake"] = fig.lead_times["intake"].count
    lines: list[Line] = [(("lead", "intake"), [("flow", "accepted"), ("flow", "declined")])]
    for o in ClosureOutcome:
        counts["outcome", o.value] = fig.outcomes.total(o.value)
        counts.update({("outcome", o.value, k): fig.outcomes.table[o.value][k] for k in EVALUATION_KEYS})
        lines.append((("outcome", o.value), [("outcome", o.value, k) for k in EVALUATION_KEYS]))
    lines.append((("flow", "closed"), [("outcome", o.value) for o in ClosureOutcome]))
    counts.update({("domain", combo): n for combo, n in fig.domains})
    lines.append((("flow", "submitted"), [("domain", combo) for combo, _n in fig.domains]))
    _follow_through(fig, counts, lines)
    _ladder(fig, counts, lines)
    return protect(counts, lines)


def _follow_through(fig: Figures, counts: dict, lines: list[Line]) -> None:
    orgs = [o.organisation_id for o in fig.follow_through]
    for o in (*fig.follow_through, fig.follow_through_total):
        counts.update({("ft", o.organisation_id, f): getattr(o, f) for f in FT_FIELDS})
        lines.append((("ft", o.organisation_id, "total"), [("ft", o.organisation_id, f) for f in FT_PARTS]))
    lines.extend((("ft", None, f), [("ft", org, f) for org in orgs]) for f in FT_FIELDS)


def _ladder(fig: Figures, counts: dict, lines: list[Line]) -> None:
    lf = fig.ladder
    if lf is None:
        return
    for org, per_level in lf.per_organisation:
        counts.update({("ladder", org, level): per_level[level] for level in LEVELS})
    counts.update({("ladder", None, level): lf.totals[level] for level in LEVELS})
    lines.extend((("ladder", None, level), [("ladder", org, level) for org, _c in lf.per_organisation])
                 for level in LEVELS)
