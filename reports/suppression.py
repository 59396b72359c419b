"""Complementary suppression: the small-count rule (``reports.figures.suppress``) hides a count of
1 to 4, but a table that also shows the total of a row or column would give it back by
subtraction. ``protect`` finds the cells to leave out so that no sum a table shows pins down a
hidden cell, for every output that leaves the team (pilot figures, the financier's statement).

The model: cells are counts (households, actions, lessons) or amounts (cents), each with its
value; a *line* says that a total equals the sum of its parts, as the reader can check (a row and
its total, the per-state amounts and the amount due). A hidden count is known to the reader only
as "1 to 4" (shown "< 5") or, when left out to protect another cell, as "5 or more" (shown
"—"); a hidden amount only as "not zero" (a zero amount is taken as known: the price may tell
it). A line *gives away* a hidden cell when, with every other part of the line at its bounds,
only one value is left for it. Then the smallest shown cell of that line that stops it is left
out too (with the cells it is tied to, such as a row's count and its amount), repeated until no
line gives anything away, or until nothing in the line can be left out (``keep``: an amount due
that must be shown; what is left then is what that total says by itself).

Each line is checked on its own (the usual complementary suppression of statistical offices);
a reader combining several lines at once is not modelled.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence

from .figures import SUPPRESS_BELOW, enough, suppress

#: A total and the parts it is the sum of.
Line = tuple[Hashable, Sequence[Hashable]]

#: How a count left out to protect another one is shown (a count of 1 to 4 stays "< 5").
LEFT_OUT = "—"


def mark(n: int) -> str:
    """The text of a hidden count: "< 5" for 1 to 4, else "—" (left out to protect another)."""
    return "< 5" if 0 < n < SUPPRESS_BELOW else LEFT_OUT


def among(count: int, cases: int) -> str:
    """A count of things among ``cases`` (the lessons of a cause, the advice that deviates): left
    out ("—") when the cases are 1 to 4, as any sum over fewer than 5 cases is; else the
    small-count rule."""
    return suppress(count) if enough(cases) else LEFT_OUT


def protect(counts: Mapping[Hashable, int], lines: Iterable[Line] = (), *,
            amounts: Mapping[Hashable, int] | None = None, together: Iterable[Iterable[Hashable]] = (),
            keep: Iterable[Hashable] = ()) -> frozenset:
    """The keys to leave out: every count of 1 to 4, the cells tied to it (``together``), and
    the complements no sum in ``lines`` may give away. ``amounts`` are cells in cents (never
    hidden for themselves, only with their count or as a complement); ``keep`` are cells that
    are always shown (they are never chosen as a complement)."""
    cells = _Cells(counts, amounts or {}, together, keep)
    for key, n in counts.items():
        if 0 < n < SUPPRESS_BELOW:
            cells.hide(key)
    todo = [(total, tuple(parts)) for total, parts in lines]
    touching: dict[Hashable, list[int]] = {}
    for i, (total, parts) in enumerate(todo):
        for key in (total, *parts):
            touching.setdefault(key, []).append(i)
    pending = set(range(len(todo)))
    while pending:
        i = min(pending)
        pending.discard(i)
        if not cells.gives_away(todo[i]):
            continue
        choice = cells.complement(todo[i])
        if choice is not None:  # else nothing is left to hide: the total says what it says
            for key in cells.hide(choice):
                pending.update(touching.get(key, ()))
    return frozenset(cells.hidden)


class _Cells:
    """The values, the hidden set and the bounds a reader knows of each cell."""

    def __init__(self, counts, amounts, together, keep):
        self.value = {**counts, **amounts}
        self.amounts = set(amounts)
        self.keep = set(keep)
        self.tied: dict[Hashable, set] = {}
        for group in together:
            members = set(group)
            for key in members:
                self.tied.setdefault(key, {key}).update(members)
        self.hidden: set = set()

    def hide(self, key) -> set:
        """Hide the cell and those tied to it; the ones newly hidden."""
        new = self.tied.get(key, {key}) - self.hidden
        self.hidden |= new
        return new

    def bounds(self, key, hidden=None) -> tuple[float, float]:
        """What a reader knows of the cell: its value when shown, else a range."""
        v = self.value[key]
        if key not in (self.hidden if hidden is None else hidden) or v == 0:
            return v, v
        if key in self.amounts:
            return -math.inf, math.inf
        return (1, SUPPRESS_BELOW - 1) if v < SUPPRESS_BELOW else (SUPPRESS_BELOW, math.inf)

    def gives_away(self, line: Line, hidden=None) -> bool:
        """Whether the line leaves a single value for one of its hidden, non-zero cells."""
        hidden = self.hidden if hidden is None else hidden
        total, parts = line
        if not any(k in hidden and self.value[k] for k in (total, *parts)):
            return False
        b = {k: self.bounds(k, hidden) for k in (total, *parts)}
        low, high = _Sum(b[k][0] for k in parts), _Sum(b[k][1] for k in parts)
        for key in (total, *parts):
            if key not in hidden or not self.value[key]:
                continue
            if key == total:
                lo, hi = low.value(), high.value()
            else:  # the total minus every other part, at their bounds
                lo = b[total][0] - high.without(b[key][1])
                hi = b[total][1] - low.without(b[key][0])
            lo, hi = max(lo, b[key][0]), min(hi, b[key][1])
            if lo == hi:
                return True
        return False

    def complement(self, line: Line):
        """The shown cell of the line to leave out: the smallest that stops the line giving a
        cell away, else the smallest (the next round takes another); None when none is left."""
        total, parts = line
        candidates = sorted((k for k in (*parts, total) if k not in self.hidden and k not in self.keep
                             and self.value[k] and not (self.tied.get(k, set()) & self.keep)),
                            key=lambda k: abs(self.value[k]))
        for key in candidates:
            if not self.gives_away(line, self.hidden | self.tied.get(key, {key})):
                return key
        return candidates[0] if candidates else None


class _Sum:
    """A sum of bounds, some infinite, from which one term can be taken out again."""

    def __init__(self, terms):
        self.finite, self.infinite = 0, []
        for t in terms:
            if math.isinf(t):
                self.infinite.append(t)
            else:
                self.finite += t

    def value(self) -> float:
        return self.infinite[0] if self.infinite else self.finite

    def without(self, term: float) -> float:
        if math.isinf(term):
            return self.infinite[0] if len(self.infinite) > 1 else self.finite
        return self.infinite[0] if self.infinite else self.finite - term
