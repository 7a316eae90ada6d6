"""Blocks re-linked across ingest runs: any split and order of blk files gives one clean ingest.

Core writes blocks in download order, so a blk file read alone holds fragments whose parents are
in another file. Each run numbers the most-work chain it can see; the store then picks the
most-work chain again over everything it holds and rewrites what changed. The chain below is a
simulated one (with stale blocks, segwit and every typology); its blocks are shuffled a little
(as headers-first download does), cut into blk files, and ingested file by file in random order,
some runs killed with SIGKILL, and compared with one clean ingest: every row of every table,
the chain index, the data fingerprint and ``stats``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ledgerhound.sim.scenario import Options, simulate
from ledgerhound.sources.blkfiles import read_block_batches
from ledgerhound.store import Store
from tests.store.helpers import table_rows
from tests.store.test_chainindex import digest


def frames(blocks_dir: Path) -> list[bytes]:
    """Every ``magic | size | block`` record of a directory's blk files, in file order."""
    out = []
    for path in sorted(blocks_dir.glob("blk*.dat")):
        data = path.read_bytes()
        pos = 0
        while pos + 8 <= len(data) and data[pos : pos + 4] != b"\x00" * 4:
            size = int.from_bytes(data[pos + 4 : pos + 8], "little")
            out.append(data[pos : pos + 8 + size])
            pos += 8 + size
    return out


def write_files(directory: Path, pieces: list[list[bytes]]) -> list[Path]:
    directory.mkdir(parents=True)
    paths = []
    for i, piece in enumerate(pieces):
        path = directory / f"blk{i:05d}.dat"
        path.write_bytes(b"".join(piece))
        paths.append(path)
    return paths


def shuffled(records: list[bytes], rng: random.Random, window: int) -> list[bytes]:
    """Blocks slightly out of order, as a headers-first download writes them."""
    keyed = [(i + rng.uniform(0, window), r) for i, r in enumerate(records)]
    return [r for _k, r in sorted(keyed, key=lambda kr: kr[0])]


class Content(tuple):
    """Everything compared between stores (a short repr for hypothesis' failure reports)."""

    def __repr__(self) -> str:
        return f"<store content, fingerprint {self[2][:12]}>"


def content(store: Store) -> Content:
    stats = store.stats()
    return Content((
        table_rows(store),
        digest(store.chain_index()),
        store.manifest().fingerprint,
        {k: stats[k] for k in ("blocks", "stale_blocks", "transactions", "addresses")},
    ))


class Records(list):
    """The simulated chain's block records (a short repr for hypothesis' failure reports)."""

    def __repr__(self) -> str:
        return f"<{len(self)} block records>"


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Records:
    out = tmp_path_factory.mktemp("relinksim") / "scenario"
    simulate(Options(seed=11, out=out, size=700))
    return Records(frames(out / "blocks"))


@pytest.fixture(scope="module")
def clean(tmp_path_factory, records) -> tuple:
    paths = write_files(tmp_path_factory.mktemp("relinkclean") / "blocks", [records])
    store = Store(tmp_path_factory.mktemp("relinkclean") / "s")
    store.ingest(read_block_batches(paths, batch_blocks=5))
    return content(store)


def test_one_file_alone_then_the_directory(tmp_path, records, clean):
    """The issue's case: a middle blk file first (its blocks numbered from BIP34, its
    out-of-order fragments stale), then the whole directory."""
    rng = random.Random(3)
    order = shuffled(records, rng, 12)
    cut = [order[: len(order) // 3], order[len(order) // 3 : 2 * len(order) // 3],
           order[2 * len(order) // 3 :]]  # fmt: skip
    paths = write_files(tmp_path / "blocks", cut)
    store = Store(tmp_path / "s")
    store.ingest(read_block_batches([paths[1]], batch_blocks=4))
    first = store.stats()
    assert first["stale_blocks"] > 4  # fragments without their parents are stale at first
    store.ingest(read_block_batches([tmp_path / "blocks"], batch_blocks=4))
    assert content(store) == clean
    assert store.block(str(first["max_height"]))["in_main_chain"] is True


@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data())
def test_any_split_and_order_of_blk_files_gives_one_clean_ingest(
    tmp_path_factory, records, clean, data
):
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1)))
    order = shuffled(records, rng, data.draw(st.integers(0, 8)))
    n = len(order)
    cuts = sorted(data.draw(st.sets(st.integers(1, n - 1), min_size=1, max_size=4)))
    pieces = [order[a:b] for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    base = tmp_path_factory.mktemp("relinkprop")
    paths = write_files(base / "blocks", pieces)
    store = Store(base / "s")
    for path in data.draw(st.permutations(paths)):
        store.ingest(read_block_batches([path], batch_blocks=data.draw(st.integers(2, 9))),
                     checkpoint_blocks=data.draw(st.sampled_from([None, 7])))  # fmt: skip
    assert content(store) == clean


_WRITER = """
import sys
from ledgerhound.sources.blkfiles import read_block_batches
from ledgerhound.store import Store
Store(sys.argv[1]).ingest(read_block_batches([sys.argv[2]], batch_blocks=3),
                          checkpoint_blocks=4)
"""


def test_kill_minus_nine_between_split_runs_then_resume(tmp_path, records, clean):
    rng = random.Random(77)
    order = shuffled(records, rng, 5)
    third = len(order) // 3
    paths = write_files(tmp_path / "blocks", [order[third:], order[:third]])
    root = tmp_path / "s"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    for path in paths:
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(root), str(path)], env=env)
        time.sleep(rng.uniform(0.5, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    store = Store(root)
    for path in reversed(paths):
        store.ingest(read_block_batches([path], batch_blocks=3))
    assert content(store) == clean
