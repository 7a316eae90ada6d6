"""``cluster build``: multi-input clustering over the whole store, incremental after new blocks.

State lives in ``<store>/cluster/``: ``parent.npy`` and ``size.npy`` (union-find, 8 bytes per
address), ``clusters.parquet`` (address_id -> cluster_id), ``coinjoins.parquet`` (excluded
transactions and why), ``held.parquet`` (merges the collapse guard held for review) and
``meta.json`` (method, parameters, data fingerprint, last position). A build writes a new folder
and swaps it in, so a failed build leaves the previous clustering intact.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ledgerhound.cluster import edges
from ledgerhound.cluster.outside import load_outside
from ledgerhound.cluster.unionfind import UnionFind
from ledgerhound.errors import StoreError
from ledgerhound.store import layout
from ledgerhound.store.chainindex.index import load_state
from ledgerhound.store.chainindex.keys import hex_to_hashes

CLUSTER_DIR = layout.CLUSTERS
METHOD = "multi-input (co-spend) heuristic; CoinJoin transactions excluded"
START: edges.Position = (-1, -1)


@dataclass(frozen=True)
class ClusterParams:
    guard: int = 10_000  # a merge of two clusters both >= guard addresses is held for review
    coinjoin_filter: bool = True
    with_change: bool = False  # also merge input addresses with confident change outputs
    change_min_confidence: int = 80


HELD_SCHEMA = pa.schema(
    [("txid", pa.string()), ("address_id_a", pa.int32()), ("address_id_b", pa.int32()),
     ("size_a", pa.int32()), ("size_b", pa.int32())]
)  # fmt: skip


def cluster_dir(store_root: Path) -> Path:
    return layout.clusters_dir(store_root)


def load_meta(store_root: Path) -> dict[str, Any] | None:
    path = cluster_dir(store_root) / "meta.json"
    return json.loads(path.read_text()) if path.exists() else None


def build(store: Any, params: ClusterParams = ClusterParams(), full: bool = False) -> dict:
    """Cluster the store's addresses; incremental when only new blocks were added since."""
    manifest = store.manifest()
    con = store.connect()
    n_addresses = con.execute("SELECT count(*) FROM addresses").fetchone()[0]
    old = load_meta(store.root)
    reason = _incremental_blocker(con, old, params, full, manifest.addresses_epoch)
    root = cluster_dir(store.root)
    if reason is None:
        uf = UnionFind(np.load(root / "parent.npy"), np.load(root / "size.npy"))
        uf.grow(n_addresses)
        after = tuple(old["last_position"])
        coinjoins = pq.read_table(root / "coinjoins.parquet")
        held = pq.read_table(root / "held.parquet")
    else:
        uf, after = UnionFind.singletons(n_addresses), START
        coinjoins, held = edges.COINJOIN_SCHEMA.empty_table(), HELD_SCHEMA.empty_table()
    view = store.chain_index()
    outside = load_outside(store, view)
    start = edges.first_after(view, after)
    if params.coinjoin_filter:
        types = load_state(store.root, manifest.generation).script_types
        new_cj = edges.coinjoin_verdicts(view, start, manifest.network == "mainnet", types,
                                         outside)  # fmt: skip
        coinjoins = pa.concat_tables([coinjoins, new_cj])
    excluded = _tx_ids(view, coinjoins["txid"]) if params.coinjoin_filter else np.zeros(0)
    n_edges, new_held = _unite_all(con, view, uf, params, start, excluded, outside, manifest)
    held = pa.concat_tables([held, _held_table(uf, new_held)])
    last = con.execute(
        "SELECT coalesce(max(height), -1), coalesce(max(tx_index), -1) FROM transactions"
        " WHERE height = (SELECT max(height) FROM transactions)"
    ).fetchone()
    labels = uf.labels()
    meta = {
        "method": METHOD,
        "heuristics": ["multi_input"]
        + (["coinjoin_filter"] if params.coinjoin_filter else [])
        + (["change"] if params.with_change else []),
        "parameters": asdict(params),
        "data_fingerprint": manifest.fingerprint,
        "network": manifest.network,
        "mode": "incremental" if reason is None else f"full ({reason})",
        "last_position": list(last),
        "addresses": int(n_addresses),
        "addresses_epoch": manifest.addresses_epoch,
        "history": _history(con, last[0]),
        "edges_added": int(n_edges),
        # a cluster's id is its smallest member, so each cluster has exactly one self-label
        "clusters": int(np.count_nonzero(labels == np.arange(len(labels), dtype=np.int32))),
        "coinjoins_excluded": coinjoins.num_rows,
        "held_merges": held.num_rows,
    }
    _write(root, uf, labels, coinjoins, held, meta)
    return meta


def _tx_ids(view, txids: pa.ChunkedArray) -> np.ndarray:
    """Sorted index ids of ``txids`` (those on the main chain)."""
    found = view.find_txs(hex_to_hashes(txids.combine_chunks()))
    return np.unique(found[found >= 0])


def _unite_all(con, view, uf: UnionFind, params: ClusterParams, start: int, excluded,
               outside, manifest):  # fmt: skip
    """Apply co-spend edges from transaction ``start`` on (and change edges when asked);
    return the edge count and the merges the collapse guard held."""
    n_edges, held = 0, []
    for src, dst, txs in edges.cospend_edges(view, start, excluded, outside):
        hold = uf.unite(src, dst, params.guard)
        if len(hold):
            names = view.txids.take(txs[hold]).to_pylist()
            held += [(t, int(src[i]), int(dst[i])) for t, i in zip(names, hold, strict=True)]
        n_edges += len(src)
    if params.with_change:
        from ledgerhound.cluster.changemerge import change_edges

        mainnet, lowest = manifest.network == "mainnet", manifest.height_range()[0]
        src, dst, txids = change_edges(con, params.change_min_confidence, mainnet, lowest)
        held += [(txids[i], src[i], dst[i]) for i in uf.unite(src, dst, params.guard)]
        n_edges += len(src)
    return n_edges, held


def _incremental_blocker(
    con, old: dict | None, params: ClusterParams, full: bool, epoch: int
) -> str | None:
    """Why the previous clustering cannot be extended (None: it can)."""
    if full:
        return "requested"
    if params.with_change:
        return "change-based merging is always rebuilt in full"
    if old is None:
        return "no previous build"
    if old["parameters"] != asdict(params):
        return "parameters changed"
    if old.get("addresses_epoch") != epoch:
        return "the store renumbered its address ids"
    if _history(con, old["last_position"][0]) != old["history"]:
        return "blocks added or inputs resolved at or below the last clustered height"
    return None


def _history(con, height: int) -> list[int]:
    """What the edges up to ``height`` depend on: main-chain blocks and resolved inputs there."""
    blocks = con.execute(
        "SELECT count(*) FROM blocks WHERE height IS NOT NULL AND height <= ?", [height]
    ).fetchone()[0]
    resolved = con.execute(
        "SELECT count(*) FROM inputs WHERE prev_value IS NOT NULL AND height <= ?", [height]
    ).fetchone()[0]
    return [int(blocks), int(resolved)]


def _held_table(uf: UnionFind, held: list) -> pa.Table:
    roots = [(_root(uf, a), _root(uf, b)) for _, a, b in held]
    return pa.table(
        {
            "txid": [t for t, _, _ in held],
            "address_id_a": [int(a) for _, a, _ in held],
            "address_id_b": [int(b) for _, _, b in held],
            "size_a": [int(uf.size[ra]) for ra, _ in roots],
            "size_b": [int(uf.size[rb]) for _, rb in roots],
        },
        schema=HELD_SCHEMA,
    )


def _root(uf: UnionFind, x: int) -> int:
    while uf.parent[x] != x:
        x = int(uf.parent[x])
    return x


def _write(root: Path, uf, labels, coinjoins, held, meta: dict) -> None:
    new = root.with_name(CLUSTER_DIR + ".new")
    shutil.rmtree(new, ignore_errors=True)
    try:
        new.mkdir(parents=True)
        np.save(new / "parent.npy", uf.parent)
        np.save(new / "size.npy", uf.size)
        ids = np.arange(len(labels), dtype=np.int32)
        pq.write_table(
            pa.table({"address_id": ids, "cluster_id": labels}), new / "clusters.parquet"
        )
        pq.write_table(coinjoins, new / "coinjoins.parquet")
        pq.write_table(held, new / "held.parquet")
        (new / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    except OSError as exc:
        shutil.rmtree(new, ignore_errors=True)
        raise StoreError(f"cannot write clustering into {root.parent}: {exc.strerror}") from None
    old = root.with_name(CLUSTER_DIR + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if root.exists():
        root.rename(old)
    new.rename(root)
    shutil.rmtree(old, ignore_errors=True)
