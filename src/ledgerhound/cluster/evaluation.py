"""Clustering and CoinJoin-detection metrics for ``ledgerhound evaluate`` (simulated truth).

- ``clustering``: pairwise precision/recall against the true entities, false merges with the
  transactions that caused them (and whether each was an undetected CoinJoin), and how much of
  each per-donor campaign's donation addresses end up in one cluster.
- ``coinjoin_detection``: precision/recall per detector over every transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from ledgerhound.cluster import coinjoin, edges
from ledgerhound.cluster.build import ClusterParams, build, cluster_dir
from ledgerhound.cluster.outside import load_outside
from ledgerhound.cluster.txshape import TxShape
from ledgerhound.sim.evaluate import EvalContext, false_merges, metric, pairwise_scores, set_scores
from ledgerhound.store.chainindex.index import load_state
from ledgerhound.store.chainindex.keys import hex_to_hashes


def _labels(ctx: EvalContext) -> dict[str, int]:
    con = ctx.store.connect()
    try:
        path = cluster_dir(ctx.store.root) / "clusters.parquet"
        return dict(
            con.execute(
                f"SELECT a.address, c.cluster_id FROM read_parquet('{path}') c"
                " JOIN addresses a USING (address_id)"
            ).fetchall()
        )
    finally:
        con.close()


@metric("clustering")
def clustering(ctx: EvalContext) -> dict[str, Any]:
    meta = build(ctx.store)
    predicted = _labels(ctx)
    truth = ctx.address_entities()
    scores = pairwise_scores(truth, predicted)
    merges = false_merges(truth, predicted)
    return {
        "pairwise_precision": scores["precision"],
        "pairwise_recall": scores["recall"],
        "clusters": meta["clusters"],
        "false_merges": len(merges),
        "false_merge_causes": _causes(ctx, truth) if merges else {},
        "coinjoins_excluded": meta["coinjoins_excluded"],
        "campaign_consolidation": _campaign_share(ctx, predicted),
    }


def _causes(ctx: EvalContext, truth: dict[str, str]) -> dict[str, int]:
    """Transactions whose co-spend joined two true entities, by kind (missed CoinJoin or other)."""
    protocols = {r["txid"]: r["protocol"] for r in ctx.table("coinjoins")}
    con = ctx.store.connect()
    try:
        rows = con.execute(
            "SELECT txid, list(prev_address) FROM inputs WHERE prev_address IS NOT NULL"
            " GROUP BY txid HAVING count(*) > 1"
        ).fetchall()
    finally:
        con.close()
    excluded = set(_excluded(ctx))
    causes: Counter = Counter()
    for txid, addresses in rows:
        if txid in excluded or len({truth.get(a) for a in addresses}) < 2:
            continue
        causes[f"missed {protocols[txid]}" if txid in protocols else "other co-spend"] += 1
    return dict(sorted(causes.items()))


def _excluded(ctx: EvalContext) -> list[str]:
    import pyarrow.parquet as pq

    table = pq.read_table(cluster_dir(ctx.store.root) / "coinjoins.parquet", columns=["txid"])
    return table.column("txid").to_pylist()


def _campaign_share(ctx: EvalContext, predicted: dict[str, int]) -> dict[str, dict[str, float]]:
    """Per campaign: share of its donation addresses in its largest cluster, over all of them
    and over those already spent (consolidated) -- clustering cannot see unspent ones."""
    con = ctx.store.connect()
    try:
        spent = {r[0] for r in con.execute(
            "SELECT DISTINCT prev_address FROM inputs WHERE prev_address IS NOT NULL"
        ).fetchall()}  # fmt: skip
    finally:
        con.close()
    per_donor = {r["address"] for r in ctx.table("addresses") if r["role"] == "per_donor"}
    by_campaign: dict[str, set[str]] = {}
    for row in ctx.table("donations"):
        by_campaign.setdefault(row["campaign"], set()).add(row["address"])
    shares = {}
    for campaign, addresses in sorted(by_campaign.items()):
        shares[campaign] = {
            "all": _largest_share(addresses, predicted),
            "consolidated": _largest_share(addresses & spent, predicted),
        }
        fresh = addresses & per_donor & spent
        if fresh:  # the per-donor phase (al-Qassam 2019): one fresh address per donation
            shares[campaign]["per_donor_consolidated"] = _largest_share(fresh, predicted)
    return shares


def _largest_share(addresses: set[str], predicted: dict[str, int]) -> float:
    if not addresses:
        return 1.0
    counts = Counter(predicted[a] for a in addresses if a in predicted)
    return round(max(counts.values(), default=0) / len(addresses), 6)


@metric("clustering_with_change")
def clustering_with_change(ctx: EvalContext) -> dict[str, Any]:
    """The same scores with ``--with-change`` (default threshold); the default build is restored."""
    meta = build(ctx.store, ClusterParams(with_change=True))
    scores = pairwise_scores(ctx.address_entities(), _labels(ctx))
    merges = false_merges(ctx.address_entities(), _labels(ctx))
    build(ctx.store, full=True)
    return {
        "change_min_confidence": meta["parameters"]["change_min_confidence"],
        "pairwise_precision": scores["precision"],
        "pairwise_recall": scores["recall"],
        "clusters": meta["clusters"],
        "false_merges": len(merges),
    }


def _candidate_shapes(ctx: EvalContext) -> Iterator[TxShape]:
    """Every main-chain tx a detector could fire on (2+ inputs or an OP_RETURN), via the index."""
    con = ctx.store.connect()
    try:
        txids = con.execute(
            "SELECT txid FROM transactions WHERE NOT is_coinbase AND height IS NOT NULL"
            " AND (input_count > 1 OR txid IN (SELECT txid FROM outputs"
            " WHERE script_type = 'nulldata')) ORDER BY txid"
        ).fetchall()
    finally:
        con.close()
    view = ctx.store.chain_index()
    found = view.find_txs(hex_to_hashes(pa.array([t for (t,) in txids], pa.string())))
    txs = np.unique(found[found >= 0])
    types = load_state(ctx.store.root, ctx.store.manifest().generation).script_types
    outside = load_outside(ctx.store, view)
    for first in range(0, len(txs), edges.SHAPES):
        yield from edges.shapes(view, txs[first : first + edges.SHAPES], types, outside)


@metric("coinjoin_detection")
def coinjoin_detection(ctx: EvalContext) -> dict[str, Any]:
    truth: dict[str, set[str]] = {}
    for row in ctx.table("coinjoins"):
        truth.setdefault(row["protocol"], set()).add(row["txid"])
    predicted: dict[str, set[str]] = {}
    for shape in _candidate_shapes(ctx):
        verdict = coinjoin.detect(shape, mainnet=ctx.store.manifest().network == "mainnet")
        if verdict is not None:
            predicted.setdefault(verdict.protocol, set()).add(shape.txid)
    result: dict[str, Any] = {}
    for protocol in sorted(set(truth) | set(predicted)):
        scores = set_scores(truth.get(protocol, set()), predicted.get(protocol, set()))
        result[protocol] = {k: scores[k] for k in ("precision", "recall", "f1")}
    all_true = set().union(*truth.values()) if truth else set()
    all_pred = set().union(*predicted.values()) if predicted else set()
    overall = set_scores(all_true, all_pred)
    result["any_coinjoin"] = {k: overall[k] for k in ("precision", "recall", "f1")}
    return result
