"""The report's flow diagram as inline SVG: donors' sources -> seeds -> cash-out services.

Flows join the seeds as one group: the traces run from all seeds together, so the diagram does
not claim which seed a source funded.

Why service level and three columns: a reader (a prosecutor, a judge) needs where the money came
from and where process can be served, not hundreds of intermediate hops (those are in
flows.graphml). Band widths grow with the logarithm of the amount. All text is escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

WIDTH, ROW, BOX_W, BOX_H = 960, 46, 250, 30
COLUMNS = (10, 355, 700)


def _short(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _node(x: int, y: int, label: str, sub: str, kind: str) -> str:
    return (
        f'<g class="node {kind}"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4"/>'
        f'<text x="{x + 8}" y="{y + 13}" direction="ltr">{escape(_short(label))}</text>'
        f'<text x="{x + 8}" y="{y + 26}" class="sub">{escape(sub)}</text></g>'
    )


def _band(x1: int, y1: int, x2: int, y2: int, sats: int) -> str:
    w = max(1.0, round(math.log10(max(sats, 1)) - 3, 2))
    return (
        f'<path class="flow" d="M{x1},{y1} C{x1 + 60},{y1} {x2 - 60},{y2} {x2},{y2}" '
        f'stroke-width="{w}"><title>{sats} sat</title></path>'
    )


def flow_svg(report: dict[str, Any]) -> str:
    sources = report["donor_sources_by_service"][:12]
    seeds = [s["address"] for s in report["seeds"] if s["in_store"]][:12]
    sinks = report["cash_outs_by_service"][:12]
    rows = max(len(sources), len(seeds), len(sinks), 1)
    height = rows * ROW + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="flow-diagram" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-label="Flow diagram">',
        "<title>Donors' sources, seeds and cash-out services</title>",
        '<text x="10" y="14" class="head">Donors\' sources (backward trace)</text>',
        '<text x="355" y="14" class="head">Seeds</text>',
        '<text x="700" y="14" class="head">Cash-out services (forward trace)</text>',
    ]
    y0 = 24
    mid = {name: y0 + i * ROW + BOX_H // 2 for i, name in enumerate(seeds)}
    gy = y0 + (max(len(seeds), 1) * ROW - (ROW - BOX_H)) // 2  # flows join the seeds as a group
    parts.append(
        f'<rect class="group" x="{COLUMNS[1] - 6}" y="{y0 - 4}" width="{BOX_W + 12}" '
        f'height="{max(len(seeds), 1) * ROW - (ROW - BOX_H) + 8}" rx="6"/>'
    )
    for i, s in enumerate(sources):
        y = y0 + i * ROW
        parts.append(_band(COLUMNS[0] + BOX_W, y + BOX_H // 2, COLUMNS[1] - 6, gy, s["sats"]))
        parts.append(_node(COLUMNS[0], y, s["service"], f"{s['btc']} BTC", "source"))
    for i, s in enumerate(sinks):
        y = y0 + i * ROW
        parts.append(_band(COLUMNS[1] + BOX_W + 6, gy, COLUMNS[2], y + BOX_H // 2, s["sats"]))
        parts.append(_node(COLUMNS[2], y, s["service"], f"{s['btc']} BTC", "sink"))
    for name, y in mid.items():
        parts.append(_node(COLUMNS[1], y - BOX_H // 2, name, "seed address", "seed"))
    parts.append("</svg>")
    return "\n".join(parts)
