"""Value-weighted paths between two seeds: how (and how much of) A's money reached B.

Why a forward trace rather than a plain graph search: a BFS over addresses finds connections
that carry no money (a change output reused years later); tracing A's value forward under the
chosen policy (haircut by default) with B's addresses as targets yields only flows that move A's
funds, with the value that arrived. Each reported path is the *widest* one into a target output:
the chain of outputs whose smallest carried value (the bottleneck) is largest. Ties break on node
names, so the answer is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ledgerhound.trace.engine import trace
from ledgerhound.trace.graph import FlowGraph
from ledgerhound.trace.labels import DEFAULT_STOP_AT, Labels
from ledgerhound.trace.result import Reason, TraceResult, concat, rows
from ledgerhound.trace.seeds import resolve_seeds


def find_paths(
    graph: FlowGraph,
    source: Iterable[str | int],
    target: Iterable[str | int],
    labels: Labels | None = None,
    *,
    hops: int = 6,
    policy: str = "haircut",
    max_degree: int | None = None,
    stop_at: tuple[str, ...] = DEFAULT_STOP_AT,
    min_value: int = 0,
    max_paths: int = 10,
    fingerprint: str | None = None,
) -> dict[str, Any]:
    """Flows from ``source`` seeds into ``target`` seeds' addresses within ``hops`` transactions."""
    labels = labels or Labels(address_count=len(graph.addresses))
    source, target = list(source), list(target)
    outs = resolve_seeds(graph, target, labels.clusters)
    mask = np.zeros(len(graph.addresses) + 1, dtype=bool)
    addr = graph.out_addr[outs]
    mask[addr[addr >= 0]] = True
    result = trace(
        graph,
        source,
        labels,
        fingerprint=fingerprint,
        targets=mask,
        hops=hops,
        policy=policy,
        max_degree=max_degree,
        stop_at=tuple(stop_at),
        min_value=min_value,
    )
    paths = _widest_paths(result)
    doc = result.to_dict(with_edges=False)
    arrived = [e for e in doc["endpoints"] if e["stop_reason"] == Reason.TARGET.label]
    return {
        "method": "paths/1 (widest path over a forward trace)",
        "policy_note": doc["policy_note"],
        "parameters": {**doc["parameters"], "max_paths": max_paths},
        "source": [str(s) for s in source],
        "target": [str(t) for t in target],
        "data_fingerprint": fingerprint,
        "connected": bool(arrived),
        "value_reaching_target": sum(e["value"] for e in arrived),
        "source_value": doc["totals"]["seed_value"],
        "arrivals": arrived,
        "paths": paths[:max_paths],
    }


def _widest_paths(result: TraceResult) -> list[dict[str, Any]]:
    """Widest path into every target output, widest first."""
    out, _, reason, _, _, _ = result.trail.endpoint_arrays()
    widest = Widest.of(result)
    rows = [widest.path(o) for o in sorted(set(out[reason == Reason.TARGET].tolist()))]
    rows.sort(key=lambda r: (-r["value"], r["hops"], r["steps"]))
    return rows


class Widest:
    """Widest (max-bottleneck) path from the seeds to any output a trace reached.

    ``edges_in`` = (output, tx, value) arrays of value entering transactions, ``edges_out`` =
    (tx, target, value) of value leaving them, both in the walk's direction.
    """

    def __init__(
        self, graph, name: Callable[[int], str], forward: bool, edges_in, edges_out, seeds: set[int]
    ) -> None:
        self.g, self.name, self.forward, self.seeds = graph, name, forward, seeds
        self.inflow: dict[int, tuple[int, int]] = {}  # output -> (tx, value into it)
        for t, o, v in rows(*edges_out):
            if o >= 0:
                self.inflow[o] = (t, self.inflow.get(o, (t, 0))[1] + v)
        self.parents: dict[int, dict[int, int]] = {}  # tx -> parent output -> value
        for o, t, v in rows(*edges_in):
            row = self.parents.setdefault(t, {})
            row[o] = row.get(o, 0) + v
        self.memo: dict[int, tuple[int, int | None]] = {}

    @classmethod
    def of(cls, result: TraceResult) -> Widest:
        trail = result.trail
        e_in = [concat([e[i] for e in trail.edges_in]) for i in range(3)]
        e_out = [concat([e[i] for e in trail.edges_out]) for i in range(3)]
        return cls(
            result.graph,
            result.node,
            result.params["direction"] == "forward",
            e_in,
            e_out,
            set(result.seed_outputs.tolist()),
        )

    def width(self, o: int) -> tuple[int, int | None]:
        """(bottleneck value of the widest path ending at output o, best parent output)."""
        if o in self.memo:
            return self.memo[o]
        if o in self.seeds or o not in self.inflow:
            self.memo[o] = (int(self.g.out_value[o]), None)
            return self.memo[o]
        t, arrived = self.inflow[o]
        best: tuple[int, str, int | None] = (0, "", None)
        for p, v in sorted(self.parents.get(t, {}).items()):
            w = min(v, self.width(p)[0])
            name = self.name(p)
            if w > best[0] or (w == best[0] and best[2] is not None and name < best[1]):
                best = (w, name, p)
        self.memo[o] = (min(arrived, best[0]), best[2])
        return self.memo[o]

    def path(self, o: int) -> dict[str, Any]:
        """Steps (node, tx:..., node, ...) in the direction money moved, and the bottleneck."""
        bottleneck, _ = self.width(o)
        steps: list[str] = []
        node: int | None = o
        while node is not None:
            steps.append(self.name(node))
            parent = self.memo[node][1]
            if parent is not None:
                steps.append(f"tx:{self.g.txid(int(self.inflow[node][0]))}")
            node = parent
        if self.forward:
            steps.reverse()
        return {
            "value": bottleneck,
            "hops": (len(steps) - 1) // 2,
            "steps": steps,
            "endpoint_output": self.g.outpoint(o),
        }
