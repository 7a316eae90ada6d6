"""Clustering throughput: union-find core vs scipy and networkx, and `cluster build` end to end.

Part 1 builds co-spend edges shaped like Bitcoin's (1-5 inputs per transaction, heavy address
reuse) and times ledgerhound's union-find (inputs/s, bytes of RAM per address) against
scipy.sparse.csgraph.connected_components and networkx.connected_components on the same edges.
Part 2 simulates a chain, ingests it and times `cluster build` over the store (DuckDB edge
query + CoinJoin detection + union-find). Single process; sizes shrink with
LEDGERHOUND_BENCH_QUICK=1.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ledgerhound.cluster import unionfind
from ledgerhound.cluster.unionfind import UnionFind

QUICK = os.environ.get("LEDGERHOUND_BENCH_QUICK") == "1"


def synthetic_edges(n_tx: int, n_addr: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, int]:
    """Edges (first input address -> each other input address) and the number of inputs."""
    rng = np.random.default_rng(seed)
    k = rng.choice([1, 2, 3, 4, 5], size=n_tx, p=[0.55, 0.25, 0.1, 0.06, 0.04])
    n_inputs = int(k.sum())
    # Zipf-like reuse: most addresses are seen once, some are reused heavily
    addr = (rng.pareto(1.2, n_inputs) * n_addr / 50).astype(np.int64) % n_addr
    addr = addr.astype(np.int32)
    tx_of = np.repeat(np.arange(n_tx), k)
    starts = np.r_[0, np.cumsum(k)[:-1]]
    root = addr[starts][tx_of]
    keep = root != addr
    return root[keep], addr[keep], n_inputs


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_core(n_tx: int, n_addr: int) -> float:
    src, dst, n_inputs = synthetic_edges(n_tx, n_addr)
    before = peak_rss_mb()
    start = time.perf_counter()
    uf = UnionFind.singletons(n_addr)
    uf.unite(src, dst)
    labels = uf.labels()
    ours = time.perf_counter() - start
    per_addr = (uf.parent.nbytes + uf.size.nbytes + labels.nbytes) / n_addr
    rss_delta = max(peak_rss_mb() - before, 0.0) * 1024 * 1024 / n_addr
    clusters = len(np.unique(labels))
    print(f"edges: {n_tx:,} txs, {n_inputs:,} inputs, {len(src):,} edges, {n_addr:,} addresses")
    print(f"ledgerhound union-find (native={unionfind.NATIVE}): {ours:.3f} s, "
          f"{n_inputs / ours / 1e6:.1f} M inputs/s, {clusters:,} clusters")  # fmt: skip
    print(
        f"  memory: arrays {per_addr:.1f} bytes/address; peak RSS growth {rss_delta:.1f} B/address"
    )
    return ours


def bench_scipy(n_tx: int, n_addr: int, ours: float) -> None:
    try:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components
    except ImportError:
        print("scipy: not installed (pip install '.[bench]')")
        return
    src, dst, n_inputs = synthetic_edges(n_tx, n_addr)
    start = time.perf_counter()
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n_addr, n_addr))
    connected_components(graph.tocsr(), directed=False)
    took = time.perf_counter() - start
    print(f"scipy connected_components: {took:.3f} s, {n_inputs / took / 1e6:.1f} M inputs/s "
          f"-> ledgerhound is {took / ours:.1f}x scipy")  # fmt: skip


def bench_networkx(n_tx: int, n_addr: int, ours_rate: float) -> None:
    try:
        import networkx as nx
    except ImportError:
        print("networkx: not installed (pip install '.[bench]')")
        return
    src, dst, n_inputs = synthetic_edges(n_tx, n_addr)
    start = time.perf_counter()
    g = nx.Graph()
    g.add_nodes_from(range(n_addr))
    g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    sum(1 for _ in nx.connected_components(g))
    took = time.perf_counter() - start
    rate = n_inputs / took
    print(f"networkx connected_components ({n_tx:,} txs): {took:.2f} s, {rate / 1e6:.2f} M inputs/s"
          f" -> ledgerhound is {ours_rate / rate:.0f}x networkx (per input)")  # fmt: skip


def bench_build(size: str) -> None:
    from ledgerhound.cli.main import run
    from ledgerhound.cluster.build import build
    from ledgerhound.sources.blkfiles import read_block_batches
    from ledgerhound.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sim"
        if run(["simulate", "--seed", "1", "--out", str(out), "--size", size]):
            print("cluster build: simulate failed; skipped")
            return
        store = Store(Path(tmp) / "store")
        store.ingest(read_block_batches([out / "blocks"]))
        inputs = store.stats()["inputs"]
        start = time.perf_counter()
        meta = build(store)
        took = time.perf_counter() - start
        print(
            f"cluster build on a simulated chain ({size}): {inputs:,} inputs in {took:.2f} s = "
            f"{inputs / took / 1e3:.0f} k inputs/s end to end (DuckDB edges + CoinJoin + "
            f"union-find), {meta['clusters']:,} clusters, {meta['coinjoins_excluded']} CoinJoins"
        )


def main() -> int:
    n_tx = 200_000 if QUICK else 10_000_000
    n_addr = 2 * n_tx
    ours = bench_core(n_tx, n_addr)
    _, _, n_inputs = synthetic_edges(n_tx, n_addr)
    bench_scipy(n_tx, n_addr, ours)
    nx_tx = min(n_tx, 200_000)
    bench_networkx(nx_tx, 2 * nx_tx, n_inputs / ours)
    bench_build("small" if QUICK else "medium")
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
