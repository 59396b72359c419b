"""The blockage map drawn on the server as SVG (no script, no inline style: CSP-safe).

Layout, deterministic: the graph of all needs is condensed (``nx.condensation``: every circle
becomes one node), and each condensed node gets a row by its longest path to a need that waits
for nothing: needs that wait for nothing are on the top row, needs waiting for them below, and so
on; the members of a circle share a row, side by side, joined by curved arrows. Arrows point from
a need to what it waits for.

Readable without colour: every box names its status in words; blocked needs have a dashed
border, the biggest blockage a thick border and the words "Biggest blockage"; members of a
circle say so. All text is escaped.
"""
from __future__ import annotations

import textwrap

import networkx as nx
from flask_babel import gettext as _
from markupsafe import Markup, escape

from .needs import NeedStatus

BOX_W, BOX_H = 210, 74
GAP_X, GAP_Y = 36, 64
MARGIN = 16
LINE_CHARS = 30


def layout(graph: nx.DiGraph, order: dict[int, int]) -> dict[int, tuple[int, int]]:
    """(column, row) per need. ``order`` gives each need's position on the list."""
    if not len(graph):
        return {}
    cond = nx.condensation(graph)
    rank: dict[int, int] = {}
    for c in reversed(list(nx.topological_sort(cond))):
        rank[c] = 1 + max((rank[s] for s in cond.successors(c)), default=-1)
    rows: dict[int, list[int]] = {}
    for c in sorted(cond.nodes, key=lambda c: min(order[n] for n in cond.nodes[c]["members"])):
        rows.setdefault(rank[c], []).extend(sorted(cond.nodes[c]["members"], key=lambda n: order[n]))
    return {n: (col, row) for row, needs in rows.items() for col, n in enumerate(needs)}


def _wrap(title: str) -> list[str]:
    lines = textwrap.wrap(title, LINE_CHARS) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), LINE_CHARS, placeholder="…")]
    return lines


def render(bmap, *, id_prefix: str = "bm") -> Markup:
    """The SVG of a ``needs_services.BlockageMap``."""
    needs = bmap.needs
    graph = nx.DiGraph()
    graph.add_nodes_from(n.id for n in needs)
    graph.add_edges_from((link.need_id, link.waits_for_id) for link in bmap.links)
    order = {n.id: i for i, n in enumerate(needs)}
    pos = layout(graph, order)
    cols = 1 + max((c for c, _r in pos.values()), default=0)
    rows = 1 + max((r for _c, r in pos.values()), default=0)
    width = MARGIN * 2 + cols * BOX_W + (cols - 1) * GAP_X
    height = MARGIN * 2 + rows * BOX_H + (rows - 1) * GAP_Y + 30

    def box_xy(nid: int) -> tuple[int, int]:
        c, r = pos[nid]
        return MARGIN + c * (BOX_W + GAP_X), MARGIN + 30 + r * (BOX_H + GAP_Y)

    analysis = bmap.analysis
    biggest = analysis.biggest
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="blockage-map" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">{escape(_("Blockage map of case %(reference)s", reference=bmap.case.reference))}</title>',
        f'<desc id="{desc_id}">{escape(_describe(bmap))}</desc>',
        f'<defs><marker id="{id_prefix}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        f'markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="currentColor"/></marker></defs>',
    ]
    # Arrows first, boxes on top.
    for link in bmap.links:
        a, b = link.need_id, link.waits_for_id
        (ax, ay), (bx, by) = box_xy(a), box_xy(b)
        circle = a in analysis.in_circle and b in analysis.in_circle
        cls = "need-arrow in-circle" if circle else "need-arrow"
        dash = ' stroke-dasharray="2 3"' if circle else ""
        if pos[a][1] == pos[b][1]:  # same row: a curve above the boxes
            x1, x2 = ax + BOX_W // 2, bx + BOX_W // 2
            y = ay
            lift = 18 + 6 * abs(pos[a][0] - pos[b][0])
            if x1 < x2:
                x1, x2 = x1 + 12, x2 - 12
            else:
                x1, x2, y = x1 - 12, x2 + 12, ay + BOX_H
                lift = -lift
            d = f"M {x1} {y} Q {(x1 + x2) // 2} {y - lift} {x2} {y}"
        else:
            x1, y1 = ax + BOX_W // 2, ay + (0 if pos[a][1] > pos[b][1] else BOX_H)
            x2, y2 = bx + BOX_W // 2, by + (BOX_H if pos[a][1] > pos[b][1] else 0)
            d = f"M {x1} {y1} L {x2} {y2}"
        out.append(
            f'<path class="{cls}" d="{d}" fill="none" stroke="currentColor" stroke-width="1.5"{dash} '
            f'marker-end="url(#{id_prefix}-arrow)"><title>{escape(link.need.title)} → {escape(link.waits_for.title)}: '
            f'{escape(link.reason)}</title></path>'
        )
    for need in needs:
        x, y = box_xy(need.id)
        classes = ["need-box", f"status-{need.status.value}"]
        attrs = ""
        if need.status == NeedStatus.BLOCKED:
            attrs += ' stroke-dasharray="6 4"'
        if need.id == biggest:
            classes.append("is-biggest")
            attrs += ' stroke-width="4"'
        else:
            attrs += ' stroke-width="1.5"'
        fill = "#f4f4f4" if need.status == NeedStatus.SOLVED else "#ffffff"
        out.append(f'<g class="{" ".join(classes)}">')
        out.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" stroke="currentColor"{attrs}/>')
        for i, line in enumerate(_wrap(need.title)):
            out.append(f'<text x="{x + 8}" y="{y + 18 + i * 16}" class="need-title" font-weight="bold">{escape(line)}</text>')
        status = need.status.label
        if need.status != NeedStatus.SOLVED:
            status += " · " + _("frees %(n)d", n=analysis.freed[need.id])
        out.append(f'<text x="{x + 8}" y="{y + 52}" class="need-status">{escape(status)}</text>')
        marks = []
        if need.id == biggest:
            marks.append(_("Biggest blockage"))
        if need.id in analysis.in_circle:
            marks.append(_("in a circle"))
        if need.status == NeedStatus.SOLVED:
            marks.append("✓")
        if marks:
            out.append(f'<text x="{x + 8}" y="{y + 68}" class="need-mark" font-style="italic">{escape(" · ".join(marks))}</text>')
        out.append("</g>")
    out.append(f'<text x="{MARGIN}" y="{MARGIN + 8}" class="map-legend">'
               f'{escape(_("Arrows point from a need to what it waits for. Dashed border: blocked."))}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))


def _describe(bmap) -> str:
    parts = [_("%(n)d needs.", n=len(bmap.needs))]
    big = bmap.biggest
    if big is not None:
        parts.append(_("Biggest blockage: %(title)s (solving it frees %(n)d).", title=big.title,
                       n=bmap.analysis.freed[big.id]))
    for members, _breaker in bmap.circles():
        parts.append(_("Vicious circle: %(path)s.", path=" → ".join(m.title for m in members + members[:1])))
    return " ".join(parts)
