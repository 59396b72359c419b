"""Benchmark: analyse and draw a blockage map of 50 needs (prints the times; not a test).

Run: .venv/bin/python scripts/bench_blockage.py
"""
from __future__ import annotations

import random
import time
from types import SimpleNamespace

from casefiles.blockage.analysis import NodeInfo, analyse
from casefiles.blockage.svg import drawing
from expertteam import create_app


def main(n: int = 50, repeat: int = 20) -> None:
    rng = random.Random(7)
    links = sorted({(a, b) for a in range(1, n + 1) for b in range(1, n + 1) if a != b and rng.random() < 0.05})
    nodes = [NodeInfo(i, f"Need number {i}") for i in range(1, n + 1)]
    status = SimpleNamespace(value="blocked", label="Blocked")
    needs = [SimpleNamespace(id=i, title=f"Need number {i}", status=status) for i in range(1, n + 1)]
    by_id = {x.id: x for x in needs}
    link_objs = [SimpleNamespace(need_id=a, waits_for_id=b, need=by_id[a], waits_for=by_id[b], reason="because")
                 for a, b in links]
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench"})
    with app.test_request_context():
        from casefiles.blockage.models import NeedStatus
        for x in needs:
            x.status = NeedStatus.BLOCKED
        t0 = time.perf_counter()
        for _ in range(repeat):
            analysis = analyse(nodes, links)
        t1 = time.perf_counter()
        bmap = SimpleNamespace(needs=needs, links=link_objs, analysis=analysis, by_id=by_id,
                               case=SimpleNamespace(reference="BENCH-2026-0001"),
                               biggest=by_id[analysis.biggest],
                               circles=lambda: [([by_id[m] for m in c.members], by_id[c.breaker]) for c in analysis.circles])
        from flask import render_template
        for _ in range(repeat):
            svg = render_template("casefiles/blockage/_map_svg.html", svg=drawing(bmap))
        t2 = time.perf_counter()
    print(f"{n} needs, {len(links)} links, {len(analysis.circles)} circles listed (truncated={analysis.truncated})")
    print(f"analyse: {(t1 - t0) / repeat * 1000:.1f} ms   draw (SVG, {len(svg)} bytes): {(t2 - t1) / repeat * 1000:.1f} ms")


if __name__ == "__main__":
    main()
