"""Run every ``benchmarks/bench_*.py`` in its own process (what ``make bench`` runs).

Each script prints its own figures; this runner adds a header per script and exits non-zero if
any script failed. ``--quick`` sets ``LEDGERHOUND_BENCH_QUICK=1`` for the scripts (fewer repeats,
smaller sizes) instead of passing arguments that another script might not accept.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description="run every benchmarks/bench_*.py")
    parser.add_argument("--quick", action="store_true", help="ask scripts for a short run")
    parser.add_argument("only", nargs="*", help="run only scripts whose name contains these")
    args = parser.parse_args()
    env = dict(os.environ, **({"LEDGERHOUND_BENCH_QUICK": "1"} if args.quick else {}))
    scripts = [
        s
        for s in sorted(HERE.glob("bench_*.py"))
        if not args.only or any(o in s.name for o in args.only)
    ]
    failed = []
    for script in scripts:
        print(f"=== {script.name} ===", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], env=env, check=False)
        took = time.perf_counter() - start
        status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        print(f"=== {script.name}: {status} in {took:.1f} s ===\n", flush=True)
        if result.returncode:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
