"""The persistent chain index: equal to a graph built from the tables, whatever the history.

Every store below is compared column by column with a flow graph built in memory from the
store's own main-chain rows (``FlowGraph.from_arrow``), and stores with different histories
(one ingest, checkpoints, splits in any order, a writer killed with SIGKILL) must hold the same
index as one clean ingest.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerhound.sim.scenario import Options, simulate
from ledgerhound.sources.blkfiles import read_block_batches
from ledgerhound.store import Store
from ledgerhound.store.chainindex.index import COLUMNS
from ledgerhound.store.chainindex.keys import _address_keys_numpy, address_keys, string_parts
from ledgerhound.store.chainindex.runs import SortedRuns
from ledgerhound.trace.graph import FlowGraph
from ledgerhound.trace.loader import arrow_table
from tests.store.chain import batches
from tests.store.conftest import CHAIN_LENGTH, chain_store
from tests.store.helpers import table_rows

_MAIN = "SELECT t.txid, t.height FROM transactions t JOIN blocks b ON b.hash = t.block_hash " \
        "WHERE b.in_main_chain"  # fmt: skip
_COLS = [c for c in COLUMNS if c not in ("tx_hash", "addr_off", "addr_dat", "out_addr", "out_type")]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ixsim") / "scenario"
    simulate(Options(seed=5, out=out, size=2500))
    return out


def _ingest(root: Path, scenario: Path, **kw) -> Store:
    store = Store(root)
    store.ingest(read_block_batches([scenario / "blocks"], batch_blocks=7), **kw)
    return store


def reference(store: Store) -> FlowGraph:
    con = store.connect()
    try:
        txs = arrow_table(
            con.sql("""SELECT DISTINCT t.txid, t.height, t.tx_index FROM
            transactions t JOIN blocks b ON b.hash = t.block_hash WHERE b.in_main_chain""")
        )
        outs = arrow_table(
            con.sql(f"""SELECT DISTINCT o.txid, o.vout, o.value, o.address
            FROM outputs o SEMI JOIN ({_MAIN}) m ON m.txid = o.txid AND m.height = o.height""")
        )
        ins = arrow_table(
            con.sql(f"""SELECT DISTINCT i.txid, i.vin, i.prev_txid, i.prev_vout,
            i.prev_value FROM inputs i SEMI JOIN ({_MAIN}) m
            ON m.txid = i.txid AND m.height = i.height""")
        )
    finally:
        con.close()
    return FlowGraph.from_arrow(txs, outs, ins)


def digest(g: FlowGraph) -> dict[str, str]:
    """sha256 of every column of a graph (addresses compared as strings)."""
    out = {}
    for name in _COLS:
        side = {"fwd": g.forward, "bwd": g.backward}.get(name[:3])
        array = getattr(side, name[4:]) if side is not None else getattr(g, name)
        values = array[np.arange(len(array))] if not isinstance(array, np.ndarray) else array
        out[name] = hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()
    out["txids"] = hashlib.sha256(np.asarray(g.txids.hashes).tobytes()).hexdigest()
    out["out_addr"] = hashlib.sha256(
        "\n".join(str(a) for a in g.addresses.take(g.out_addr).to_pylist()).encode()
    ).hexdigest()
    return out


def test_index_equals_graph_built_from_tables(tmp_path, scenario):
    store = _ingest(tmp_path / "s", scenario)
    index = store.chain_index()
    assert isinstance(index.out_value, np.memmap)
    assert index.tx_count > 2000 and index.output_count > 4000
    assert digest(index) == digest(reference(store))


def test_index_address_ids_are_the_stores(tmp_path, scenario):
    store = _ingest(tmp_path / "s", scenario)
    index = store.chain_index()
    con = store.connect()
    rows = con.sql("SELECT address_id, address FROM addresses ORDER BY address_id").fetchall()
    assert len(index.addresses) == len(rows)
    names = [a for _i, a in rows]
    assert index.addresses.to_pylist() == names
    found = index.find_addresses(pa.array(names))
    assert found.tolist() == [i for i, _a in rows]
    txids = [t for (t,) in con.sql(f"SELECT txid FROM ({_MAIN}) ORDER BY txid").fetchall()]
    ids = [index.tx_id(t) for t in txids]
    assert sorted(ids) == list(range(index.tx_count))
    assert [index.txid(i) for i in ids] == txids


def test_checkpointed_ingest_appends_the_same_index(tmp_path, scenario):
    one = _ingest(tmp_path / "whole", scenario)
    whole = digest(one.chain_index())
    store = _ingest(tmp_path / "ckpt", scenario, checkpoint_blocks=9)
    assert store.manifest().generation > 5  # many commits, each appended
    assert digest(store.chain_index()) == whole
    # the data fingerprint names the data, not how it was committed
    assert store.manifest().fingerprint == one.manifest().fingerprint
    assert store.manifest().digest != one.manifest().digest
    state = sorted(p.name for p in (store.root / "index").iterdir())
    assert state == ["g1", f"state-g{store.manifest().generation}.json"]


def test_lookups_of_unknown_keys(tmp_path, scenario):
    index = _ingest(tmp_path / "s", scenario).chain_index()
    assert index.find_addresses(pa.array(["bcrt1qnotthere", None])).tolist() == [-1, -1]
    with pytest.raises(Exception, match="not in the flow graph"):
        index.tx_id("00" * 32)
    with pytest.raises(Exception, match="not in the flow graph"):
        index.tx_id("nothex")


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data())
def test_any_split_and_order_gives_the_same_index(tmp_path_factory, chain, data):
    heights = list(range(CHAIN_LENGTH))
    cuts = sorted(data.draw(st.sets(st.integers(1, CHAIN_LENGTH - 1), max_size=3)))
    chunks = [heights[a:b] for a, b in zip([0, *cuts], [*cuts, CHAIN_LENGTH], strict=True)]
    chunks = data.draw(st.permutations(chunks))
    store = Store(tmp_path_factory.mktemp("ixprop") / "s")
    for chunk in chunks:
        store.ingest(batches(chain, chunk, per_batch=data.draw(st.integers(1, 3))))
    whole = chain_store(tmp_path_factory.mktemp("ixwhole") / "s", chain)
    assert digest(store.chain_index()) == digest(whole.chain_index())
    assert digest(store.chain_index()) == digest(reference(store))
    assert store.manifest().fingerprint == whole.manifest().fingerprint


_WRITER = """
import sys
from ledgerhound.sources.blkfiles import read_block_batches
from ledgerhound.store import Store
Store(sys.argv[1]).ingest(read_block_batches([sys.argv[2]], batch_blocks=3),
                          checkpoint_blocks=4)
"""


def test_kill_minus_nine_at_random_points_then_resume(tmp_path, scenario):
    whole = _ingest(tmp_path / "whole", scenario)
    expected, rows = digest(whole.chain_index()), table_rows(whole)
    rng = random.Random(20261206)
    root = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    for _ in range(4):
        argv = [sys.executable, "-c", _WRITER, str(root), str(scenario / "blocks")]
        proc = subprocess.Popen(argv, env=env)
        time.sleep(rng.uniform(0.8, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if (root / "manifest.json").exists():  # what was committed is readable and exact
            part = Store(root).chain_index()
            assert part.tx_count <= whole.chain_index().tx_count
    store = _ingest(root, scenario)
    assert digest(store.chain_index()) == expected
    assert table_rows(store) == rows


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), max_size=40), min_size=1, max_size=12))
def test_sorted_runs_equal_one_sorted_list(tmp_path_factory, batches_of_keys):
    directory = tmp_path_factory.mktemp("runs")
    runs = SortedRuns()
    pairs: list[tuple[int, int]] = []
    value = 0
    for i, keys in enumerate(batches_of_keys):
        values = np.arange(value, value + len(keys))
        value += len(keys)
        runs.add(np.array(keys, dtype=np.int64), values, directory, f"r{i:04d}")
        pairs += list(zip(keys, values.tolist(), strict=True))
    assert len(runs.runs) <= 1 + int(np.log2(max(value, 1)) + 1)
    for key in range(52):
        expected = [v for k, v in pairs if k == key]
        assert runs.values_of(np.array([key])).tolist() == expected  # insertion order kept
    assert runs.count(np.arange(52)).tolist() == [
        sum(k == key for k, _ in pairs) for key in range(52)
    ]


@given(st.lists(st.text(min_size=1, max_size=70), min_size=1, max_size=30), st.integers(0, 29))
def test_address_key_does_not_depend_on_the_batch(names, cut):
    whole = address_keys(pa.array(names))
    cut = min(cut, len(names))
    parts = np.concatenate(
        [address_keys(pa.array(names[:cut])), address_keys(pa.array(names[cut:]))]
    )
    assert whole.tolist() == parts.tolist()
    assert whole.tolist() == [int(address_keys(pa.array([n]))[0]) for n in names]
    assert whole.tolist() == _address_keys_numpy(*string_parts(pa.array(names))).tolist()


def test_uncommitted_spends_are_invisible_and_undone(tmp_path, chain, monkeypatch):
    """A writer that dies after writing spends of committed outputs in place: readers never see
    them (spender beyond the committed count) and the next writer restores the bytes."""
    from ledgerhound.store import manifest as mf
    from tests.store.helpers import file_state

    store = chain_store(tmp_path / "s", chain, range(4))
    before, spent_before = file_state(store.root), np.asarray(store.chain_index().out_spent_tx[
        np.arange(store.chain_index().output_count)])  # fmt: skip
    seen = {}

    def dying_save(root, manifest):
        view = Store(root).chain_index()  # a reader during the commit: the old generation
        seen["spent"] = view.out_spent_tx[np.arange(view.output_count)]
        seen["raw"] = np.asarray(view.out_spent_tx.values[np.arange(view.output_count)])
        raise KeyboardInterrupt

    monkeypatch.setattr(mf, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        store.ingest(batches(chain, range(4, CHAIN_LENGTH)))
    assert seen["spent"].tolist() == spent_before.tolist()
    assert (seen["raw"] != spent_before).any()  # the in-place spends were there, unread
    assert file_state(store.root) == before
