"""Benchmark ``ledgerhound simulate``: throughput (tx/s) and memory as the scenario grows.

Usage: ``python benchmarks/bench_simulate.py [--size 1000000] [--seed N] [--out DIR] [--quick]``

Prints transactions per second, peak RSS and the RSS sampled along the run (it should level off
once the population is complete: the simulator streams blocks and truth to disk, and its state is
the wallets' unspent coins, bounded by the population size, not by the number of transactions).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from ledgerhound.sim.scenario import Options, simulate

PAGE = 4096


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1_000_000, help="transactions to generate")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="keep output here (default: temp)")
    ap.add_argument("--quick", action="store_true", help="100,000 transactions only")
    args, _ = ap.parse_known_args()  # run_all.py passes shared flags through
    if args.quick:
        args.size = 100_000
    tmp = None
    if args.out is None:
        tmp = Path(tempfile.mkdtemp(prefix="lh-bench-sim-"))
        out = tmp / "scenario"
    else:
        out = args.out
    samples: list[tuple[int, int, float, float]] = []
    start = time.perf_counter()

    def progress(height: int, txs: int) -> None:
        if height % 250 == 0:
            samples.append((height, txs, time.perf_counter() - start, rss_mb()))
            h, t, secs, rss = samples[-1]
            print(f"  .. height {h:,}  {t:,} txs  {secs:.0f} s  RSS {rss:.0f} MB", flush=True)

    try:
        summary = simulate(Options(seed=args.seed, out=out, size=args.size), progress)
        elapsed = time.perf_counter() - start
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    txs = summary["transactions"]
    print(f"size {args.size:,}: {summary['blocks']:,} blocks, {txs:,} transactions")
    print(f"  inputs {summary['inputs']:,}  outputs {summary['outputs']:,}  bytes {size:,}")
    rate = txs / elapsed
    print(f"  elapsed {elapsed:.1f} s  throughput {rate:,.0f} tx/s  peak RSS {peak:.0f} MB")
    print("  height  transactions  seconds  RSS MB")
    for height, t, secs, rss in samples:
        print(f"  {height:>6}  {t:>12,}  {secs:>7.1f}  {rss:>6.0f}")
    if args.size < 10_000_000:
        print(f"  10M extrapolation at this rate: {10_000_000 / (txs / elapsed) / 60:.0f} min")


if __name__ == "__main__":
    main()
