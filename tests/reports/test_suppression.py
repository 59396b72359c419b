"""Complementary suppression (``reports.suppression.protect``): after it, no sum a table shows
pins down a hidden cell. Checked by hand on the cases that matter, and by brute force: every
table of a few small counts, with each hidden cell tried at every value a reader thinks possible."""
from __future__ import annotations

import itertools
import random

from reports.suppression import among, mark, protect


def test_a_single_small_count_takes_a_second_cell_with_it():
    # 9 = 6 + 3: the 3 alone would be 9 − 6.
    assert protect({"t": 9, "a": 6, "b": 3}, [("t", ["a", "b"])]) == {"a", "b"}
    # Without a shown total nothing more is needed.
    assert protect({"a": 6, "b": 3}) == {"b"}
    # Two small counts protect each other (6 = 2 + 4: either could be 1 to 4)...
    assert protect({"t": 16, "a": 10, "b": 2, "c": 4}, [("t", ["a", "b", "c"])]) == {"b", "c"}
    # ...unless their sum pins them: 1 + 1 = 2 (each is at least 1), so a third cell goes too.
    assert protect({"t": 12, "a": 10, "b": 1, "c": 1}, [("t", ["a", "b", "c"])]) == {"a", "b", "c"}


def test_the_complement_is_one_that_does_protect():
    # 1 beside a 5: the reader knows a left-out count is 5 or more, so 1 + 5 = 6 gives the 1
    # back; the 9 is taken instead (1 + 9 = 10: the small one is 1 to 4, the other 6 to 9).
    assert protect({"t": 15, "a": 1, "b": 5, "c": 9}, [("t", ["a", "b", "c"])]) == {"a", "c"}


def test_a_total_can_be_the_complement_and_zeros_are_never_hidden():
    # 6 = 5 + 1 + 0: hiding the 5 is not enough (5 + 1 = 6), hiding the total is.
    assert protect({"t": 6, "a": 5, "b": 1, "c": 0}, [("t", ["a", "b", "c"])]) == {"b", "t"}


def test_amounts_follow_their_count_and_a_zero_amount_protects_nothing():
    counts = {"n_s": 6, "n_p": 2, "n_x": 3}
    amounts = {"e_s": 15_000, "e_p": 2_000, "e_x": 0, "due": 17_000}
    together = [("n_s", "e_s"), ("n_p", "e_p"), ("n_x", "e_x")]
    line = [("due", ["e_s", "e_p", "e_x"])]
    # The 2 and 3 are hidden with their amounts; the amount due minus the shown 15.000 would
    # leave the 2.000 alone (the 3's amount is zero), so the successes' row goes too.
    hidden = protect(counts, line, amounts=amounts, together=together, keep=["due"])
    assert hidden == {"n_s", "e_s", "n_p", "e_p", "n_x", "e_x"}
    # When nothing else carries money the kept total says what it says: nothing more to hide.
    assert protect({"n_p": 2}, [("due", ["e_p"])], amounts={"e_p": 2_000, "due": 2_000},
                   together=[("n_p", "e_p")], keep=["due"]) == {"n_p", "e_p"}


def test_marks():
    assert [mark(n) for n in (1, 4, 5, 60)] == ["< 5", "< 5", "—", "—"]
    assert [among(6, 3), among(0, 4), among(6, 5), among(3, 5)] == ["—", "—", "6", "< 5"]


def _possible(value: int, hidden: bool, most: int) -> range:
    """What a reader thinks a cell may be: its value when shown, else "< 5" or "—"."""
    if not hidden or value == 0:
        return range(value, value + 1)
    return range(1, 5) if value < 5 else range(5, most + 1)


def _given_away(cells: dict, hidden: frozenset, total: str, parts: list[str]) -> list[str]:
    """The hidden cells that take one value in every filling of the table consistent with the
    shown total and the marks (brute force)."""
    most = cells[total] + 5
    options = {k: _possible(v, k in hidden, most) for k, v in cells.items()}
    seen = {k: set() for k in cells}
    keys = list(cells)
    for values in itertools.product(*(options[k] for k in keys)):
        filled = dict(zip(keys, values))
        if sum(filled[p] for p in parts) == filled[total]:
            for k in keys:
                seen[k].add(filled[k])
    return [k for k in hidden if cells[k] and len(seen[k]) < 2]


def test_no_line_gives_a_hidden_cell_away_brute_force():
    rng = random.Random(26)
    checked = 0
    for _ in range(400):
        parts = {f"p{i}": rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9]) for i in range(rng.randint(2, 4))}
        total = sum(parts.values())
        cells = {"t": total, **parts}
        hidden = protect(cells, [("t", list(parts))])
        assert not any(0 < v < 5 for k, v in cells.items() if k not in hidden), (cells, hidden)
        away = _given_away(cells, hidden, "t", list(parts))
        # Only when every non-zero cell is hidden may the table still pin one down (a total of
        # 1 to 4 parts, all of them 1): there is nothing left to hide.
        if away:
            assert all(k in hidden for k, v in cells.items() if v), (cells, hidden, away)
        checked += bool(hidden)
    assert checked > 200


def test_a_table_with_row_and_column_totals_gives_nothing_away_line_by_line():
    """Rows and columns with their totals (as the follow-through table): after ``protect`` no
    row and no column, each on its own, pins a hidden cell down."""
    rng = random.Random(17)
    for _ in range(60):
        grid = {(r, c): rng.choice([0, 1, 2, 3, 6, 8]) for r in range(3) for c in range(3)}
        cells = dict(grid)
        cells.update({(r, "t"): sum(grid[r, c] for c in range(3)) for r in range(3)})
        cells.update({("t", c): sum(grid[r, c] for r in range(3)) for c in range(3)})
        lines = [((r, "t"), [(r, c) for c in range(3)]) for r in range(3)]
        lines += [(("t", c), [(r, c) for r in range(3)]) for c in range(3)]
        hidden = protect(cells, lines)
        for total, parts in lines:
            line = {k: cells[k] for k in (total, *parts)}
            away = _given_away(line, hidden & set(line), total, parts)
            assert not away or all(k in hidden for k, v in line.items() if v), (cells, hidden, total)
