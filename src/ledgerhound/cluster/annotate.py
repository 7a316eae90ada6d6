"""What clustering adds to an address or a transaction view: its cluster, tags, CoinJoin verdict.

The store answers with chain facts; this module adds the heuristic layer on top, clearly
labelled (method, confidence), so ``address`` and ``tx`` show both without the store knowing
about clusters.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from ledgerhound.cluster import coinjoin, lookup
from ledgerhound.cluster.build import cluster_dir
from ledgerhound.cluster.txshape import TxShape


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


def describe_tx(info: dict[str, Any], network: str) -> dict[str, Any]:
    """``info`` (from ``Store.tx``) plus ``coinjoin``: the most confident detector verdict."""
    shape = TxShape(
        txid=info["txid"],
        height=info.get("height"),
        is_coinbase=bool(info.get("is_coinbase")),
        input_values=tuple(i["value"] for i in info["inputs"]),
        input_addresses=tuple(i["address"] for i in info["inputs"]),
        output_values=tuple(o["value"] for o in info["outputs"]),
        output_addresses=tuple(o["address"] for o in info["outputs"]),
        output_types=tuple(o["script_type"] for o in info["outputs"]),
    )
    verdict = coinjoin.detect(shape, mainnet=network == "mainnet")
    return {**info, "coinjoin": asdict(verdict) if verdict else None}
