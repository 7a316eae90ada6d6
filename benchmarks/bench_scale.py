"""Scale: ingest, chain index, cluster build, detect, trace and lookups at 1M, 3M and 10M tx.

For each simulated chain size this measures, every command in its own process (peak RSS from
``wait4``): end-to-end ``ingest blocks`` (tx/s), the chain-index build from the Parquet parts
(the rebuild path), store bytes per transaction (Parquet tables and index apart), ``cluster
build``, ``detect --json``, the first ``trace ADDRESS --hops 6`` after ingest and later ones,
and in-process address and txid lookup latency on the memory-mapped index. Then it fits each
figure against size (least squares, ``a + b * n``) and projects it to 1.1 billion transactions.

    python benchmarks/bench_scale.py --work /work/scale --sizes 1000000,3000000,10000000
    python benchmarks/bench_scale.py --work DIR --readme   # also rewrite the README table

``--work`` keeps scenarios (``c<size>/``) between runs; stores are rebuilt unless ``--reuse``.
Quick mode (``LEDGERHOUND_BENCH_QUICK=1``) runs 20k and 60k transactions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WHOLE_CHAIN = 1_100_000_000
HERE = Path(__file__).resolve().parent
MARK_BEGIN, MARK_END = "<!-- bench_scale:begin -->", "<!-- bench_scale:end -->"
CLI = "from ledgerhound.cli.main import run; run()"


def measure(argv: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of one process; exits with its stderr on failure."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(argv[3:])} failed: {err.read().decode()[-600:]}")
        return took, usage.ru_maxrss / 1024, out.read().decode()


def cli(*args: str) -> tuple[float, float, str]:
    return measure([sys.executable, "-c", CLI, *args])


def snippet(code: str, *args: str) -> tuple[float, float, str]:
    return measure([sys.executable, "-c", code, *args])


_LOOKUPS = """
import json, random, sys, time
import numpy as np
from ledgerhound.store import Store
t0 = time.perf_counter(); g = Store(sys.argv[1]).chain_index(); opened = time.perf_counter() - t0
rng = random.Random(7)
ids = [rng.randrange(len(g.addresses)) for _ in range(200)]
names = [g.address(i) for i in ids]
txs = [g.txid(rng.randrange(g.tx_count)) for _ in range(200)]
a_ms, t_ms = [], []
for name in names:
    s = time.perf_counter(); g.address_ids([name]); a_ms.append((time.perf_counter() - s) * 1e3)
for txid in txs:
    s = time.perf_counter(); g.tx_id(txid); t_ms.append((time.perf_counter() - s) * 1e3)
from ledgerhound.trace import trace
from ledgerhound.trace.session import open_session
s = time.perf_counter(); session = open_session(Store(sys.argv[1]))
session_s = time.perf_counter() - s
tr = []
for name in names[:50]:
    s = time.perf_counter()
    trace(session.graph, [name], session.labels, hops=6, policy="haircut")
    tr.append((time.perf_counter() - s) * 1e3)
p50 = lambda v: sorted(v)[len(v) // 2]
p99 = lambda v: sorted(v)[min(len(v) - 1, int(len(v) * 0.99))]
print(json.dumps({"index_open_ms": opened * 1e3, "address_p50_ms": p50(a_ms),
                  "address_p99_ms": p99(a_ms), "txid_p50_ms": p50(t_ms), "txid_p99_ms": p99(t_ms),
                  "session_open_s": session_s, "trace_p50_ms": p50(tr), "trace_p99_ms": p99(tr),
                  "sample_address": names[0]}))
"""

_REBUILD = """
import shutil, sys
from ledgerhound.store import Store
store = Store(sys.argv[1])
shutil.rmtree(store.root / "index")
store.chain_index()
"""


def ensure_scenario(work: Path, size: int) -> Path:
    scenario = work / f"c{size}"
    if not (scenario / "truth").is_dir():
        shutil.rmtree(scenario, ignore_errors=True)
        took, rss, _ = cli("simulate", "--seed", "1", "--size", str(size), "--out", str(scenario))
        print(f"  simulate {size:,}: {took:,.0f} s ({size / took:,.0f} tx/s), {rss:,.0f} MiB")
    return scenario


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_size(work: Path, size: int, reuse: bool, detect: bool) -> dict:
    scenario = ensure_scenario(work, size)
    store = work / f"s{size}"
    row: dict = {"size": size}
    if not (reuse and (store / "manifest.json").exists()):
        shutil.rmtree(store, ignore_errors=True)
        took, rss, out = cli("--store", str(store), "ingest", "blocks", str(scenario / "blocks"),
                             "--json")  # fmt: skip
        row.update(ingest_s=took, ingest_rss=rss)
    stats = json.loads(cli("--store", str(store), "stats", "--json")[2])
    n = row["transactions"] = stats["transactions"]
    if "ingest_s" in row:
        row["ingest_tx_s"] = n / row["ingest_s"]
    row["tables_bytes"], row["index_bytes"] = du(store / "tables"), du(store / "index")
    row["rebuild_s"], row["rebuild_rss"], _ = snippet(_REBUILD, str(store))
    row["cluster_s"], row["cluster_rss"], _ = cli("--store", str(store), "cluster", "build")
    if detect:
        row["detect_s"], row["detect_rss"], _ = cli("--store", str(store), "detect", "--json")
    probe = json.loads(snippet(_LOOKUPS, str(store))[2])
    row.update(probe)
    seed = probe["sample_address"]
    for which in ("first", "later"):
        if which == "first":  # first after ingest: drop the cluster-label cache trace builds
            shutil.rmtree(store / "trace-graph", ignore_errors=True)
        took, rss, _ = cli("--store", str(store), "trace", seed, "--hops", "6", "--json")
        row[f"trace_{which}_s"], row[f"trace_{which}_rss"] = took, rss
    return row


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares ``a + b x`` (with one point: the line through the origin)."""
    if len(xs) == 1:
        return 0.0, ys[0] / xs[0]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return my - b * mx, b


METRICS = [  # key, label, unit, per-tx slope unit
    ("ingest_tx_s", "ingest throughput", "tx/s", None),
    ("ingest_rss", "ingest peak RSS", "MiB", "B/tx"),
    ("rebuild_s", "index build from parts", "s", None),
    ("rebuild_rss", "index build peak RSS", "MiB", "B/tx"),
    ("cluster_s", "cluster build", "s", None),
    ("cluster_rss", "cluster build peak RSS", "MiB", "B/tx"),
    ("detect_s", "detect --json", "s", None),
    ("detect_rss", "detect peak RSS", "MiB", "B/tx"),
    ("trace_first_s", "first trace --hops 6 (CLI)", "s", None),
    ("trace_first_rss", "first trace peak RSS", "MiB", "B/tx"),
    ("trace_later_s", "later trace --hops 6 (CLI)", "s", None),
    ("trace_p50_ms", "trace --hops 6 p50 (library, warm)", "ms", None),
    ("address_p50_ms", "address lookup p50", "ms", None),
    ("txid_p50_ms", "txid lookup p50", "ms", None),
    ("index_open_ms", "index open", "ms", None),
    ("store_b_tx", "store bytes per tx (tables + index)", "B/tx", None),
    ("index_b_tx", "index bytes per tx", "B/tx", None),
]


def table(rows: list[dict]) -> str:
    for r in rows:
        r["store_b_tx"] = (r["tables_bytes"] + r["index_bytes"]) / r["transactions"]
        r["index_b_tx"] = r["index_bytes"] / r["transactions"]
    sizes = [r["transactions"] for r in rows]
    head = " | ".join(f"{s / 1e6:.1f}M" for s in sizes)
    lines = [f"| measure | {head} | slope | projected at 1.1 B tx |",
             "|---|" + "---:|" * (len(rows) + 2)]  # fmt: skip
    for key, label, unit, per_tx in METRICS:
        if not all(key in r for r in rows):
            continue
        ys = [float(r[key]) for r in rows]
        vals = " | ".join(f"{y:,.4g}" for y in ys)
        if len(rows) < 2:  # a fit needs two sizes
            lines.append(f"| {label} ({unit}) | {vals} | – | – |")
            continue
        a, b = fit([float(s) for s in sizes], ys)
        scale = 2**20 if unit == "MiB" else 1
        slope = f"{b * scale:,.1f} {per_tx}" if per_tx else f"{b * 1e6:,.3g} {unit}/M tx"
        proj = a + b * WHOLE_CHAIN
        shown = f"{proj / 1024:,.1f} GiB" if unit == "MiB" else f"{proj:,.4g} {unit}"
        lines.append(f"| {label} ({unit}) | {vals} | {slope} | {shown} |")
    return "\n".join(lines)


def write_readme(text: str) -> None:
    readme = HERE / "README.md"
    body = readme.read_text()
    block = f"{MARK_BEGIN}\n{text}\n{MARK_END}"
    if MARK_BEGIN in body:
        start, end = body.index(MARK_BEGIN), body.index(MARK_END) + len(MARK_END)
        body = body[:start] + block + body[end:]
    else:
        body += f"\n## bench_scale.py — one real chain on one machine (issue 13)\n\n{block}\n"
    readme.write_text(body)


def _merge_saved(work: Path, rows: list[dict]) -> list[dict]:
    """Results of earlier runs in ``work`` for other sizes join this run's (one table)."""
    path = work / "bench_scale.json"
    saved = json.loads(path.read_text()) if path.exists() else []
    merged = {r["size"]: r for r in saved} | {r["size"]: r for r in rows}
    rows = [merged[k] for k in sorted(merged)]
    path.write_text(json.dumps(rows, indent=1, sort_keys=True))
    return rows


def main() -> int:
    quick = os.environ.get("LEDGERHOUND_BENCH_QUICK") == "1"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--sizes", default="20000,60000" if quick else "1000000,3000000,10000000")
    parser.add_argument("--reuse", action="store_true", help="keep existing stores")
    parser.add_argument("--no-detect", action="store_true", help="skip detect --json")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="lh-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"== {size:,} transactions ==", flush=True)
        row = run_size(work, size, args.reuse, not args.no_detect)
        print(json.dumps(row, sort_keys=True), flush=True)
        rows.append(row)
    rows = _merge_saved(work, rows)
    text = table(rows)
    print(text)
    if args.readme:
        write_readme(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
