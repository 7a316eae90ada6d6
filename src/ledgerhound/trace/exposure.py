"""Screening: direct and indirect exposure of addresses to categories, with a severity policy.

Why traces and not neighbour lists: a counterparty's tag says nothing about *how much* of the
screened address's money touched it. Exposure here is a haircut trace from the address's
received outputs, backward (incoming: where its money came from) and forward (outgoing: where it
went), stopping at the first attributed address on each flow. Hop 1 is *direct* exposure, 2+ is
*indirect*. A broker that mixed one tainted customer with 99 clean ones passes on 1 %, not 100 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ledgerhound.errors import InvalidInputError, NotFoundError
from ledgerhound.trace.engine import TraceParams, Walk
from ledgerhound.trace.graph import FlowGraph
from ledgerhound.trace.labels import Labels, matches
from ledgerhound.trace.paths import Widest
from ledgerhound.trace.result import Reason, concat, node_name, rows

EXPOSURE_TYPES = ("ownership", "direct", "indirect")
DIRECTIONS = {"backward": "incoming", "forward": "outgoing"}
_RULE_KEYS = {"category", "exposure", "direction", "min_share", "min_value", "severity"}


@dataclass(frozen=True)
class Rule:
    category: str
    exposure: tuple[str, ...]
    direction: str
    min_share: float
    min_value: int
    severity: str

    def fits(self, category: str, exposure: str, direction: str, share: float, value: int) -> bool:
        return (
            matches(category, (self.category,))
            and exposure in self.exposure
            and self.direction in ("any", direction)
            and share >= self.min_share
            and value >= self.min_value
        )


@dataclass(frozen=True)
class SeverityPolicy:
    levels: tuple[str, ...]
    default: str
    rules: tuple[Rule, ...]
    source: str

    def rate(self, category: str, exposure: str, direction: str, share: float, value: int):
        """(severity, rule number from 1, or None when the default applies)."""
        for i, rule in enumerate(self.rules, 1):
            if rule.fits(category, exposure, direction, share, value):
                return rule.severity, i
        return self.default, None

    def worst(self, severities: Iterable[str]) -> str:
        ranks = [self.levels.index(s) for s in severities]
        return self.levels[min(ranks)] if ranks else self.default


def load_policy(path: str | Path | None = None) -> SeverityPolicy:
    """Read a severity policy (default: the shipped ``severity.yaml``); one-line error if bad."""
    if path is None:
        text = resources.files("ledgerhound.trace").joinpath("severity.yaml").read_text()
        name = "severity.yaml (built-in)"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise NotFoundError(f"severity policy {path}: {exc.strerror}", file=str(path)) from None
        name = str(path)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"severity policy {name}: not valid YAML ({exc})") from None
    return _parse_policy(doc, name)


def _parse_policy(doc: Any, name: str) -> SeverityPolicy:
    def bad(msg: str) -> InvalidInputError:
        return InvalidInputError(f"severity policy {name}: {msg}", file=name)

    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise bad("expected a mapping with version: 1")
    levels = tuple(doc.get("levels") or ())
    default = doc.get("default", "none")
    if not levels or default not in levels:
        raise bad("levels must list the severities and include the default")
    rules = []
    for i, raw in enumerate(doc.get("rules") or [], 1):
        if not isinstance(raw, dict) or not {"category", "severity"} <= set(raw):
            raise bad(f"rule {i} needs at least category and severity")
        if set(raw) - _RULE_KEYS:
            raise bad(f"rule {i}: unknown key {sorted(set(raw) - _RULE_KEYS)[0]!r}")
        exposure = raw.get("exposure", "any")
        exposure = tuple(EXPOSURE_TYPES if exposure == "any" else np.atleast_1d(exposure).tolist())
        if set(exposure) - set(EXPOSURE_TYPES) or raw["severity"] not in levels:
            raise bad(f"rule {i}: exposure must be ownership|direct|indirect|any, severity a level")
        direction = raw.get("direction", "any")
        if direction not in ("incoming", "outgoing", "any"):
            raise bad(f"rule {i}: direction must be incoming, outgoing or any")
        share = float(raw.get("min_share", 0.0))
        if not 0.0 <= share <= 1.0:
            raise bad(f"rule {i}: min_share must be between 0 and 1")
        rules.append(
            Rule(
                str(raw["category"]),
                exposure,
                direction,
                share,
                int(raw.get("min_value", 0)),
                raw["severity"],
            )
        )
    return SeverityPolicy(levels, default, tuple(rules), name)


def screen(
    graph: FlowGraph,
    addresses: Sequence[str],
    labels: Labels,
    *,
    hops: int = 4,
    policy: SeverityPolicy | None = None,
    max_degree: int | None = None,
    explain: bool = True,
    fingerprint: str | None = None,
) -> dict[str, Any]:
    """Screen many addresses in one pass; unknown ones are reported (``found: false``).

    All addresses are traced together (one walk per direction, one seed group per address), so
    the per-hop cost is shared; groups never exchange value.
    """
    policy = policy or load_policy()
    index = graph.address_ids(list(addresses))
    found = [index[a] for a in addresses if a in index]
    outs = [graph.address_outputs(a) for a in found]
    seeds = np.concatenate(outs) if outs else np.zeros(0, dtype=np.int64)
    groups = np.repeat(np.arange(len(found)), [len(o) for o in outs]).astype(np.int64)
    per_dir = {}
    for direction in ("backward", "forward"):
        p = TraceParams(
            direction=direction, hops=hops, policy="haircut", stop_at=("*",), max_degree=max_degree
        )
        p.check()
        walk = Walk(graph, labels, p, seeds, groups, None)
        walk.run()
        per_dir[direction] = _Batch(graph, labels, walk, seeds, groups, len(found), explain)
    rows, k = [], 0
    for address in addresses:
        if address not in index:
            rows.append(
                {
                    "address": address,
                    "found": False,
                    "severity": policy.default,
                    "note": "no outputs to this address in the loaded data",
                    "exposures": [],
                }
            )
            continue
        rows.append(_one(address, found[k], k, labels, policy, per_dir))
        k += 1
    return {
        "method": "screen/1 (haircut trace both ways, stop at first attributed address)",
        "parameters": {
            "hops": hops,
            "max_degree": max_degree,
            "policy": "haircut",
            "severity_policy": policy.source,
        },
        "data_fingerprint": fingerprint,
        "results": rows,
    }


def _one(address: str, a: int, k: int, labels: Labels, policy, per_dir) -> dict[str, Any]:
    own = list(labels.of(a))
    exposures = [_ownership(c, policy) for c in own]
    for batch in per_dir.values():
        exposures += batch.exposures(k, policy)
    exposures.sort(
        key=lambda e: (
            policy.levels.index(e["severity"]),
            -e["value"],
            e["category"],
            e["exposure_type"],
            e["direction"],
        )
    )
    return {
        "address": address,
        "found": True,
        "cluster_id": labels.cluster(a),
        "own_categories": own,
        "received_value": int(per_dir["backward"].base[k]),
        "spent_value": int(per_dir["forward"].base[k]),
        "severity": policy.worst(e["severity"] for e in exposures),
        "exposures": exposures,
    }


def _ownership(category: str, policy: SeverityPolicy) -> dict[str, Any]:
    severity, rule = policy.rate(category, "ownership", "any", 1.0, 0)
    return {
        "category": category,
        "exposure_type": "ownership",
        "direction": "any",
        "value": 0,
        "share": 1.0,
        "hops": 0,
        "counterparties": 0,
        "severity": severity,
        "rule": rule,
    }


class _Batch:
    """One direction of a bulk screening walk, split per seed group."""

    def __init__(self, graph, labels, walk: Walk, seeds, groups, n: int, explain: bool) -> None:
        self.g, self.labels, self.explain = graph, labels, explain
        self.direction = DIRECTIONS[walk.p.direction]
        self.forward = walk.p.direction == "forward"
        self.walk = walk
        value = graph.out_value[seeds]
        if self.forward:  # outgoing shares are of what the address spent
            value = np.where(graph.out_spent_tx[seeds] >= 0, value, 0)
        base = np.bincount(groups, weights=value, minlength=n).astype(np.int64)
        # value the address sent back to itself (change) is counted once
        self.base = np.maximum(base - walk.trail.per_group("returns", n), 0)
        out, _, reason, val, hop, grp = walk.trail.endpoint_arrays()
        tagged = (reason == Reason.SERVICE) | (reason == Reason.STOP_CATEGORY)
        self.groups: dict[int, dict[tuple[str, str], list[Any]]] = {}
        for o, v, h, gr in rows(out[tagged], val[tagged], hop[tagged], grp[tagged]):
            a = int(graph.out_addr[o])
            for c in labels.of(a):
                key = (c, "direct" if h == 1 else "indirect")
                g = self.groups.setdefault(gr, {}).setdefault(key, [0, h, set(), -1, 0])
                g[0] += v
                g[1] = min(g[1], h)
                g[2].add(a)
                if v > g[4]:
                    g[3], g[4] = o, v
        self._edges = self._split_edges() if explain and self.groups else None

    def _split_edges(self):
        """Edges sorted by group, so each group's explanation reads only its own slice."""
        trail = self.walk.trail
        parts = []
        for lists in (trail.edges_in, trail.edges_out):
            cols = [concat([e[i] for e in lists]) for i in (0, 1, 2, 4)]
            order = np.argsort(cols[3], kind="stable")
            cols = [c[order] for c in cols]
            parts.append((cols, np.searchsorted(cols[3], np.arange(len(self.base) + 1))))
        return parts

    def _widest(self, k: int) -> Widest:
        (cin, pin), (cout, pout) = self._edges
        e_in = [c[pin[k] : pin[k + 1]] for c in cin[:3]]
        e_out = [c[pout[k] : pout[k + 1]] for c in cout[:3]]
        seeds = set(self.walk.seeds[self.walk.groups == k].tolist())

        def name(o: int) -> str:
            return node_name(self.g, self.labels, "address", o)

        return Widest(self.g, name, self.forward, e_in, e_out, seeds)

    def exposures(self, k: int, policy: SeverityPolicy) -> list[dict[str, Any]]:
        found = self.groups.get(k)
        if not found:
            return []
        widest = self._widest(k) if self._edges is not None else None
        base = int(self.base[k])
        out = []
        for (c, kind), (v, h, addrs, top, _) in sorted(found.items()):
            share = v / base if base else 0.0
            severity, rule = policy.rate(c, kind, self.direction, share, v)
            row = {
                "category": c,
                "exposure_type": kind,
                "direction": self.direction,
                "value": int(v),
                "share": round(share, 6),
                "hops": int(h),
                "counterparties": len(addrs),
                "severity": severity,
                "rule": rule,
            }
            if widest is not None:
                row["explanation"] = widest.path(top)
            out.append(row)
        return out
