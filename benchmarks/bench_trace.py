"""Benchmark the tracing engine on a synthetic UTXO chain, against networkx and DuckDB.

    .venv/bin/python benchmarks/bench_trace.py [--txs 1000000] [--traces 200] [--screen 10000]
    (LEDGERHOUND_BENCH_QUICK=1, set by `run_all.py --quick`: 100,000 txs)

The chain is random but shaped like Bitcoin: 1-150 outputs per tx (mostly 2), outputs spent
after a geometric delay (recency), ~15 % left unspent, a quarter of outputs paid to reused "hub"
addresses with a Zipf popularity (the 30 busiest tagged as exchanges), values conserved with a
small fee. Transactions without inputs mint new coins (they stand in for coinbases).

Measured, once the graph is built and warm: 6-hop forward trace latency (p50/p99) for each policy
and a backward haircut trace, screening throughput (addresses/s, both directions, 4 hops), and the
same 6-hop reachability done by networkx BFS and by a DuckDB recursive CTE over the same Arrow
tables. Ratios are baseline time / ledgerhound time (higher = ledgerhound faster).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pyarrow as pa

from ledgerhound.trace import FlowGraph, Labels, screen, trace

OUT_COUNTS = np.array([1, 2, 3, 4, 5, 10, 30, 150])
OUT_PROBS = np.array([0.15, 0.62, 0.1, 0.05, 0.03, 0.03, 0.015, 0.005])


def synth_chain(n_tx: int, seed: int = 7) -> tuple[pa.Table, pa.Table, pa.Table, list[str]]:
    """(transactions, outputs, inputs) Arrow tables with the columns FlowGraph reads, + hubs."""
    rng = np.random.default_rng(seed)
    n_out = rng.choice(OUT_COUNTS, p=OUT_PROBS, size=n_tx)
    out_tx = np.repeat(np.arange(n_tx), n_out)
    n_o = len(out_tx)
    spender = out_tx + rng.geometric(1 / 300, n_o)
    spent = (rng.random(n_o) < 0.85) & (spender < n_tx)
    spent_ids = np.nonzero(spent)[0]
    order = np.argsort(spender[spent_ids], kind="stable")
    in_out = spent_ids[order]
    in_tx = spender[spent_ids][order]
    in_ptr = np.concatenate(([0], np.cumsum(np.bincount(in_tx, minlength=n_tx))))
    values = _values(rng, n_tx, n_out, in_ptr, in_out)

    hub = rng.random(n_o) < 0.25
    hub_rank = np.minimum(rng.zipf(1.3, n_o), 10_000) - 1
    addr_id = np.where(hub, hub_rank, 10_000 + np.arange(n_o))
    addresses = pa.array([f"addr{a}" for a in addr_id.tolist()])
    txids = pa.array([f"{t:064x}" for t in range(n_tx)])
    vout = np.arange(n_o) - np.repeat(np.cumsum(n_out) - n_out, n_out)
    height = (np.arange(n_tx) // 2000).astype(np.int32)

    transactions = pa.table(
        {"txid": txids, "height": height, "tx_index": (np.arange(n_tx) % 2000).astype(np.int32)}
    )
    outputs = pa.table(
        {
            "txid": txids.take(pa.array(out_tx)),
            "vout": vout.astype(np.int32),
            "value": values,
            "address": addresses,
        }
    )
    minted = np.nonzero(np.diff(in_ptr) == 0)[0]
    all_in_tx = np.concatenate((in_tx, minted))
    vin = np.concatenate((np.arange(len(in_tx)) - in_ptr[in_tx], np.zeros(len(minted), int)))
    prev = pa.concat_arrays(
        [txids.take(pa.array(out_tx[in_out])), pa.nulls(len(minted), pa.string())]
    )
    prev_vout = pa.array(
        np.concatenate((vout[in_out], np.zeros(len(minted), int))),
        mask=np.concatenate((np.zeros(len(in_out), bool), np.ones(len(minted), bool))),
    )
    prev_value = pa.array(
        np.concatenate((values[in_out], np.zeros(len(minted), np.int64))),
        mask=np.concatenate((np.zeros(len(in_out), bool), np.ones(len(minted), bool))),
    )
    inputs = pa.table(
        {
            "txid": txids.take(pa.array(all_in_tx)),
            "vin": vin.astype(np.int32),
            "prev_txid": prev,
            "prev_vout": prev_vout,
            "prev_value": prev_value,
        }
    )
    return transactions, outputs, inputs, [f"addr{h}" for h in range(30)]


def _values(rng, n_tx, n_out, in_ptr, in_out) -> np.ndarray:
    """Output values in chain order: inputs' sum minus a small fee, split at random."""
    out_ptr = np.concatenate(([0], np.cumsum(n_out))).tolist()
    weights = (rng.random(int(out_ptr[-1])) + 0.05).tolist()
    minted = rng.integers(10**6, 10**10, n_tx).tolist()
    fee_ppm = rng.integers(0, 3000, n_tx).tolist()
    in_ptr_l, in_out_l = in_ptr.tolist(), in_out.tolist()
    val = [0] * int(out_ptr[-1])
    for t in range(n_tx):
        lo, hi = in_ptr_l[t], in_ptr_l[t + 1]
        total = sum(val[o] for o in in_out_l[lo:hi]) if hi > lo else minted[t]
        spend = total - total * fee_ppm[t] // 1_000_000
        a, b = out_ptr[t], out_ptr[t + 1]
        w = weights[a:b]
        s = sum(w)
        for k in range(a, b):
            val[k] = int(spend * weights[k] / s)
    return np.array(val, dtype=np.int64)


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.array(xs) * 1000, q))


def timed(fn, *args, **kw) -> float:
    t0 = time.perf_counter()
    fn(*args, **kw)
    return time.perf_counter() - t0


def bench_traces(g: FlowGraph, labels: Labels, seeds: list[str], report: dict) -> None:
    for name, kw in [
        ("haircut_fwd", {"policy": "haircut"}),
        ("poison_fwd", {"policy": "poison"}),
        ("fifo_fwd", {"policy": "fifo"}),
        ("haircut_bwd", {"policy": "haircut", "direction": "backward"}),
    ]:
        for s in seeds[:10]:  # warm-up
            trace(g, [s], labels, hops=6, **kw)
        times, touched = [], []
        for s in seeds:
            t0 = time.perf_counter()
            r = trace(g, [s], labels, hops=6, **kw)
            times.append(time.perf_counter() - t0)
            touched.append(sum(len(e[0]) for e in r.trail.edges_in))
        report[name] = {
            "p50_ms": round(pct(times, 50), 3),
            "p99_ms": round(pct(times, 99), 3),
            "mean_outputs_touched": round(float(np.mean(touched)), 1),
        }
        print(
            f"  6-hop {name:12s} p50 {report[name]['p50_ms']:8.2f} ms   "
            f"p99 {report[name]['p99_ms']:8.2f} ms   "
            f"({report[name]['mean_outputs_touched']} tainted outputs/trace)"
        )


def bench_networkx(g: FlowGraph, seed_txs: list[int], report: dict) -> None:
    import networkx as nx

    t0 = time.perf_counter()
    spent = g.out_spent_tx >= 0
    dg = nx.DiGraph()
    dg.add_edges_from(zip(g.out_tx[spent].tolist(), g.out_spent_tx[spent].tolist(), strict=True))
    build = time.perf_counter() - t0
    times = [timed(nx.single_source_shortest_path_length, dg, t, cutoff=6) for t in seed_txs]
    report["networkx_bfs"] = {
        "build_s": round(build, 1),
        "p50_ms": round(pct(times, 50), 3),
        "p99_ms": round(pct(times, 99), 3),
    }
    print(
        f"  networkx BFS (tx graph, reachability only): build {build:.1f} s, "
        f"p50 {pct(times, 50):.2f} ms, p99 {pct(times, 99):.2f} ms"
    )


def bench_duckdb(tables: tuple[pa.Table, ...], txids: list[str], report: dict) -> None:
    import duckdb

    con = duckdb.connect()
    con.register("inputs", tables[2])
    sql = """
        WITH RECURSIVE walk(txid, hop) AS (
            SELECT ?::VARCHAR, 0
            UNION
            SELECT i.txid, w.hop + 1 FROM walk w JOIN inputs i ON i.prev_txid = w.txid
            WHERE w.hop < 6
        ) SELECT count(DISTINCT txid) FROM walk"""
    con.execute(sql, [txids[0]]).fetchall()  # warm-up
    times = [timed(lambda t=t: con.execute(sql, [t]).fetchall()) for t in txids]
    report["duckdb_recursive_cte"] = {
        "p50_ms": round(pct(times, 50), 3),
        "p99_ms": round(pct(times, 99), 3),
    }
    print(
        f"  DuckDB recursive CTE (reachability only): p50 {pct(times, 50):.2f} ms, "
        f"p99 {pct(times, 99):.2f} ms"
    )


def main() -> None:
    quick = os.environ.get("LEDGERHOUND_BENCH_QUICK") == "1"  # `run_all.py --quick`
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--txs", type=int, default=100_000 if quick else 1_000_000)
    ap.add_argument("--traces", type=int, default=100 if quick else 200)
    ap.add_argument("--screen", type=int, default=2000 if quick else 10_000)
    ap.add_argument("--baseline-traces", type=int, default=10 if quick else 30)
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()
    report: dict = {"txs": args.txs}

    t0 = time.perf_counter()
    tables = synth_chain(args.txs)
    report["synth_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    g = FlowGraph.from_arrow(*tables[:3])
    report["graph_build_s"] = round(time.perf_counter() - t0, 2)
    nbytes = sum(v.nbytes for v in vars(g).values() if isinstance(v, np.ndarray))
    nbytes += sum(v.nbytes for s in (g.forward, g.backward) for v in vars(s).values())
    report.update(outputs=g.output_count, graph_numpy_mb=round(nbytes / 2**20))
    print(
        f"synthetic chain: {args.txs:,} txs, {g.output_count:,} outputs "
        f"({report['synth_s']} s); FlowGraph build {report['graph_build_s']} s, "
        f"{report['graph_numpy_mb']} MiB of arrays"
    )

    run_all(args, g, tables, report)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1, sort_keys=True)


def run_all(args, g: FlowGraph, tables, report: dict) -> None:
    rng = np.random.default_rng(1)
    labels = Labels.build(g, {h: ["exchange"] for h in tables[3]})
    spent = np.nonzero(np.asarray(g.out_spent_tx) >= 0)[0]
    seed_outs = rng.choice(spent, args.traces, replace=False)
    seeds = [g.outpoint(int(o)) for o in seed_outs]
    bench_traces(g, labels, seeds, report)

    # customers, not hubs: addresses addr10000.. are single-use ones
    names = g.addresses.take(np.arange(min(len(g.addresses), 4 * args.screen + 20_000))).to_pylist()
    fresh = [a for a in names[: 4 * args.screen + 20_000] if int(a[4:]) >= 10_000]
    pick = [fresh[i] for i in rng.choice(len(fresh), min(args.screen, len(fresh)), replace=False)]
    t0 = time.perf_counter()
    screen(g, pick, labels, hops=4)
    dt = time.perf_counter() - t0
    report["screening_addresses_per_s"] = round(len(pick) / dt)
    print(
        f"  screening: {len(pick)} addresses (in+out, 4 hops) in {dt:.2f} s = "
        f"{report['screening_addresses_per_s']} addresses/s"
    )

    base_txs = [int(g.out_spent_tx[o]) for o in seed_outs[: args.baseline_traces]]
    if not args.no_networkx:
        bench_networkx(g, base_txs, report)
    bench_duckdb(tables, [g.txid(t) for t in base_txs], report)
    lh = report["poison_fwd"]["p50_ms"]
    for base in ("networkx_bfs", "duckdb_recursive_cte"):
        if base in report:
            ratio = report[base]["p50_ms"] / lh
            report[base]["ratio_vs_ledgerhound_poison_p50"] = round(ratio, 1)
            print(f"  ratio {base} / ledgerhound poison 6-hop p50 = {ratio:.1f}x")


if __name__ == "__main__":
    main()
