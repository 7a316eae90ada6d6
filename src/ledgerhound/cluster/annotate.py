"""What the heuristics add to an address or transaction view: cluster, tags, CoinJoin, change.

The store answers with chain facts; this module adds the heuristic layer on top, clearly
labelled (method, confidence), so ``address`` and ``tx`` show both without the store knowing
about clusters.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from ledgerhound.cluster import change, coinjoin, lookup
from ledgerhound.cluster.build import cluster_dir


def clusters_file(store_root: Path) -> Path | None:
    path = cluster_dir(store_root) / "clusters.parquet"
    return path if path.exists() else None


def describe_address(store: Any, info: dict[str, Any]) -> dict[str, Any]:
    """``info`` (from ``Store.address``) plus ``cluster: {id, size}`` and ``tags`` with ``via``."""
    con = store.connect()
    try:
        cluster = lookup.cluster_of(con, store.root, info["address"])
        members = [info["address"]]
        if cluster is not None and cluster["size"] > 1:
            members = [
                r[0]
                for r in con.execute(
                    "SELECT a.address FROM clusters c JOIN addresses a USING (address_id)"
                    " WHERE c.cluster_id = ?",
                    [cluster["id"]],
                ).fetchall()
            ]
    finally:
        con.close()
    tags = lookup.cluster_tags(store.root, members, address=info["address"])
    return {**info, "cluster": cluster, "tags": tags}


def describe_tx(store: Any, info: dict[str, Any]) -> dict[str, Any]:
    """``info`` (from ``Store.tx``) plus ``coinjoin`` (most confident detector verdict) and
    ``change`` (the combined change-output annotation with its agreeing heuristics)."""
    mainnet = (store.manifest().network or "mainnet") == "mainnet"
    shape = change.shape_from_tx(info)
    verdict = coinjoin.detect(shape, mainnet=mainnet)
    with change.StoreContext(store) as ctx:
        full = ctx.load(info["txid"]) or shape
        annotation = change.annotate(full, ctx, mainnet=mainnet)
    return {
        **info,
        "coinjoin": asdict(verdict) if verdict else None,
        "change": annotation.to_json() if annotation else None,
    }
