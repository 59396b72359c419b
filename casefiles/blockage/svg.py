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
from flask import render_template
from flask_babel import gettext as _

from core.text import xml_safe

from .models import NeedStatus

BOX_W = 240
GAP_X, GAP_Y = 36, 64
MARGIN = 16
LEGEND_H = 30
#: Text sizes in px (set on each text element, so the page's font size cannot clip them) and the
#: characters per line that fit the box at that size (bold titles run wider).
TITLE_PX, TEXT_PX, LINE_H, PAD = 13, 12, 16, 8
TITLE_CHARS, TEXT_CHARS = 27, 32


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


def _wrap(text: str, width: int) -> list[str]:
    """Every word of ``text`` on lines of at most ``width`` characters (a longer word is broken):
    the box grows to hold them, so nothing is cut off."""
    return textwrap.wrap(xml_safe(text), width, break_long_words=True) or [""]


def _box_texts(need, analysis) -> dict:
    """The lines of one box: its title, its status and its marks, each wrapped to the box."""
    status = need.status.label
    if need.status != NeedStatus.SOLVED:
        status += " · " + _("frees %(n)d", n=analysis.freed[need.id])
    marks = []
    if need.id == analysis.biggest:
        marks.append(_("Biggest blockage"))
    if need.id in analysis.in_circle:
        marks.append(_("in a circle"))
    if need.status == NeedStatus.SOLVED:
        marks.append("✓")
    return {
        "lines": _wrap(need.title, TITLE_CHARS),
        "status_lines": _wrap(status, TEXT_CHARS),
        "mark_lines": _wrap(" · ".join(marks), TEXT_CHARS) if marks else [],
    }


def drawing(bmap, *, id_prefix: str = "bm") -> dict:
    """Geometry and texts of the SVG of a ``casefiles.blockage.services.BlockageMap``; the template
    ``casefiles/blockage/_map_svg.html`` draws it (Jinja escapes every text). Each box is as tall as its
    text; a row is as tall as its tallest box."""
    needs = bmap.needs
    graph = nx.DiGraph()
    graph.add_nodes_from(n.id for n in needs)
    graph.add_edges_from((link.need_id, link.waits_for_id) for link in bmap.links)
    order = {n.id: i for i, n in enumerate(needs)}
    pos = layout(graph, order)
    analysis = bmap.analysis
    texts = {need.id: _box_texts(need, analysis) for need in needs}

    def box_h(nid: int) -> int:
        t = texts[nid]
        return PAD * 2 + LINE_H * (len(t["lines"]) + len(t["status_lines"]) + len(t["mark_lines"]))

    cols = 1 + max((c for c, _r in pos.values()), default=0)
    rows = 1 + max((r for _c, r in pos.values()), default=0)
    row_h = [max((box_h(n) for n, (_c, r) in pos.items() if r == row), default=0) for row in range(rows)]
    row_y = [MARGIN + LEGEND_H + sum(row_h[:row]) + row * GAP_Y for row in range(rows)]
    width = MARGIN * 2 + cols * BOX_W + (cols - 1) * GAP_X
    height = MARGIN * 2 + LEGEND_H + sum(row_h) + (rows - 1) * GAP_Y

    def box_xy(nid: int) -> tuple[int, int]:
        c, r = pos[nid]
        return MARGIN + c * (BOX_W + GAP_X), row_y[r]

    arrows = []
    for link in bmap.links:
        a, b = link.need_id, link.waits_for_id
        (ax, ay), (bx, by) = box_xy(a), box_xy(b)
        circle = a in analysis.in_circle and b in analysis.in_circle
        if pos[a][1] == pos[b][1]:  # same row: a curve above (or below) the boxes
            x1, x2 = ax + BOX_W // 2, bx + BOX_W // 2
            y = ay
            lift = 18 + 6 * abs(pos[a][0] - pos[b][0])
            if x1 < x2:
                x1, x2 = x1 + 12, x2 - 12
            else:
                x1, x2, y = x1 - 12, x2 + 12, ay + row_h[pos[a][1]]
                lift = -lift
            d = f"M {x1} {y} Q {(x1 + x2) // 2} {y - lift} {x2} {y}"
        else:
            up = pos[a][1] > pos[b][1]
            d = f"M {ax + BOX_W // 2} {ay + (0 if up else box_h(a))} L {bx + BOX_W // 2} {by + (box_h(b) if up else 0)}"
        arrows.append({"d": d, "circle": circle,
                       "title": xml_safe(f"{link.need.title} → {link.waits_for.title}: {link.reason}")})
    boxes = []
    for need in needs:
        x, y = box_xy(need.id)
        t = texts[need.id]
        lines = [(line, "need-title") for line in t["lines"]] + [(line, "need-status") for line in t["status_lines"]] \
            + [(line, "need-mark") for line in t["mark_lines"]]
        boxes.append({
            "x": x, "y": y, "h": box_h(need.id), "status": need.status.value,
            "texts": [{"y": y + PAD + LINE_H * (i + 1) - 4, "text": text, "cls": cls} for i, (text, cls) in enumerate(lines)],
            "biggest": need.id == analysis.biggest,
            "blocked": need.status == NeedStatus.BLOCKED, "solved": need.status == NeedStatus.SOLVED,
        })
    return {"id": id_prefix, "width": width, "height": height, "box_w": BOX_W, "margin": MARGIN,
            "title_px": TITLE_PX, "text_px": TEXT_PX, "arrows": arrows, "boxes": boxes,
            "title": xml_safe(_("Blockage map of case %(reference)s", reference=bmap.case.reference)),
            "desc": xml_safe(_describe(bmap))}


def render(bmap, *, id_prefix: str = "bm") -> str:
    """The SVG as text (escaped by the template)."""
    return render_template("casefiles/blockage/_map_svg.html", svg=drawing(bmap, id_prefix=id_prefix))


def _describe(bmap) -> str:
    parts = [_("%(n)d needs.", n=len(bmap.needs))]
    big = bmap.biggest
    if big is not None:
        parts.append(_("Biggest blockage: %(title)s (solving it frees %(n)d).", title=big.title,
                       n=bmap.analysis.freed[big.id]))
    for members, _breaker in bmap.circles():
        parts.append(_("Vicious circle: %(path)s.", path=" → ".join(m.title for m in members + members[:1])))
    return " ".join(parts)
