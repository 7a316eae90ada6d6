"""The whole pipeline at scale: simulate -> ingest -> cluster build -> trace -> screen -> detect.

Prints wall time, throughput and peak RSS of each stage on one simulated chain, so the issues'
"on a >= 10M-transaction simulated chain" figures can be re-measured with one command:

    python benchmarks/bench_pipeline.py --size 10000000 --work /tmp/lh-bench

``--work`` keeps the scenario and store between runs (an existing scenario or store is reused).
With LEDGERHOUND_BENCH_QUICK=1 (``make bench`` quick mode) it runs on ``--size small``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ledgerhound.cli.main import run


def rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def stage(name: str, fn, count: int | None = None, unit: str = "tx"):
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    rate = f", {count / took:,.0f} {unit}/s" if count else ""
    print(f"{name}: {took:,.1f} s{rate} (peak RSS so far {rss_mb():,.0f} MiB)", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick = os.environ.get("LEDGERHOUND_BENCH_QUICK") == "1"
    parser.add_argument("--size", default="small" if quick else "1000000")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--traces", type=int, default=50)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="lh-bench-"))
    scenario, store_dir = work / "scenario", work / "store"
    if not (scenario / "truth").is_dir():
        stage("simulate", lambda: run(["simulate", "--seed", "1", "--size", args.size,
                                       "--out", str(scenario)]))  # fmt: skip
    from ledgerhound.store import Store

    if not (store_dir / "manifest.json").exists():
        stage("ingest", lambda: run(["--store", str(store_dir), "ingest", "blocks",
                                     str(scenario / "blocks")]))  # fmt: skip
    store = Store(store_dir)
    stats = store.stats()
    print(f"store: {stats['transactions']:,} transactions, {stats['inputs']:,} inputs, "
          f"{stats['addresses']:,} addresses")  # fmt: skip
    from ledgerhound.cluster.build import build

    meta = stage("cluster build (full)", lambda: build(store, full=True), stats["inputs"], "inputs")
    print(f"  {meta['clusters']:,} clusters, {meta['coinjoins_excluded']:,} CoinJoins excluded")
    _traces(store, args.traces)
    from ledgerhound.detect.run import scan
    from ledgerhound.market.prices import load_prices

    prices = load_prices(None)  # the simulator's own price series (structuring in USD)
    stage("detect (full scan)", lambda: scan(store, prices=prices), stats["transactions"])
    con = store.connect()
    published = _campaign_addresses(scenario)
    sql = "SELECT address FROM addresses WHERE address IN (SELECT unnest(?::VARCHAR[]))"
    known = {r[0] for r in con.execute(sql, [published]).fetchall()}
    con.close()
    seeds = sorted(known)[:10]  # published and paid: some published addresses never were
    stage(f"detect --seed ({len(seeds)} campaign addresses, 2 hops, warm graph)",
          lambda: scan(store, seeds=seeds, hops=2, prices=prices))  # fmt: skip
    return 0


def _campaign_addresses(scenario: Path) -> list[str]:
    """The campaign addresses the scenario's posts publish (where an investigator starts)."""
    import csv

    with open(scenario / "truth" / "osint.csv", newline="") as fh:
        return sorted({r["address"] for r in csv.DictReader(fh)
                       if r["is_campaign_address"] == "true"})  # fmt: skip


def _traces(store, n: int) -> None:
    from ledgerhound.trace import screen, trace
    from ledgerhound.trace.session import open_session

    session = stage("trace session (flow graph build or load)", lambda: open_session(store))
    stage("trace session (warm reload)", lambda: open_session(store))
    rng = random.Random(1)
    count = len(session.graph.addresses)
    sample = [rng.randrange(count) for _ in range(12_000)]
    addresses = session.graph.addresses.take(sample).to_pylist()
    seeds = addresses[:n]
    times = []
    for seed in seeds:
        start = time.perf_counter()
        trace(session.graph, [seed], session.labels, hops=6, policy="haircut")
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    p50 = statistics.median(times)
    print(f"6-hop haircut trace, {len(times)} random seeds: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    batch = sorted(set(addresses))[:10_000]
    stage("screen 10,000 addresses", lambda: screen(session.graph, batch, session.labels),
          len(batch), "addresses")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
