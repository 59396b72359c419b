"""Analysis of a case's blockage map with networkx: circles, and which need frees the most.

The graph has one node per need and an edge ``N -> M`` for every "N waits for M" link.

*Freed by solving X* (the number shown on the map) is the number of unsolved needs that wait for
X directly or further along the arrows: ``nx.ancestors(G, X)`` in the graph of unsolved needs.
This is the simple, defensible count the team uses ("how many needs hang on this one"); it does
not claim that each of them becomes solvable at once, since a need may also wait for something
else. Solved needs block nothing and are left out of the counts.

*Circles* (vicious circles) are the simple cycles of the graph of unsolved needs. Enumerating
every simple cycle can explode on large dense graphs, so the enumeration is bounded: cycles up to
``CYCLE_LENGTH_BOUND`` needs long, and at most ``CYCLE_LIMIT`` of them (``truncated`` says when
the bound was hit). Every need that lies on some circle is still marked: strongly connected
components are computed exactly, whatever the bound.

*The biggest blockage* is the unsolved need that frees the most; ties go to the need that waits
for fewest others itself (easiest to break), then to the title. For each circle, the member
that frees the most (same tie-breaks) is where to break it.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from .models import NeedStatus

#: Longest circle enumerated, and the most circles listed (see the module docstring).
CYCLE_LENGTH_BOUND = 12
CYCLE_LIMIT = 50


@dataclass(frozen=True)
class NodeInfo:
    """What the analysis needs of a need: id, title, solved or not."""

    id: int
    title: str
    solved: bool = False


@dataclass
class Circle:
    members: list[int]
    """Need ids in the order of the arrows, starting at the smallest title."""
    breaker: int
    """The member whose solution frees the most."""


@dataclass
class Analysis:
    freed: dict[int, int]
    """Need id -> number of unsolved needs freed by solving it (0 for solved needs)."""
    freed_sets: dict[int, frozenset[int]]
    circles: list[Circle]
    in_circle: frozenset[int]
    """Unsolved needs that lie on some circle (exact, from strongly connected components)."""
    biggest: int | None
    """The biggest blockage (None when every need is solved or there are none)."""
    free_now: list[int]
    """Unsolved needs that wait for no unsolved need: they can be acted on now."""
    truncated: bool = False
    """The circle enumeration hit its bound; more circles may exist."""
    waits_for: dict[int, list[int]] = field(default_factory=dict)


def build_graph(nodes: Iterable[NodeInfo], links: Iterable[tuple[int, int]]) -> nx.DiGraph:
    """The graph of all needs; ``links`` are (need, waits_for) pairs."""
    graph = nx.DiGraph()
    for node in nodes:
        graph.add_node(node.id, title=node.title, solved=node.solved)
    for need, waits_for in links:
        if need in graph and waits_for in graph and need != waits_for:
            graph.add_edge(need, waits_for)
    return graph


def _key(graph: nx.DiGraph, freed: dict[int, int], unsolved: nx.DiGraph):
    """Sort key for 'frees the most': most freed, fewest own waits-for, title, id."""
    return lambda n: (-freed[n], unsolved.out_degree(n), graph.nodes[n]["title"].casefold(), n)


def analyse(nodes: Iterable[NodeInfo], links: Iterable[tuple[int, int]]) -> Analysis:
    graph = build_graph(nodes, links)
    unsolved = graph.subgraph(n for n, solved in graph.nodes(data="solved") if not solved).copy()
    freed_sets = {n: frozenset(nx.ancestors(unsolved, n)) for n in unsolved}
    freed = {n: len(freed_sets.get(n, ())) for n in graph}
    for n in graph:
        freed_sets.setdefault(n, frozenset())
    key = _key(graph, freed, unsolved)

    in_circle = frozenset(
        itertools.chain.from_iterable(c for c in nx.strongly_connected_components(unsolved) if len(c) > 1)
    )
    circles: list[Circle] = []
    truncated = False
    if in_circle:
        found = nx.simple_cycles(unsolved.subgraph(in_circle), length_bound=CYCLE_LENGTH_BOUND)
        raw = list(itertools.islice(found, CYCLE_LIMIT + 1))
        truncated = len(raw) > CYCLE_LIMIT
        for cycle in raw[:CYCLE_LIMIT]:
            start = min(range(len(cycle)), key=lambda i: (graph.nodes[cycle[i]]["title"].casefold(), cycle[i]))
            members = cycle[start:] + cycle[:start]
            circles.append(Circle(members=members, breaker=min(members, key=key)))
        circles.sort(key=lambda c: (len(c.members), [graph.nodes[m]["title"].casefold() for m in c.members]))
        # A tangle bigger than the length bound may hold longer circles that were not listed.
        truncated = truncated or any(
            len(c) > CYCLE_LENGTH_BOUND for c in nx.strongly_connected_components(unsolved)
        )
    biggest = min(unsolved.nodes, key=key) if len(unsolved) else None
    free_now = sorted((n for n in unsolved if unsolved.out_degree(n) == 0), key=key)
    return Analysis(
        freed=freed, freed_sets=freed_sets, circles=circles, in_circle=in_circle, biggest=biggest,
        free_now=free_now, truncated=truncated,
        waits_for={n: sorted(graph.successors(n)) for n in graph},
    )


def analyse_needs(needs, links) -> Analysis:
    """Analyse ORM objects: ``needs`` (casefiles.blockage.models.Need) and ``links`` (NeedLink)."""
    return analyse(
        [NodeInfo(n.id, n.title, n.status == NeedStatus.SOLVED) for n in needs],
        [(link.need_id, link.waits_for_id) for link in links],
    )
