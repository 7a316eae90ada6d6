"""Write a trace's flow graph as GraphML (Gephi, yEd, networkx) or CSV edge lists.

Nodes are addresses (or clusters), transactions and sinks (fee, coinbase, outside_data); edges
point the way money moved and carry the value attributed under the trace's policy and the hop
where it first appeared. Output is sorted, so the same trace gives the same bytes.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ledgerhound.errors import InvalidInputError
from ledgerhound.trace.result import TraceResult

FORMATS = ("graphml", "csv")


def _kind(node: str) -> str:
    return node.split(":", 1)[0] if ":" in node else "sink"


def graphml_text(edges: list[dict], graph_id: str, extra: tuple[str, ...] = ()) -> str:
    """GraphML for flow ``edges`` (source, target, value, hop and the string fields ``extra``)."""
    nodes = sorted({e["source"] for e in edges} | {e["target"] for e in edges})
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
        '  <key id="kind" for="node" attr.name="kind" attr.type="string"/>',
        '  <key id="value" for="edge" attr.name="value" attr.type="long"/>',
        '  <key id="hop" for="edge" attr.name="hop" attr.type="int"/>',
        *(f'  <key id="{k}" for="edge" attr.name="{k}" attr.type="string"/>' for k in extra),
        f'  <graph id={quoteattr(graph_id)} edgedefault="directed">',
    ]
    for n in nodes:
        lines.append(
            f'    <node id={quoteattr(n)}><data key="kind">{escape(_kind(n))}</data></node>'
        )
    for i, e in enumerate(edges):
        more = "".join(f'<data key="{k}">{escape(str(e[k]))}</data>' for k in extra)
        lines.append(
            f'    <edge id="e{i}" source={quoteattr(e["source"])} target={quoteattr(e["target"])}>'
            f'<data key="value">{e["value"]}</data><data key="hop">{e["hop"]}</data>{more}</edge>'
        )
    return "\n".join([*lines, "  </graph>", "</graphml>", ""])


def write_graphml(result: TraceResult, path: str | os.PathLike[str]) -> dict[str, int]:
    edges = result.edges()
    _write(path, graphml_text(edges, result.params["policy"]))
    nodes = {e["source"] for e in edges} | {e["target"] for e in edges}
    return {"nodes": len(nodes), "edges": len(edges)}


def write_csv(result: TraceResult, path: str | os.PathLike[str]) -> dict[str, int]:
    """One row per edge: source, target, value (satoshis), hop, source_kind, target_kind."""
    import io

    edges = result.edges()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["source", "target", "value", "hop", "source_kind", "target_kind"])
    for e in edges:
        w.writerow(
            [e["source"], e["target"], e["value"], e["hop"], _kind(e["source"]), _kind(e["target"])]
        )
    _write(path, buf.getvalue())
    return {"edges": len(edges)}


def _write(path: str | os.PathLike[str], text: str) -> None:
    """Write atomically: a failed export never leaves a half-written file behind."""
    target = Path(path)
    tmp = target.with_name(target.name + ".partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInputError(
            f"cannot write {target}: {exc.strerror}", file=str(target)
        ) from None
