"""Score the change heuristics and the peel-chain walk against a simulated scenario's truth.

Usage: ``python benchmarks/bench_change.py [--scenario DIR | --size N --seed S] [--json]``

Simulates (or reuses) a scenario, ingests its blocks into a temporary store, rebuilds every
transaction's TxShape from the store (inputs resolved), annotates it with a full-history
``ShapeIndex`` and compares with ``truth/transactions.csv`` (true change vout, -1 for none) and
``truth/peel_hops.csv``. Prints per-heuristic precision/coverage, the combiner's precision per
confidence band (calibration), throughput, and peel-chain recovery.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from ledgerhound.cluster import change, peel
from ledgerhound.cluster.txshape import TxShape
from ledgerhound.sim.scenario import Options, simulate
from ledgerhound.sources.blkfiles import read_block_batches
from ledgerhound.store import Store

TX_SQL = """SELECT txid, height, tx_index, version, locktime, is_coinbase FROM transactions
            ORDER BY height, tx_index"""
OUT_SQL = "SELECT txid, vout, value, address, script_type FROM outputs ORDER BY txid, vout"
IN_SQL = """SELECT txid, vin, prev_txid, prev_vout, prev_value, prev_address, prev_script_type
            FROM inputs ORDER BY txid, vin"""
BANDS = ((0, 40), (40, 50), (50, 60), (60, 70), (70, 90), (90, 100), (100, 101))


def load_shapes(store: Store) -> list[TxShape]:
    """Every transaction of the store as a TxShape, in chain order (a benchmark-sized load)."""
    con = store.connect()
    try:
        outs: dict[str, list[tuple]] = defaultdict(list)
        for txid, _, value, address, kind in con.execute(OUT_SQL).fetchall():
            outs[txid].append((value, address, kind))
        ins: dict[str, list[tuple]] = defaultdict(list)
        for txid, _, ptx, pvout, value, address, kind in con.execute(IN_SQL).fetchall():
            ins[txid].append((value, address, kind, None if ptx is None else (ptx, int(pvout))))
        rows = con.execute(TX_SQL).fetchall()
    finally:
        con.close()
    shapes = []
    for txid, height, index, version, locktime, coinbase in rows:
        i, o = ins[txid], outs[txid]
        shapes.append(TxShape(
            txid, height, coinbase, tuple(x[0] for x in i), tuple(x[1] for x in i),
            tuple(x[0] for x in o), tuple(x[1] for x in o), tuple(x[2] for x in o),
            index, version, locktime, tuple(x[2] for x in i), tuple(x[3] for x in i),
        ))  # fmt: skip
    return shapes


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else round(num / den, 4)


def score_change(shapes: list[TxShape], truth: dict[str, int], ctx: change.ShapeIndex) -> dict:
    """Per-heuristic and combined precision against the true change vout."""
    per: dict[str, Counter] = defaultdict(Counter)
    bands: dict[str, Counter] = defaultdict(Counter)
    combined: Counter = Counter()
    start = time.perf_counter()
    judged = 0
    for tx in shapes:
        if tx.txid not in truth or tx.is_coinbase:
            continue
        judged += 1
        true = truth[tx.txid]
        combined["with_change"] += true >= 0
        for vote in change.votes(tx, ctx):
            per[vote.heuristic]["votes"] += 1
            per[vote.heuristic]["right"] += vote.index == true
        ann = change.annotate(tx, ctx, mainnet=False)
        if ann is None:
            continue
        combined["annotated"] += 1
        combined["right"] += ann.index == true
        band = next(f"{lo}-{hi - 1}" for lo, hi in BANDS if lo <= ann.confidence < hi)
        bands[band]["n"] += 1
        bands[band]["right"] += ann.index == true
    took = time.perf_counter() - start
    return {
        "transactions": judged,
        "with_change": combined["with_change"],
        "annotated": combined["annotated"],
        "precision": _ratio(combined["right"], combined["annotated"]),
        "recall": _ratio(combined["right"], combined["with_change"]),
        "heuristics": {
            name: {
                "votes": c["votes"],
                "precision": _ratio(c["right"], c["votes"]),
                "coverage": _ratio(c["votes"], judged),
            }  # fmt: skip
            for name, c in per.items()
        },
        "by_confidence": {
            b: {"n": c["n"], "precision": _ratio(c["right"], c["n"])}
            for b, c in sorted(bands.items(), key=lambda kv: int(kv[0].split("-")[0]))
        },
        "annotate_tx_per_s": round(judged / took) if took else None,
    }


def score_peels(ctx: change.ShapeIndex, hops: list[dict[str, str]]) -> dict[str, Any]:
    """Walk from each true chain's first hop; compare the hops found with the true ones."""
    chains: dict[str, list[str]] = defaultdict(list)
    for row in sorted(hops, key=lambda r: (r["chain_id"], int(r["hop"]))):
        chains[row["chain_id"]].append(row["txid"])
    found = right = true_total = exact = 0
    ends: Counter = Counter()
    for txids in chains.values():
        start = ctx.tx(txids[0])
        if start is None:
            continue
        walk = peel.follow(start, ctx, mainnet=False)
        got = [h.txid for h in walk.hops]
        found += len(got)
        right += len(set(got) & set(txids))
        true_total += len(txids)
        exact += got[: len(txids)] == txids
        ends[walk.end] += 1
    return {
        "chains": len(chains),
        "true_hops": true_total,
        "hop_precision": _ratio(right, found),
        "hop_recall": _ratio(right, true_total),
        "chains_fully_followed": exact,
        "ends": dict(sorted(ends.items())),
    }


def run(scenario: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lh-bench-change-") as tmp:
        store = Store(Path(tmp) / "store")
        store.ingest(read_block_batches([scenario / "blocks"]))
        start = time.perf_counter()
        shapes = load_shapes(store)
        load_s = time.perf_counter() - start
    ctx = change.ShapeIndex(shapes, history_from=0)  # the simulated chain starts at genesis
    truth = {
        r["txid"]: int(r["change_vout"]) for r in read_csv(scenario / "truth/transactions.csv")
    }
    return {
        "shapes": len(shapes),
        "load_shapes_s": round(load_s, 2),
        "change": score_change(shapes, truth, ctx),
        "peel": score_peels(ctx, read_csv(scenario / "truth/peel_hops.csv")),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=None, help="an existing simulate --out dir")
    ap.add_argument("--size", type=int, default=200_000, help="transactions to simulate")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args, _ = ap.parse_known_args()
    if os.environ.get("LEDGERHOUND_BENCH_QUICK"):
        args.size = 20_000
    tmp = None
    scenario = args.scenario
    if scenario is None:
        tmp = Path(tempfile.mkdtemp(prefix="lh-bench-change-sim-"))
        scenario = tmp / "scenario"
        simulate(Options(seed=args.seed, out=scenario, size=args.size))
    try:
        result = run(scenario)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
        return
    c, p = result["change"], result["peel"]
    print(
        f"{result['shapes']:,} txs; {c['with_change']:,} of {c['transactions']:,} judged "
        "have change"
    )
    print(
        f"combined: {c['annotated']:,} annotated, precision {c['precision']}, recall {c['recall']}"
    )
    for name, h in c["heuristics"].items():
        print(
            f"  {name:22s} votes {h['votes']:>8,}  precision {h['precision']}  "
            f"coverage {h['coverage']}"
        )
    for band, b in c["by_confidence"].items():
        print(f"  confidence {band:>7s}: {b['n']:>8,} annotations, precision {b['precision']}")
    print(f"votes + annotate: {c['annotate_tx_per_s']:,} tx/s (pure Python, one core)")
    print(f"peel chains: {p}")


if __name__ == "__main__":
    main()
