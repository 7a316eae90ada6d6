"""Typology detection: full-scan and --seed times on a simulated chain, and accuracy per size.

Simulates a scenario (``--size``, default 200,000 transactions; 20,000 with
LEDGERHOUND_BENCH_QUICK=1), ingests it, builds the clustering, imports the scenario's intel tags,
then times ``detect`` over the whole chain and in --seed mode (seeds: the campaign addresses the
scenario's OSINT posts publish, hops 2) and prints per-detector counts and F1 from the
``typologies`` evaluate metric. Single process.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from ledgerhound.attribution.importer import import_files
    from ledgerhound.cluster.build import build
    from ledgerhound.detect.evaluation import UNIT, truth_sets
    from ledgerhound.detect.run import scan
    from ledgerhound.sim.evaluate import EvalContext, set_scores
    from ledgerhound.sim.scenario import Options, simulate
    from ledgerhound.sources.blkfiles import read_block_batches
    from ledgerhound.store import Store

    quick = os.environ.get("LEDGERHOUND_BENCH_QUICK") == "1"
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=20_000 if quick else 200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=None, help="keep the scenario and store here")
    args = ap.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="lh-bench-detect-"))
    scenario, store_dir = root / "scenario", root / "store"
    t = time.perf_counter()
    if not (scenario / "truth" / "summary.json").exists():
        simulate(Options(seed=args.seed, out=scenario, size=args.size))
    store = Store(store_dir)
    if not (store_dir / "manifest.json").exists():
        store.ingest(read_block_batches([scenario / "blocks"]))
        build(store)
        import_files(
            store.root, [scenario / "intel" / "tagpack.yaml", scenario / "intel" / "sdn.xml"]
        )
    stats = store.stats()
    print(f"scenario seed {args.seed}: {stats['transactions']:,} transactions "
          f"(prepared in {time.perf_counter() - t:.1f} s)")  # fmt: skip
    t = time.perf_counter()
    report = scan(store)
    full = time.perf_counter() - t
    print(f"full scan: {full:.2f} s, {stats['transactions'] / full:,.0f} tx/s, "
          f"{len(report['findings']):,} findings, peak RSS {_peak_mb():.0f} MB")  # fmt: skip
    with open(scenario / "truth" / "osint.csv", newline="") as fh:
        seeds = sorted(
            {r["address"] for r in csv.DictReader(fh) if r["is_campaign_address"] == "true"}
        )
    known = {r[0] for r in store.connect().execute("SELECT address FROM addresses").fetchall()}
    seeds = [s for s in seeds if s in known][:20]
    t = time.perf_counter()
    near = scan(store, seeds=seeds, hops=2)
    print(f"seed scan ({len(seeds)} seeds, hops 2): {time.perf_counter() - t:.2f} s, "
          f"{len(near['findings'])} findings: {near['counts']}")  # fmt: skip
    ctx = EvalContext(scenario, store)
    truth = truth_sets(ctx)
    for name, unit in UNIT.items():
        got = {x for f in report["findings"] if f["typology"] == name for x in f[unit]}
        s = set_scores(truth[name], got)
        print(f"  {name:32} findings {report['counts'][name]:6}  P {s['precision']:.3f} "
              f"R {s['recall']:.3f} F1 {s['f1']:.3f}")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
