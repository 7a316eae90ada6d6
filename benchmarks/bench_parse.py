"""Parse benchmark (issue 2): the same real block through every parser we can run here.

Parses mainnet block 413,567 (1,557 txs, tests/data/bitcoin/block413567.raw) repeatedly, pinned to
one CPU core, with:

* ledgerhound's compiled scanner -- "scan only" (flat columns) and "scan + Arrow tables"
  (``blocks_to_batch``: the four store tables, what ingest uses), 1 and 50 blocks per call;
* ledgerhound's pure-Python paths (the scanner fallback and the row-by-row reference);
* python-bitcoinlib 0.12.2 (pure Python): ``CBlock.deserialize`` + ``GetTxid()`` for every tx;
* bitcoin-explorer (Rust, pyo3) if installed: it reads a Core datadir, so a one-block datadir
  (``blocks/blk00000.dat`` + a LevelDB ``blocks/index`` written with plyvel) is built for it;
  ``get_block`` returns Python dicts, which is its API's real cost;
* the ceiling: double-SHA256 of exactly the txid preimages (hashlib/OpenSSL), measured as one
  SHA-256 pass over all preimage bytes plus one 32-byte hash per tx (no Python per tx), and,
  for reference, as a per-tx hashlib loop.

Prints tx/s for each, the ratios, and whether the issue's goals hold (>= 20x python-bitcoinlib,
>= 0.25x the SHA ceiling). Timings are the best of several repeats (least disturbed by others).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK_FILE = ROOT / "tests" / "data" / "bitcoin" / "block413567.raw"
MAINNET_MAGIC = bytes.fromhex("f9beb4d9")


def pin_one_core() -> str:
    """Single core, no helper threads: pin the process and cap Arrow's pool."""
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        where = f"pinned to CPU {cpu}"
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        where = "not pinned (no sched_setaffinity)"
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    return where


def best_seconds(fn: Callable[[], object], repeat: int, number: int) -> float:
    """Best CPU time of one call over ``repeat`` rounds of ``number`` calls.

    CPU time of the process (``time.process_time``: all its threads), not wall time, so other
    work on a shared machine disturbs the figures less; the best round is the least disturbed.
    """
    fn()  # warm up (imports, caches, allocator pools)
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(number):
            fn()
        best = min(best, (time.process_time() - start) / number)
    return best


# --- the contenders --------------------------------------------------------------------------


def ledgerhound_cases(data: bytes, quick: bool) -> dict[str, tuple[Callable[[], object], int]]:
    """name -> (function, blocks parsed per call)."""
    from ledgerhound.codecs import blockscan
    from ledgerhound.codecs.address import MAINNET
    from ledgerhound.sources.rawblocks import RawBlock, blocks_to_batch, blocks_to_batch_reference

    if not blockscan.NATIVE:
        print("WARNING: the C scanner is not built; 'native' rows measure the Python fallback")
    one, many = [data], [data] * (10 if quick else 50)
    raw_one, raw_many = [RawBlock(data, 413567)], [RawBlock(data, 413567)] * len(many)
    return {
        "ledgerhound native scan only (1 block/call)": (
            lambda: blockscan.scan(one, MAINNET),
            1,
        ),
        f"ledgerhound native scan only ({len(many)} blocks/call)": (
            lambda: blockscan.scan(many, MAINNET),
            len(many),
        ),
        "ledgerhound native scan + Arrow tables (1 block/call)": (
            lambda: blocks_to_batch(raw_one),
            1,
        ),
        f"ledgerhound native scan + Arrow tables ({len(many)} blocks/call)": (
            lambda: blocks_to_batch(raw_many),
            len(many),
        ),
        "ledgerhound pure-Python scanner fallback": (
            lambda: blockscan.scan(one, MAINNET, native=False),
            1,
        ),
        "ledgerhound pure-Python reference tables": (lambda: blocks_to_batch_reference(raw_one), 1),
    }


def bitcoinlib_case(data: bytes) -> Callable[[], object]:
    from bitcoin.core import CBlock

    def parse() -> list[bytes]:
        block = CBlock.deserialize(data)
        return [tx.GetTxid() for tx in block.vtx]

    assert len(parse()) == 1557
    return parse


def core_varint(n: int) -> bytes:
    """Bitcoin Core's VARINT (serialize.h): base-128, MSB first, with the +1 offset per byte."""
    out = bytearray()
    while True:
        out.insert(0, (n & 0x7F) | (0x80 if out else 0))
        if n <= 0x7F:
            return bytes(out)
        n = (n >> 7) - 1


def build_core_datadir(data: bytes, root: Path) -> None:
    """A datadir holding only this block: blk00000.dat + a LevelDB block index record.

    The record (key ``b`` + block hash) is Core's CDiskBlockIndex: VARINT client version, height,
    status (BLOCK_VALID_SCRIPTS | BLOCK_HAVE_DATA), tx count, file, data position, then the
    header. bitcoin-explorer indexes records by height from 0, so the block is put at height 0.
    """
    import plyvel

    blocks = root / "blocks"
    blocks.mkdir(parents=True)
    (blocks / "blk00000.dat").write_bytes(MAINNET_MAGIC + struct.pack("<I", len(data)) + data)
    block_hash = hashlib.sha256(hashlib.sha256(data[:80]).digest()).digest()
    value = b"".join(core_varint(v) for v in (259900, 0, 5 | 8, 1557, 0, 8)) + data[:80]
    db = plyvel.DB(str(blocks / "index"), create_if_missing=True)
    db.put(b"b" + block_hash, value)
    db.close()


def bitcoin_explorer_case(data: bytes, tmp: Path) -> tuple[Callable[[], object] | None, str]:
    try:
        import bitcoin_explorer
        import plyvel  # noqa: F401 - needed to write the block index
    except ImportError as exc:
        return None, f"not installed ({exc.name}); `pip install bitcoin-explorer plyvel`"
    try:
        build_core_datadir(data, tmp)
        db = bitcoin_explorer.BitcoinDB(str(tmp), tx_index=False)
        block = db.get_block(0)
    except Exception as exc:  # noqa: BLE001 - any failure means: report it, do not fake a number
        return None, f"could not read the one-block datadir: {type(exc).__name__}: {exc}"
    txs = block.get("txdata", [])
    if len(txs) != 1557:
        return None, f"returned {len(txs)} transactions instead of 1557"
    return (lambda: db.get_block(0)), "get_block(0, simplify=True) -> dict"


def sha_ceiling(data: bytes) -> tuple[Callable[[], object], Callable[[], object], int]:
    """(one-pass ceiling, per-tx hashlib loop, preimage bytes) over the txid preimages."""
    from ledgerhound.codecs.block import Block

    preimages = [tx.serialize(include_witness=False) for tx in Block.parse(data).txs]
    joined = b"".join(preimages)
    digests = b"".join(hashlib.sha256(p).digest() for p in preimages)
    sha = hashlib.sha256

    def one_pass() -> None:
        sha(joined).digest()  # first SHA-256 over every preimage byte
        for i in range(0, len(digests), 32 * 64):  # second SHA-256: 32 bytes per tx
            sha(digests[i : i + 32 * 64]).digest()

    def per_tx() -> list[bytes]:
        return [sha(sha(p).digest()).digest() for p in preimages]

    return one_pass, per_tx, len(joined)


# --- report ----------------------------------------------------------------------------------


def run(quick: bool) -> int:
    data = BLOCK_FILE.read_bytes()
    n_tx = 1557
    where = pin_one_core()
    repeat = 3 if quick else 9
    print(f"block 413567: {len(data):,} bytes, {n_tx:,} txs; {where}; best of {repeat} repeats")
    print(f"python {sys.version.split()[0]}, {os.uname().machine}")
    rates: dict[str, float] = {}

    def measure(name: str, fn: Callable[[], object], blocks: int, budget: float = 0.15) -> None:
        once = best_seconds(fn, 1, 1)
        number = max(1, int(budget / max(once, 1e-6)))
        seconds = best_seconds(fn, repeat, number) / blocks
        rates[name] = n_tx / seconds
        print(f"  {name:<58} {rates[name]:>13,.0f} tx/s  {seconds * 1e3:9.3f} ms/block")

    one_pass, per_tx, nbytes = sha_ceiling(data)
    measure("CEILING double-SHA256 of txid preimages (one pass)", one_pass, 1)
    measure("double-SHA256 per tx via hashlib (Python loop)", per_tx, 1)
    for name, (fn, blocks) in ledgerhound_cases(data, quick).items():
        measure(name, fn, blocks, budget=0.1 if "Python" in name else 0.15)
    measure("python-bitcoinlib 0.12.2 deserialize + GetTxid", bitcoinlib_case(data), 1, 0.1)
    with tempfile.TemporaryDirectory() as tmp:
        fn, note = bitcoin_explorer_case(data, Path(tmp))
        if fn is None:
            print(f"  bitcoin-explorer: SKIPPED -- {note}")
        else:
            measure(f"bitcoin-explorer (Rust) {note}", fn, 1, 0.15)
    print(f"  (preimage bytes hashed per block: {nbytes:,})")
    return report_goals(rates)


def report_goals(rates: dict[str, float]) -> int:
    ceiling = rates["CEILING double-SHA256 of txid preimages (one pass)"]
    bitcoinlib = rates["python-bitcoinlib 0.12.2 deserialize + GetTxid"]
    print("ratios (tx/s over tx/s):")
    for name, rate in rates.items():
        if name.startswith("CEILING"):
            continue
        print(f"  {name:<58} {rate / bitcoinlib:8.2f}x bitcoinlib  {rate / ceiling:6.3f}x ceiling")
    print("goals (issue 2: >= 20x python-bitcoinlib, >= 0.25x the SHA ceiling, one core):")
    for name, rate in rates.items():
        if not name.startswith("ledgerhound native"):
            continue
        x_lib, x_sha = rate / bitcoinlib, rate / ceiling
        ok = "PASS" if x_lib >= 20 and x_sha >= 0.25 else "MISS"
        print(f"  {ok}  {name[len('ledgerhound native ') :]:<40} {x_lib:6.1f}x  {x_sha:.3f}x")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (CI smoke run)")
    quick = parser.parse_args().quick or os.environ.get("LEDGERHOUND_BENCH_QUICK") == "1"
    return run(quick)


if __name__ == "__main__":
    sys.exit(main())
