"""Everything a trace needs from a store, loaded once: flow graph, labels, data fingerprint.

The flow graph is the store's chain index (written at ingest, memory-mapped: opening it costs
milliseconds); cluster ids per address are cached in ``<store>/trace-graph/``. Labels come from
imported tags; a tag on any address of a cluster is pushed down to its other addresses (the ``via``
path is kept in the tag store) so a service's unlabelled deposit addresses stop traces too.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ledgerhound.attribution import tagstore
from ledgerhound.store import layout
from ledgerhound.trace.graph import FlowGraph
from ledgerhound.trace.labels import Labels
from ledgerhound.trace.loader import arrow_table
from ledgerhound.trace.seeds import height_window

GRAPH_DIR = layout.TRACE_CACHE


@dataclass
class TraceSession:
    graph: FlowGraph
    labels: Labels
    fingerprint: str
    blocks: pa.Table  # main-chain (height, timestamp), for --since/--until dates

    def window(self, since: str | None, until: str | None) -> tuple[int | None, int | None]:
        return height_window(self.blocks, since, until)


def open_session(store: Any) -> TraceSession:
    manifest = store.manifest()
    graph = flow_graph(store, manifest.fingerprint)
    con = store.connect()
    try:
        blocks = arrow_table(con.sql("SELECT height, timestamp FROM blocks WHERE in_main_chain"))
        clusters = graph_clusters(con, store.root, graph)
    finally:
        con.close()
    return TraceSession(graph, _labels(store.root, graph, clusters), manifest.fingerprint, blocks)


def flow_graph(store: Any, fingerprint: str = "") -> FlowGraph:
    """The store's flow graph: its chain index, memory-mapped (written at ingest)."""
    return store.chain_index()


def graph_clusters(con: Any, root: Path, graph: FlowGraph) -> np.ndarray | None:
    """Cluster id per address id (-1 none), cached for this clustering build and address count.

    The chain index numbers addresses like the store's ``addresses`` table, so this is a
    scatter of the clusterer's ``(address_id, cluster_id)`` pairs: no address strings.
    """
    from ledgerhound.cluster.build import cluster_dir
    from ledgerhound.cluster.lookup import attach

    if not attach(con, root):
        return None
    meta = (cluster_dir(root) / "meta.json").read_bytes()
    key = hashlib.sha256(meta + str(len(graph.addresses)).encode()).hexdigest()[:16]
    cache = layout.trace_cache_dir(root) / f"clusters-{key}.npy"
    if cache.exists():
        return np.load(cache, mmap_mode="r")
    table = arrow_table(con.sql("SELECT address_id, cluster_id FROM clusters"))
    ids = table["address_id"].to_numpy()
    clusters = np.full(len(graph.addresses), -1, dtype=np.int64)
    inside = ids < len(clusters)
    clusters[ids[inside]] = table["cluster_id"].to_numpy()[inside]
    cache.parent.mkdir(parents=True, exist_ok=True)
    for old in cache.parent.glob("clusters-*.npy"):
        old.unlink()
    tmp = cache.with_suffix(".partial.npy")
    np.save(tmp, clusters, allow_pickle=False)
    os.replace(tmp, cache)
    return clusters


def _labels(root: Path, graph: FlowGraph, clusters: np.ndarray | None) -> Labels:
    tags = tagstore.table_to_tags(tagstore.load_tags(root))
    by_address: dict[str, set[str]] = {}
    for tag in tags:
        if tag.valid is not False and tag.categories:
            by_address.setdefault(tag.address, set()).update(tag.categories)
    by_cluster: dict[int, set[str]] = {}
    if clusters is not None:
        index = graph.address_ids(list(by_address))
        for address, cats in by_address.items():
            a = index.get(address)
            if a is not None and clusters[a] >= 0:
                by_cluster.setdefault(int(clusters[a]), set()).update(cats)
    return Labels.build(graph, by_address, clusters, by_cluster)


def seed_warnings(session: TraceSession, seeds: list[str]) -> list[str]:
    """Warn when a seed address is itself attributed to a service: what leaves it afterwards is
    the service's own money (other customers' funds), not the seed's."""
    from ledgerhound.trace.labels import is_service

    index = session.graph.address_ids([str(s) for s in seeds])
    notes = []
    for seed in seeds:
        a = index.get(seed)
        cats = session.labels.of(a) if a is not None else ()
        services = [c for c in cats if is_service(c)]
        if services:
            notes.append(
                f"seed {seed} is attributed to a service ({', '.join(services)}): flows after "
                "it are the service's own and are not attributable to the seed"
            )
    return notes


def tag_groups(session: TraceSession, store_root: Path) -> tuple[dict, dict]:
    """Valid imported tags grouped by address, and by the cluster of their address."""
    tags = [
        t for t in tagstore.table_to_tags(tagstore.load_tags(store_root)) if t.valid is not False
    ]
    index = session.graph.address_ids(sorted({t.address for t in tags}))
    by_address: dict[str, list] = {}
    by_cluster: dict[int, list] = {}
    for tag in tags:
        by_address.setdefault(tag.address, []).append(tag)
        a = index.get(tag.address)
        cluster = session.labels.cluster(a) if a is not None else None
        if cluster is not None:
            by_cluster.setdefault(cluster, []).append(tag)
    return by_address, by_cluster


def attach_tags(doc: dict, session: TraceSession, store_root: Path) -> dict:
    """Add ``tags`` ([{label, category, source, confidence, via}]) to every endpoint of a trace
    answer: the attribution behind its categories, ``via`` ``address`` (a tag on the endpoint
    itself) or ``cluster`` (a tag on another address of its cluster)."""
    by_address, by_cluster = tag_groups(session, store_root)
    for endpoint in doc.get("endpoints", []):
        address, cid = endpoint.get("address"), endpoint.get("cluster_id")
        own = by_address.get(address, []) if address else []
        others = (
            [t for t in by_cluster.get(cid, []) if t.address != address] if cid is not None else []
        )
        endpoint["tags"] = [_tag_ref(t, "address") for t in own] + [
            _tag_ref(t, "cluster") for t in others
        ]
    return doc


def _tag_ref(tag: Any, via: str) -> dict[str, Any]:
    return {
        "label": tag.label,
        "category": tag.category or tag.abuse,
        "source": tag.source,
        "confidence": tag.confidence,
        "via": via,
        "address": tag.address,
    }
