"""The graph analysis: circles, what solving a need frees, the biggest blockage."""
from __future__ import annotations

import random

import pytest

from casefiles.blockage import analysis as blockage
from casefiles.blockage.analysis import NodeInfo, analyse


def _nodes(*titles, solved=()):
    return [NodeInfo(i + 1, t, (i + 1) in solved) for i, t in enumerate(titles)]


def test_seed_example_circle_and_biggest_blockage():
    # 1 urgency, 2 debt arrangement, 3 fixed address, 4 children stay with their mother
    nodes = _nodes("Rental urgency", "Debt arrangement", "Fixed address", "Children stay with their mother")
    a = analyse(nodes, [(1, 2), (2, 3), (3, 1), (4, 1)])
    assert a.freed == {1: 3, 2: 3, 3: 3, 4: 0}
    assert a.freed_sets[1] == {2, 3, 4}
    assert len(a.circles) == 1
    # In arrow order, starting at the first title alphabetically.
    assert a.circles[0].members == [2, 3, 1]
    # Ties of 3: each waits for one need; then by title: "Debt arrangement".
    assert a.circles[0].breaker == 2
    assert a.biggest == 2
    assert a.in_circle == {1, 2, 3}
    assert a.free_now == []
    assert not a.truncated


def test_solving_a_circle_member_frees_the_rest():
    nodes = _nodes("Rental urgency", "Debt arrangement", "Fixed address", "Children stay with their mother", solved={2})
    a = analyse(nodes, [(1, 2), (2, 3), (3, 1), (4, 1)])
    assert a.circles == []
    assert a.freed[2] == 0  # solved needs block nothing
    # Left: fixed address and the children wait for urgency; nobody waits for the fixed address.
    assert a.freed == {1: 2, 2: 0, 3: 0, 4: 0}
    assert a.biggest == 1
    assert a.free_now == [1]  # urgency waits only for the solved debt arrangement


def test_two_circles():
    # Circle A: 1 -> 2 -> 1 ; circle B: 3 -> 4 -> 5 -> 3 ; 6 waits for 1 and 3 ; 2 waits for 3 too.
    nodes = _nodes("a1", "a2", "b3", "b4", "b5", "c6")
    links = [(1, 2), (2, 1), (3, 4), (4, 5), (5, 3), (6, 1), (6, 3), (2, 3)]
    a = analyse(nodes, links)
    assert [c.members for c in a.circles] == [[1, 2], [3, 4, 5]]
    # b-circle members are waited for by the other circle too: 3 <- {5,4,2,1,6}
    assert a.freed[3] == 5 and a.freed[4] == 5 and a.freed[5] == 5
    assert a.freed[1] == 2 and a.freed[2] == 2  # {2 or 1, 6}
    assert a.circles[0].breaker == 1  # tie 2-2: 1 waits for one need, 2 for two
    assert a.circles[1].breaker == 3  # ties: every member waits for one; title b3 first
    assert a.biggest == 3
    assert a.in_circle == {1, 2, 3, 4, 5}


def test_chain_without_circle():
    nodes = _nodes("d", "c", "b", "a")
    a = analyse(nodes, [(1, 2), (2, 3), (3, 4)])
    assert a.circles == [] and a.in_circle == frozenset()
    assert a.freed == {1: 0, 2: 1, 3: 2, 4: 3}
    assert a.biggest == 4
    assert a.free_now == [4]


def test_no_needs():
    a = analyse([], [])
    assert a.biggest is None and a.circles == [] and a.freed == {}


def _brute_force_freed(n: int, links: list[tuple[int, int]], solved: set[int]) -> dict[int, int]:
    """For each node X: how many unsolved nodes have a path (through unsolved nodes) to X."""
    succ = {i: [] for i in range(1, n + 1)}
    for a, b in links:
        if a not in solved and b not in solved:
            succ[a].append(b)
    out = {}
    for x in range(1, n + 1):
        if x in solved:
            out[x] = 0
            continue
        count = 0
        for start in range(1, n + 1):
            if start == x or start in solved:
                continue
            seen, stack = {start}, [start]
            while stack:
                node = stack.pop()
                if node == x:
                    count += 1
                    break
                for nxt in succ[node]:
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
        out[x] = count
    return out


def _brute_force_in_cycle(n, links, solved):
    reach = _reach(n, links, solved)
    return {x for x in range(1, n + 1) if x not in solved and any(x in reach[y] and y in reach[x] for y in range(1, n + 1) if y != x)}


def _reach(n, links, solved):
    succ = {i: [b for a, b in links if a == i and b not in solved] for i in range(1, n + 1)}
    out = {}
    for s in range(1, n + 1):
        seen, stack = set(), [s]
        while stack:
            for nxt in succ[stack.pop()]:
                if nxt not in seen and nxt not in solved:
                    seen.add(nxt)
                    stack.append(nxt)
        out[s] = seen
    return out


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_match_brute_force(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 12)
    links = sorted({(a, b) for a in range(1, n + 1) for b in range(1, n + 1) if a != b and rng.random() < 0.18})
    solved = {i for i in range(1, n + 1) if rng.random() < 0.15}
    nodes = [NodeInfo(i, f"need {i:02d}", i in solved) for i in range(1, n + 1)]
    a = analyse(nodes, links)
    expected = _brute_force_freed(n, links, solved)
    assert a.freed == expected
    assert set(a.in_circle) == _brute_force_in_cycle(n, links, solved)
    unsolved = [i for i in range(1, n + 1) if i not in solved]
    if unsolved:
        best = max(expected[i] for i in unsolved)
        assert expected[a.biggest] == best
    for circle in a.circles:
        for x, y in zip(circle.members, circle.members[1:] + circle.members[:1]):
            assert (x, y) in links
        assert expected[circle.breaker] == max(expected[m] for m in circle.members)


def test_cycle_enumeration_is_bounded(monkeypatch):
    monkeypatch.setattr(blockage, "CYCLE_LIMIT", 5)
    n = 8  # a complete graph of 8 has thousands of simple cycles
    links = [(a, b) for a in range(1, n + 1) for b in range(1, n + 1) if a != b]
    a = analyse([NodeInfo(i, str(i)) for i in range(1, n + 1)], links)
    assert len(a.circles) == 5 and a.truncated
    assert a.in_circle == set(range(1, n + 1))  # exact, whatever the bound
