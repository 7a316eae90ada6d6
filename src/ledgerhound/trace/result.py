"""The answer of a trace as plain, deterministic dicts: endpoints, flow edges, totals, parameters.

Why a raw trail plus lazy views: the engine appends numpy arrays per hop (cheap); screening reads
those arrays directly, while ``to_dict()`` aggregates to addresses or clusters, sorts every list
by a total order and so gives byte-identical JSON for the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np

from ledgerhound.trace.graph import FEE, OUTSIDE, FlowGraph
from ledgerhound.trace.labels import Labels

METHOD_VERSION = "trace/1"

POLICY_NOTES = {
    "poison": "poison (upper bound): every output of a transaction with a tainted input counts "
    "in full, so values over-state the seed's funds",
    "haircut": "haircut: the tainted share of a transaction's input value flows to each output "
    "(and the fee) in proportion to its value; conserves value up to a reported rounding residue",
    "fifo": "fifo: satoshis leave in Bitcoin input order into outputs in output order, fee last; "
    "tracked as exact satoshi intervals, conserves value exactly",
}


class Reason(IntEnum):
    """Why value stopped being followed (``stop_reason``)."""

    SERVICE = 1  # reached an address with a stop-at category that is a service
    STOP_CATEGORY = 2  # reached another stop-at category
    TARGET = 3  # reached a path-search target
    UNSPENT = 4  # forward: the output is not spent yet
    BELOW_MIN_VALUE = 5  # the tainted value arriving is below min_value
    HOP_LIMIT = 6  # hops exhausted
    MAX_DEGREE = 7  # the address or next transaction has more than max_degree edges
    TIME_WINDOW = 8  # the next transaction lies outside since..until
    COINBASE = 9  # backward: newly mined coins
    OUTSIDE_DATA = 10  # backward: funding output not in the loaded data
    FEE = 11  # forward: paid to the miner

    @property
    def label(self) -> str:
        return self.name.lower()


def rows(*arrays: np.ndarray):
    """Iterate numpy arrays in lockstep as Python ints (fast; lengths must match)."""
    return zip(*(a.tolist() for a in arrays), strict=True)


def concat(parts: list[np.ndarray], dtype=np.int64) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


@dataclass
class Trail:
    """What a walk left behind, as per-hop arrays; the last column of each is the seed group."""

    seed_value: int = 0
    ends: list[tuple[np.ndarray, ...]] = field(default_factory=list)  # out tx reason value hop grp
    edges_in: list[tuple[np.ndarray, ...]] = field(default_factory=list)  # out tx value hop grp
    edges_out: list[tuple[np.ndarray, ...]] = field(default_factory=list)  # tx target value hop grp
    residues: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # amount, grp
    returns: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # amount, grp

    def endpoint(self, out, tx, reason, value, hop: int, grp) -> None:
        """Record stopped value; zero-value outputs (OP_RETURN, dust seeds) carry nothing."""
        live = value > 0
        out, tx, reason, value, grp = out[live], tx[live], reason[live], value[live], grp[live]
        if len(out):
            hops = np.full(len(out), hop)
            self.ends.append((out, tx, reason.astype(np.int64), value, hops, grp))

    def sink(self, tx, target, value, hop: int, direction: str, grp) -> None:
        code = np.where(
            target == OUTSIDE,
            Reason.OUTSIDE_DATA,
            Reason.FEE if direction == "forward" else Reason.COINBASE,
        )
        self.endpoint(np.full(len(tx), -1), tx, code, value, hop, grp)

    def edge_in(self, out, tx, value, hop: int, grp) -> None:
        self.edges_in.append((out, tx, value, np.full(len(out), hop), grp))

    def edge_out(self, tx, target, value, hop: int, grp) -> None:
        self.edges_out.append((tx, target, value, np.full(len(tx), hop), grp))

    def residue(self, amount, grp) -> None:
        self.residues.append((amount, grp))

    def returned(self, amount, grp) -> None:
        self.returns.append((amount, grp))

    @property
    def rounding_residue(self) -> int:
        return int(sum(int(a.sum()) for a, _ in self.residues))

    @property
    def returned_to_seed(self) -> int:
        return int(sum(int(a.sum()) for a, _ in self.returns))

    def per_group(self, which: str, groups: int) -> np.ndarray:
        """int64[groups]: ``residues`` or ``returns`` summed per seed group."""
        out = np.zeros(groups, dtype=np.int64)
        for amount, grp in getattr(self, which):
            np.add.at(out, grp, amount)
        return out

    def endpoint_arrays(self) -> tuple[np.ndarray, ...]:
        """(output or -1, tx, reason, value, hop, group) over all hops."""
        return tuple(concat([e[i] for e in self.ends]) for i in range(6))


def node_name(graph: FlowGraph, labels: Labels, level: str, out: int) -> str:
    """``address:A``, ``cluster:N`` (cluster level) or ``output:txid:vout`` (no address)."""
    a = int(graph.out_addr[out])
    if level == "cluster":
        c = labels.cluster(a)
        if c is not None:
            return f"cluster:{c}"
    return f"address:{graph.address(a)}" if a >= 0 else f"output:{graph.outpoint(out)}"


@dataclass
class TraceResult:
    graph: FlowGraph
    labels: Labels
    params: dict[str, Any]
    fingerprint: str | None
    seeds: list[str]
    seed_outputs: np.ndarray
    trail: Trail

    def node(self, out: int) -> str:
        """Flow-graph node name of an output at the trace's level."""
        return node_name(self.graph, self.labels, self.params["level"], out)

    def endpoints(self) -> list[dict[str, Any]]:
        """Endpoints aggregated per (address or cluster, stop reason), largest value first."""
        out, tx, reason, value, hop, _ = self.trail.endpoint_arrays()
        agg: dict[tuple[str, int], list[Any]] = {}
        for o, r, v, h in rows(out, reason, value, hop):
            if r == Reason.FEE:
                continue
            key = (self.node(o) if o >= 0 else Reason(r).label, r)
            row = agg.setdefault(key, [0, h, set(), o])
            row[0] += v
            row[1] = min(row[1], h)
            if o >= 0:
                row[2].add(o)
        found = [self._endpoint(node, r, *row) for (node, r), row in agg.items()]
        found.sort(key=lambda e: (-e["value"], e["node"], e["stop_reason"]))
        return found

    def _endpoint(self, node: str, r: int, value: int, hop: int, outs: set, o: int) -> dict:
        a = int(self.graph.out_addr[o]) if o >= 0 else -1
        if self.params["level"] == "cluster":
            cats = sorted({c for x in outs for c in self.labels.of(int(self.graph.out_addr[x]))})
        else:
            cats = list(self.labels.of(a))
        return {
            "node": node,
            "address": self.graph.address(a) if node.startswith("address:") else None,
            "cluster_id": self.labels.cluster(a),
            "value": int(value),
            "hops": int(hop),
            "categories": cats,
            "stop_reason": Reason(r).label,
            "outputs": len(outs),
        }

    def edges(self) -> list[dict[str, Any]]:
        """Flow edges in money direction, aggregated per (source, target) node pair."""
        g, backward = self.graph, self.params["direction"] == "backward"
        agg: dict[tuple[str, str], list[int]] = {}

        def add(src: str, dst: str, v: int, h: int) -> None:
            if backward:
                src, dst = dst, src
            row = agg.setdefault((src, dst), [0, h])
            row[0] += v
            row[1] = min(row[1], h)

        for out, tx, value, hop, _ in self.trail.edges_in:
            for o, t, v, h in rows(out, tx, value, hop):
                add(self.node(o), f"tx:{g.txid(t)}", v, h)
        sinks = {FEE: "coinbase" if backward else "fee", OUTSIDE: "outside_data"}
        for tx, target, value, hop, _ in self.trail.edges_out:
            for t, o, v, h in rows(tx, target, value, hop):
                add(f"tx:{g.txid(t)}", self.node(o) if o >= 0 else sinks[o], v, h)
        found = [
            {"source": s, "target": d, "value": int(v), "hop": int(h)}
            for (s, d), (v, h) in agg.items()
        ]
        found.sort(key=lambda e: (e["hop"], e["source"], e["target"]))
        return found

    def totals(self, endpoints: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        endpoints = self.endpoints() if endpoints is None else endpoints
        _, _, reason, value, _, _ = self.trail.endpoint_arrays()
        by_cat: dict[str, int] = {}
        by_reason: dict[str, int] = {}
        for e in endpoints:
            for c in e["categories"] or ["unattributed"]:
                by_cat[c] = by_cat.get(c, 0) + e["value"]
            by_reason[e["stop_reason"]] = by_reason.get(e["stop_reason"], 0) + e["value"]
        return {
            "seed_value": self.trail.seed_value,
            "endpoint_value": sum(e["value"] for e in endpoints),
            "fee": int(value[reason == Reason.FEE].sum()),
            "returned_to_seed": self.trail.returned_to_seed,
            "rounding_residue": self.trail.rounding_residue,
            "by_category": dict(sorted(by_cat.items())),
            "by_stop_reason": dict(sorted(by_reason.items())),
        }

    def to_dict(self, with_edges: bool = True) -> dict[str, Any]:
        """The whole answer as JSON-ready data (same inputs -> same output, byte for byte)."""
        endpoints = self.endpoints()
        doc: dict[str, Any] = {
            "method": METHOD_VERSION,
            "policy_note": POLICY_NOTES[self.params["policy"]],
            "heuristic": True,  # every taint policy is a model of coin identity, not a fact
            "parameters": self.params,
            "seeds": self.seeds,
            "seed_outputs": [self.graph.outpoint(int(o)) for o in self.seed_outputs],
            "data_fingerprint": self.fingerprint,
            "totals": self.totals(endpoints),
            "endpoints": endpoints,
        }
        if with_edges:
            doc["edges"] = self.edges()
        return doc
