"""Forward and backward tracing over a :class:`FlowGraph` under poison, haircut or FIFO.

Why hop-synchronous and output-level: value lives in outputs, and an output is spent exactly once,
so following outputs (never addresses) keeps unrelated customers' coins apart and makes the walk
a DAG even when addresses repeat. Each hop moves the frontier of tainted outputs through the
transactions that spend them (forward) or create them (backward) in a few numpy operations.
Poison and haircut are linear, FIFO is positional but still additive, so a transaction reached
again at a later hop simply passes on the newly arrived taint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ledgerhound.errors import InvalidInputError
from ledgerhound.trace import policies as pol
from ledgerhound.trace.graph import FlowGraph, Slots, expand
from ledgerhound.trace.labels import DEFAULT_STOP_AT, Labels
from ledgerhound.trace.result import Reason, TraceResult, Trail
from ledgerhound.trace.seeds import resolve_seeds

DIRECTIONS = ("forward", "backward")
LEVELS = ("address", "cluster")


@dataclass(frozen=True)
class TraceParams:
    """Everything that changes a trace's answer; echoed in the result."""

    direction: str = "forward"
    hops: int = 6
    policy: str = "haircut"
    min_value: int = 0
    stop_at: tuple[str, ...] = DEFAULT_STOP_AT
    max_degree: int | None = None
    since: int | None = None
    until: int | None = None
    level: str = "address"

    def check(self) -> None:
        if self.direction not in DIRECTIONS:
            raise InvalidInputError(
                f"direction must be forward or backward, not {self.direction!r}"
            )
        if self.policy not in pol.POLICIES:
            raise InvalidInputError(f"policy must be poison, haircut or fifo, not {self.policy!r}")
        if self.level not in LEVELS:
            raise InvalidInputError(f"level must be address or cluster, not {self.level!r}")
        if (
            self.hops < 0
            or self.min_value < 0
            or (self.max_degree is not None and self.max_degree < 1)
        ):
            raise InvalidInputError("hops and min_value must be >= 0 and max_degree >= 1")

    def as_dict(self) -> dict:
        return {
            "direction": self.direction,
            "hops": self.hops,
            "policy": self.policy,
            "min_value": self.min_value,
            "stop_at": list(self.stop_at),
            "max_degree": self.max_degree,
            "since": self.since,
            "until": self.until,
            "level": self.level,
        }


def trace(
    graph: FlowGraph,
    seeds: Iterable[str | int],
    labels: Labels | None = None,
    *,
    fingerprint: str | None = None,
    targets: np.ndarray | None = None,
    **params: object,
) -> TraceResult:
    """Follow the value of ``seeds`` through up to ``hops`` transactions.

    ``seeds``: addresses, ``txid:vout`` outpoints, or cluster ids (ints or ``cluster:N``; needs
    ``labels.clusters``). Keyword parameters are those of :class:`TraceParams`. ``targets``
    (bool per address id) makes reaching those addresses an endpoint (``target``), used by path
    search. ``fingerprint`` identifies the data the caller loaded and is echoed back.
    """
    if isinstance(params.get("stop_at"), str):  # "exchange,mixing_service" as typed on a CLI
        params["stop_at"] = tuple(c.strip() for c in str(params["stop_at"]).split(",") if c)
    elif "stop_at" in params:
        params["stop_at"] = tuple(params["stop_at"])  # type: ignore[arg-type]
    try:
        p = TraceParams(**params)  # type: ignore[arg-type]
    except TypeError:
        unknown = sorted(set(params) - set(TraceParams.__dataclass_fields__))
        raise InvalidInputError(f"unknown trace parameter {unknown[0]!r}") from None
    p.check()
    seeds = list(seeds)
    labels = labels or Labels(address_count=len(graph.addresses))
    if p.level == "cluster" and labels.clusters is None:
        raise InvalidInputError("level=cluster needs an address->cluster array (labels.clusters)")
    seed_outs = resolve_seeds(graph, seeds, labels.clusters, p.since, p.until)
    walk = Walk(graph, labels, p, seed_outs, np.zeros(len(seed_outs), dtype=np.int64), targets)
    walk.run()
    return TraceResult(
        graph=graph,
        labels=labels,
        params=p.as_dict(),
        fingerprint=fingerprint,
        seeds=[str(s) for s in seeds],
        seed_outputs=seed_outs,
        trail=walk.trail,
    )


class Walk:
    """State of a trace: the frontier, the stop rules as arrays, and the trail it leaves.

    Every frontier entry carries a *group* (which seed set it belongs to), so one walk can run
    many independent traces at once -- bulk screening pays the per-hop numpy overhead once for
    10,000 addresses. Groups never mix: grouping keys are ``group * T + tx``.
    """

    def __init__(self, graph: FlowGraph, labels: Labels, p: TraceParams, seeds, groups, targets):
        self.g, self.p = graph, p
        fwd = p.direction == "forward"
        self.slots: Slots = graph.forward if fwd else graph.backward
        self.next_tx = graph.out_spent_tx if fwd else graph.out_tx
        self.entry_offset = graph.out_spend_offset if fwd else graph.out_offset
        self.stop_code = labels.stop_codes(p.stop_at, Reason.SERVICE, Reason.STOP_CATEGORY)
        self.targets = targets
        self.n_tx, self.n_out = max(graph.tx_count, 1), max(graph.output_count, 1)
        order = np.lexsort((seeds, groups))
        self.seeds, self.groups = seeds[order], groups[order]
        self.seed_keys = self.groups * self.n_out + self.seeds
        self.trail = Trail(seed_value=int(graph.out_value[seeds].sum()))
        self.visited: set[int] = set()

    def run(self) -> None:
        ids, grp = self.seeds, self.groups
        if self.p.policy == "fifo":
            ivs = [((0, int(v)),) for v in self.g.out_value[ids]]
            self._run_fifo(ids, grp, ivs)
            return
        amt = self.g.out_value[ids].copy()
        for hop in range(self.p.hops + 1):
            keep = self._stop(ids, amt, grp, hop)
            if not keep.any():
                break
            ids, amt, grp = self._step(ids[keep], amt[keep], grp[keep], hop + 1)
            ids, amt, grp = self._absorb(ids, amt, grp)
            if len(ids) == 0:
                break

    def _stop(self, ids: np.ndarray, amt: np.ndarray, grp: np.ndarray, hop: int) -> np.ndarray:
        """Record endpoints among frontier outputs; return the mask of outputs to expand."""
        g, p = self.g, self.p
        addr = g.out_addr[ids]
        raw_addr = addr
        addr = np.where(addr >= 0, addr, len(g.addresses))
        nxt = self.next_tx[ids]
        reason = np.zeros(len(ids), dtype=np.int8)

        def mark(cond: np.ndarray, code: int) -> None:
            reason[(reason == 0) & cond] = code

        if hop > 0:
            if self.targets is not None:
                mark(self.targets[addr], Reason.TARGET)
            free = reason == 0
            reason[free] = self.stop_code[addr][free]
        if self.p.direction == "forward":
            mark(nxt < 0, Reason.UNSPENT)
        else:
            mark(g.tx_coinbase[nxt], Reason.COINBASE)
        if hop > 0:
            mark(amt < max(p.min_value, 1), Reason.BELOW_MIN_VALUE)
        if hop >= p.hops:
            reason[reason == 0] = Reason.HOP_LIMIT
        if p.max_degree is not None:
            deg = g.tx_degree[np.maximum(nxt, 0)] > p.max_degree
            if hop > 0:
                deg |= g.degree_of(raw_addr) > p.max_degree
            mark(deg, Reason.MAX_DEGREE)
        if p.since is not None or p.until is not None:
            h = g.tx_height[np.maximum(nxt, 0)]
            out = (h >= 0) & (
                ((h < p.since) if p.since is not None else False)
                | ((h > p.until) if p.until is not None else False)
            )
            mark(out, Reason.TIME_WINDOW)
        ends = reason > 0
        if ends.any():
            self.trail.endpoint(ids[ends], nxt[ends], reason[ends], amt[ends], hop, grp[ends])
        return ~ends

    def _step(self, ids, amt, grp, hop: int):
        """Move tainted value through the next transactions (poison or haircut)."""
        g, s = self.g, self.slots
        tx = self.next_tx[ids]
        self.trail.edge_in(ids, tx, amt, hop, grp)
        keys, inv = np.unique(grp * self.n_tx + tx, return_inverse=True)
        tainted = np.zeros(len(keys), dtype=np.int64)
        np.add.at(tainted, inv, amt)
        if self.p.policy == "poison":
            fresh = np.array([k not in self.visited for k in keys.tolist()], dtype=bool)
            self.visited.update(keys.tolist())
            keys, tainted = keys[fresh], tainted[fresh]
        utx, ugrp = keys % self.n_tx, keys // self.n_tx
        owner, slot = expand(s.ptr, utx)
        weight = s.weight[slot]
        if self.p.policy == "poison":
            share = weight
        else:
            share = pol.muldiv(tainted[owner], weight, g.tx_in_value[utx][owner])
            moved = np.bincount(owner, weights=share, minlength=len(utx)).astype(np.int64)
            self.trail.residue(tainted - moved, ugrp)
        return self._leave(utx[owner], s.target[slot], share, hop, ugrp[owner])

    def _leave(self, tx, target, share, hop, grp):
        """Record tx -> slot edges; sinks (fee, coinbase, outside data) end here."""
        live = share > 0
        tx, target, share, grp = tx[live], target[live], share[live], grp[live]
        self.trail.edge_out(tx, target, share, hop, grp)
        sink = target < 0
        if sink.any():
            self.trail.sink(tx[sink], target[sink], share[sink], hop, self.p.direction, grp[sink])
        return target[~sink], share[~sink], grp[~sink]

    def _absorb(self, ids, amt, grp):
        """Taint flowing back into a seed output of its own group is already counted: stop it."""
        keys = grp * self.n_out + ids
        pos = np.searchsorted(self.seed_keys, keys)
        top = len(self.seed_keys) - 1
        back = (pos <= top) & (self.seed_keys[np.minimum(pos, top)] == keys)
        if back.any():
            self.trail.returned(amt[back], grp[back])
        return ids[~back], amt[~back], grp[~back]

    def _run_fifo(self, ids, grp, ivs: Sequence[pol.Intervals]) -> None:
        for hop in range(self.p.hops + 1):
            amt = np.array([pol.total(iv) for iv in ivs], dtype=np.int64)
            keep = self._stop(ids, amt, grp, hop)
            if not keep.any():
                return
            ivs = [iv for iv, k in zip(ivs, keep, strict=True) if k]
            ids, grp, ivs = self._step_fifo(ids[keep], grp[keep], ivs, hop + 1)
            amt = np.array([pol.total(iv) for iv in ivs], dtype=np.int64)
            _, _, back_grp = self._absorb(ids, amt, grp)
            if len(back_grp) < len(ids):
                keys = grp * self.n_out + ids
                pos = np.minimum(np.searchsorted(self.seed_keys, keys), len(self.seed_keys) - 1)
                kept = self.seed_keys[pos] != keys
                ids, grp = ids[kept], grp[kept]
                ivs = [iv for iv, k in zip(ivs, kept, strict=True) if k]
            if len(ids) == 0:
                return

    def _step_fifo(self, ids, grp, ivs: list[pol.Intervals], hop: int):
        """FIFO: lay entering slots end to end, cut by leaving slots, keep exact intervals."""
        s = self.slots
        tx = self.next_tx[ids]
        amt = np.array([pol.total(iv) for iv in ivs], dtype=np.int64)
        self.trail.edge_in(ids, tx, amt, hop, grp)
        by_key: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for o, t, gr, iv in zip(ids.tolist(), tx.tolist(), grp.tolist(), ivs, strict=True):
            by_key.setdefault((gr, t), []).extend(pol.shift(iv, int(self.entry_offset[o])))
        rows: list[tuple[int, int, int]] = []
        pieces: list[pol.Intervals] = []
        for gr, t in sorted(by_key):
            lo, hi = int(s.ptr[t]), int(s.ptr[t + 1])
            for k, piece in pol.cut(by_key[gr, t], s.offset[lo:hi], s.weight[lo:hi]).items():
                rows.append((t, int(s.target[lo + k]), gr))
                pieces.append(piece)
        arr = np.array(rows, dtype=np.int64).reshape(-1, 3)
        share = np.array([pol.total(iv) for iv in pieces], dtype=np.int64)
        self._leave(arr[:, 0], arr[:, 1], share, hop, arr[:, 2])
        keep = (share > 0) & (arr[:, 1] >= 0)
        return arr[keep, 1], arr[keep, 2], [iv for iv, k in zip(pieces, keep, strict=True) if k]
