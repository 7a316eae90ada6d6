"""``evaluate``: run the pipeline that exists on a simulated scenario and score it against truth.

Metrics are plain functions registered by name with :func:`metric`; each takes an
:class:`EvalContext` (the scenario directory, its truth tables and a freshly ingested store) and
returns a JSON-able dict, or ``None`` when what it measures does not exist yet. Later workstreams
add their metrics (clustering, change, CoinJoin, tracing, typologies, OSINT) by decorating a
function in a module listed in :data:`PLUGINS`; this module never needs to change for that.

Scoring helpers are exact and deterministic: :func:`set_scores` (precision/recall/F1 of a
predicted set) and :func:`pairwise_scores` (pairwise precision/recall of a clustering, from
contingency counts, so no pair is ever enumerated), plus :func:`false_merges`.
"""

from __future__ import annotations

import csv
import importlib
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledgerhound.errors import InvalidInputError, NotFoundError

MetricFn = Callable[["EvalContext"], dict[str, Any] | None]
METRICS: dict[str, MetricFn] = {}
#: Modules that register metrics when imported; missing ones are skipped (not yet built).
PLUGINS = (
    "ledgerhound.cluster.evaluation",
    "ledgerhound.trace.evaluation",
    "ledgerhound.detect.evaluation",
    "ledgerhound.osint.evaluation",
)


def metric(name: str) -> Callable[[MetricFn], MetricFn]:
    """Register ``fn`` as metric ``name`` (names are unique; the registry keeps order)."""

    def register(fn: MetricFn) -> MetricFn:
        if name in METRICS and METRICS[name] is not fn:
            raise ValueError(f"metric {name!r} is already registered")
        METRICS[name] = fn
        return fn

    return register


# --- scoring helpers --------------------------------------------------------------------------
def _ratio(num: int, den: int) -> float:
    return 1.0 if den == 0 else num / den


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def set_scores(truth: Iterable[Hashable], predicted: Iterable[Hashable]) -> dict[str, Any]:
    """Precision, recall and F1 of ``predicted`` against ``truth`` (empty vs empty scores 1.0)."""
    t, p = set(truth), set(predicted)
    tp = len(t & p)
    precision, recall = _ratio(tp, len(p)), _ratio(tp, len(t))
    return {
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "f1": round(_f1(precision, recall) if t or p else 1.0, 6),
        "tp": tp,
        "fp": len(p - t),
        "fn": len(t - p),
    }


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_scores(
    truth: Mapping[Hashable, Hashable], predicted: Mapping[Hashable, Hashable]
) -> dict[str, Any]:
    """Pairwise precision/recall of a clustering over the items ``truth`` labels.

    Items the prediction lacks are singletons; predicted items unknown to truth are ignored. A
    pair is "predicted" when both items share a predicted cluster, "true" when they share a
    truth cluster; precision = common / predicted pairs, recall = common / true pairs.
    """
    pred = {item: predicted.get(item, ("singleton", item)) for item in truth}
    true_pairs = sum(_pairs(n) for n in Counter(truth.values()).values())
    pred_pairs = sum(_pairs(n) for n in Counter(pred.values()).values())
    common = sum(_pairs(n) for n in Counter((truth[i], pred[i]) for i in truth).values())
    precision, recall = _ratio(common, pred_pairs), _ratio(common, true_pairs)
    return {
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "f1": round(_f1(precision, recall), 6),
        "true_pairs": true_pairs,
        "predicted_pairs": pred_pairs,
        "common_pairs": common,
    }


def false_merges(
    truth: Mapping[Hashable, Hashable], predicted: Mapping[Hashable, Hashable]
) -> list[dict[str, Any]]:
    """Predicted clusters that join items of more than one truth entity, largest first."""
    members: dict[Hashable, Counter] = {}
    for item, cluster in predicted.items():
        if item in truth:
            members.setdefault(cluster, Counter())[truth[item]] += 1
    merged = [
        {"cluster": str(c), "entities": dict(sorted(e.items(), key=lambda kv: str(kv[0])))}
        for c, e in members.items()
        if len(e) > 1
    ]
    return sorted(merged, key=lambda m: (-sum(m["entities"].values()), m["cluster"]))


# --- context ----------------------------------------------------------------------------------
@dataclass
class EvalContext:
    """A scenario directory, its truth and a store holding its ingested blocks."""

    scenario: Path
    store: Any  # ledgerhound.store.Store
    ingest: dict[str, Any] = field(default_factory=dict)
    _tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @property
    def truth_dir(self) -> Path:
        return self.scenario / "truth"

    def summary(self) -> dict[str, Any]:
        return json.loads((self.truth_dir / "summary.json").read_text(encoding="utf-8"))

    def table(self, name: str) -> list[dict[str, str]]:
        """Rows of ``truth/<name>.csv`` as dicts (cached)."""
        if name not in self._tables:
            with open(self.truth_dir / f"{name}.csv", newline="", encoding="utf-8") as fh:
                self._tables[name] = list(csv.DictReader(fh))
        return self._tables[name]

    def address_entities(self) -> dict[str, str]:
        """Truth: address -> entity id (the unit clustering is scored against)."""
        return {r["address"]: r["entity_id"] for r in self.table("addresses")}


# --- built-in metrics -------------------------------------------------------------------------
COUNTED = ("blocks", "transactions", "inputs", "outputs")


@metric("ingest_fidelity")
def ingest_fidelity(ctx: EvalContext) -> dict[str, Any]:
    """Block/transaction/input/output counts in the store against the simulator's counts."""
    stats = ctx.store.stats()
    truth = ctx.summary()
    rows = {name: {"truth": int(truth[name]), "store": int(stats[name])} for name in COUNTED}
    exact = sum(1 for r in rows.values() if r["truth"] == r["store"])
    con = ctx.store.connect()
    try:
        tip = con.execute(
            "SELECT hash FROM blocks WHERE height = ? AND in_main_chain", [truth["tip_height"]]
        ).fetchall()
    finally:
        con.close()
    return {
        "counts": rows,
        "stale_blocks": {
            "truth": int(truth.get("stale_blocks", 0)),
            "store": int(stats.get("stale_blocks", 0)),
        },
        "tip_hash_matches": bool(tip) and tip[0][0] == truth["tip_hash"],
        "unresolved_inputs": int(stats.get("unresolved_inputs", 0)),
        "score": round(exact / len(COUNTED), 6),
    }


@metric("address_coverage")
def address_coverage(ctx: EvalContext) -> dict[str, Any]:
    """Every address the store decoded must be one the simulator created (and vice versa)."""
    con = ctx.store.connect()
    try:
        stored = {r[0] for r in con.execute("SELECT DISTINCT address FROM outputs").fetchall()}
    finally:
        con.close()
    stored.discard(None)
    paid = {r["address"] for r in ctx.table("addresses")}
    unknown = sorted(stored - paid)
    return {
        "store_addresses": len(stored),
        "unknown_to_truth": len(unknown),
        "examples": unknown[:5],
        "score": round(_ratio(len(stored) - len(unknown), len(stored)), 6),
    }


# --- running ----------------------------------------------------------------------------------
def load_plugins() -> list[str]:
    loaded = []
    for name in PLUGINS:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue
        loaded.append(name)
    return loaded


def check_scenario(directory: Path) -> None:
    if not (directory / "blocks").is_dir():
        raise NotFoundError(f"{directory}: no blocks/ directory (is it a simulate --out dir?)")
    if not (directory / "truth" / "summary.json").is_file():
        raise NotFoundError(f"{directory}: no truth/summary.json (is it a simulate --out dir?)")


def evaluate(directory: Path, only: Iterable[str] = ()) -> dict[str, Any]:
    """Ingest ``directory/blocks`` into a temporary store and run the registered metrics."""
    from ledgerhound.sources.blkfiles import read_block_batches
    from ledgerhound.store import Store

    check_scenario(directory)
    load_plugins()
    wanted = list(only) or list(METRICS)
    unknown = [m for m in wanted if m not in METRICS]
    if unknown:
        raise InvalidInputError(f"unknown metric {unknown[0]!r} (known: {', '.join(METRICS)})")
    with tempfile.TemporaryDirectory(prefix="lh-eval-") as tmp:
        store = Store(Path(tmp) / "store")
        ingest = store.ingest(read_block_batches([directory / "blocks"]))
        ctx = EvalContext(directory, store, ingest)
        results: dict[str, Any] = {}
        failed: list[str] = []
        for name in wanted:
            try:
                value = METRICS[name](ctx)
            except Exception as exc:  # one broken metric must not hide the others' results
                failed.append(name)
                value = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
            results[name] = value if value is not None else {"status": "not available yet"}
    summary = ctx.summary()
    return {
        "scenario": str(directory),
        "seed": summary.get("seed"),
        "size": summary.get("size"),
        "metrics": results,
        "failed": failed,
    }
