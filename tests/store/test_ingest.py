"""Ingest: counts on a real block, atomicity, idempotence, order independence, locking."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerhound.errors import ConflictError, CorruptDataError, StoreError
from ledgerhound.store import Store, resolve
from ledgerhound.store import manifest as mf
from ledgerhound.store.lock import WriterLock
from tests.store.chain import batches
from tests.store.conftest import CHAIN_LENGTH, chain_store
from tests.store.helpers import file_state, table_rows


def test_real_block_counts(real_store, real_batch):
    stats = real_store.stats()
    distinct = len(pc.unique(real_batch.outputs.column("address").drop_null()))
    assert (stats["blocks"], stats["transactions"]) == (1, 1557)
    assert (stats["inputs"], stats["outputs"]) == (4887, 3581)
    assert stats["addresses"] == distinct
    assert (stats["min_height"], stats["max_height"]) == (413567, 413567)
    assert stats["network"] == "mainnet"
    # inputs spending outputs of the same block resolve; the coinbase and the rest cannot
    con = real_store.connect()
    in_block = con.execute(
        "SELECT count(*) FROM inputs i JOIN outputs o ON o.txid = i.prev_txid "
        "AND o.vout = i.prev_vout"
    ).fetchone()[0]
    resolved = con.execute("SELECT count(*) FROM inputs WHERE prev_value IS NOT NULL").fetchone()
    con.close()
    assert in_block > 0 and resolved[0] == in_block
    assert stats["unresolved_inputs"] == 4887 - 1 - in_block


def test_reingest_is_a_noop(tmp_path, chain):
    store = chain_store(tmp_path / "s", chain)
    before = file_state(store.root)
    dirs = [(p, p.stat().st_mtime_ns) for p in [store.root, *store.root.rglob("*")] if p.is_dir()]
    result = store.ingest(batches(chain, range(CHAIN_LENGTH)))
    assert result["blocks"] == 0 and result["commits"] == 0
    assert result["skipped_blocks"] == CHAIN_LENGTH
    assert file_state(store.root) == before  # contents and mtimes
    assert [(p, p.stat().st_mtime_ns) for p, _ in dirs] == dirs


def test_same_input_gives_byte_identical_store(tmp_path, chain):
    one = chain_store(tmp_path / "a", chain)
    two = chain_store(tmp_path / "b", chain)
    assert {k: v[0] for k, v in file_state(one.root).items()} == {
        k: v[0] for k, v in file_state(two.root).items()
    }
    assert one.stats()["fingerprint"] == two.stats()["fingerprint"]


def _failing(items, exc):
    yield from items
    raise exc


@pytest.mark.parametrize(
    "exc",
    [CorruptDataError("blk00001.dat: truncated block at byte offset 1234"), KeyboardInterrupt()],
)
def test_failed_ingest_changes_no_file(tmp_path, chain, exc):
    store = chain_store(tmp_path / "s", chain, range(3))
    before, stats = file_state(store.root), store.stats()
    with pytest.raises(type(exc)):
        store.ingest(_failing(batches(chain, range(3, CHAIN_LENGTH)), exc))
    assert file_state(store.root) == before
    assert store.stats() == stats


def test_failure_inside_commit_changes_no_file(tmp_path, chain, monkeypatch):
    store = chain_store(tmp_path / "s", chain, range(3))
    before = file_state(store.root)

    def broken_save(root, manifest):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mf, "save", broken_save)
    with pytest.raises(StoreError) as err:
        store.ingest(batches(chain, range(3, CHAIN_LENGTH)))
    assert err.value.message == f"cannot write store at {store.root}: No space left on device"
    assert file_state(store.root) == before


def test_failed_first_ingest_leaves_no_store(tmp_path, chain):
    root = tmp_path / "new"
    with pytest.raises(CorruptDataError):
        Store(root).ingest(_failing(batches(chain, range(2)), CorruptDataError("bad")))
    assert not root.exists()


def test_two_halves_in_any_order_equal_one_ingest(tmp_path, chain):
    whole = table_rows(chain_store(tmp_path / "whole", chain))
    low, high = range(0, 4), range(4, CHAIN_LENGTH)
    for name, order in (("forward", (low, high)), ("backward", (high, low))):
        store = Store(tmp_path / name)
        for part in order:
            store.ingest(batches(chain, part))
        assert table_rows(store) == whole, name
        assert store.stats()["unresolved_inputs"] == 0


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_split_and_order_equals_one_ingest(tmp_path_factory, chain, data):
    """Property: chunks of the chain ingested in any order (overlaps allowed) = one ingest."""
    heights = list(range(CHAIN_LENGTH))
    cuts = sorted(data.draw(st.sets(st.integers(1, CHAIN_LENGTH - 1), max_size=3)))
    chunks = [heights[a:b] for a, b in zip([0, *cuts], [*cuts, CHAIN_LENGTH], strict=True)]
    chunks = data.draw(st.permutations(chunks))
    repeat = data.draw(st.booleans())
    store = Store(tmp_path_factory.mktemp("prop") / "s")
    for chunk in chunks + (chunks[:1] if repeat else []):
        store.ingest(batches(chain, chunk, per_batch=data.draw(st.integers(1, 3))))
    whole = chain_store(tmp_path_factory.mktemp("whole") / "s", chain)
    assert table_rows(store) == table_rows(whole)


def test_overlapping_ingest_adds_only_new_blocks(tmp_path, chain):
    store = chain_store(tmp_path / "s", chain, range(5))
    result = store.ingest(batches(chain, range(3, CHAIN_LENGTH)))
    assert result["skipped_blocks"] == 2 and result["blocks"] == CHAIN_LENGTH - 5
    assert table_rows(store) == table_rows(chain_store(tmp_path / "w", chain))


def test_checkpoints_keep_finished_work_and_resume(tmp_path, chain):
    store = Store(tmp_path / "s")
    with pytest.raises(CorruptDataError):
        store.ingest(
            _failing(batches(chain, range(5), per_batch=1), CorruptDataError("bad")),
            checkpoint_blocks=2,
        )
    assert store.stats()["blocks"] == 4  # two checkpoints of 2; the 5th block was rolled back
    result = store.ingest(batches(chain, range(CHAIN_LENGTH)))
    assert result["skipped_blocks"] == 4
    assert table_rows(store) == table_rows(chain_store(tmp_path / "w", chain))


def test_progress_callback_sees_every_batch(tmp_path, chain):
    seen = []
    Store(tmp_path / "s").ingest(
        batches(chain, range(CHAIN_LENGTH)), progress=lambda b, t: seen.append((b, t))
    )
    assert sum(b for b, _ in seen) == CHAIN_LENGTH
    assert sum(t for _, t in seen) == 1 + 3 * (CHAIN_LENGTH - 1)


def test_address_ids_follow_first_appearance(tmp_path, chain):
    store = chain_store(tmp_path / "s", chain)
    con = store.connect()
    ids = con.execute("SELECT address_id, address, first_height FROM addresses").fetchall()
    first = con.execute(
        "SELECT o.address, min(o.height) FROM outputs o WHERE o.address IS NOT NULL GROUP BY 1"
    ).fetchall()
    con.close()
    assert [i for i, _, _ in ids] == list(range(len(ids)))
    assert dict(first) == {a: h for _, a, h in ids}
    heights = [h for _, _, h in ids]
    assert heights == sorted(heights)


def test_appending_keeps_existing_address_ids(tmp_path, chain):
    store = chain_store(tmp_path / "s", chain, range(4))
    before = store.connect().execute("SELECT address, address_id FROM addresses").fetchall()
    store.ingest(batches(chain, range(4, CHAIN_LENGTH)))
    after = dict(store.connect().execute("SELECT address, address_id FROM addresses").fetchall())
    assert all(after[a] == i for a, i in before)
    assert store.manifest().addresses_epoch == 0


def test_concurrent_writer_is_refused(tmp_path, chain):
    store = chain_store(tmp_path / "s", chain, range(2))
    before = file_state(store.root)
    with WriterLock(store.root):
        with pytest.raises(StoreError, match="is locked by another writer"):
            store.ingest(batches(chain, range(2, 4)))
    assert file_state(store.root) == before
    assert store.ingest(batches(chain, range(2, 4)))["blocks"] == 2  # lock released


def test_unwritable_store_path(tmp_path, chain):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as err:
        Store(blocker / "store").ingest(batches(chain, range(1)))
    assert err.value.message == f"cannot write store at {blocker / 'store'}: Not a directory"
    with pytest.raises(StoreError, match="is not a directory"):
        Store(blocker).ingest(batches(chain, range(1)))


def test_foreign_directory_is_refused(tmp_path, chain):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="is not a ledgerhound store"):
        Store(tmp_path).ingest(batches(chain, range(1)))


def test_network_mismatch_is_a_conflict(tmp_path, chain, real_batch):
    store = chain_store(tmp_path / "s", chain, range(2))
    before = file_state(store.root)
    with pytest.raises(ConflictError) as err:
        store.ingest([real_batch])
    assert err.value.message == (
        f"block413567.raw is mainnet data but the store {store.root} holds regtest"
    )
    assert file_state(store.root) == before


def test_readers_use_only_manifest_parts(tmp_path, chain):
    store = chain_store(tmp_path / "s", chain, range(2))
    stray = store.root / "tables" / "blocks" / "h9999999-9999999-orphan.parquet"
    stray.write_bytes((next(iter((store.root / "tables" / "blocks").iterdir()))).read_bytes())
    assert store.stats()["blocks"] == 2
    con = store.connect()
    assert con.execute("SELECT count(*) FROM blocks").fetchone()[0] == 2


def test_edited_manifest_is_detected(tmp_path, chain):
    store = chain_store(tmp_path / "s", chain, range(2))
    path = store.root / "manifest.json"
    path.write_text(path.read_text().replace('"network": "regtest"', '"network": "mainnet"'))
    with pytest.raises(StoreError, match="fingerprint does not match"):
        store.stats()


def test_resolution_failure_rolls_back(tmp_path, chain, monkeypatch):
    store = chain_store(tmp_path / "s", chain, range(2))
    before = file_state(store.root)
    real = resolve._reresolve_committed

    def boom(*args):
        real(*args)
        raise MemoryError("simulated")

    monkeypatch.setattr(resolve, "_reresolve_committed", boom)
    with pytest.raises(MemoryError):
        store.ingest(batches(chain, range(2, 5)))
    assert file_state(store.root) == before
    assert not (store.root / "staging").exists()


def _stale_block(chain, parent: int) -> bytes:
    """A competing block on top of ``chain[parent]`` with its own coinbase."""
    from ledgerhound.codecs.block import Block, BlockHeader, merkle_root
    from ledgerhound.codecs.tx import Tx, TxIn, TxOut
    from tests.store.chain import p2pkh

    coinbase = Tx(2, (TxIn(bytes(32), 0xFFFFFFFF, b"\x01\x63\x51", 0xFFFFFFFF),),
                  (TxOut(4_999_000_000, p2pkh(200)),), 0)  # fmt: skip
    parent_hash = Block.parse(chain[parent]).hash
    root = merkle_root([bytes.fromhex(coinbase.txid)[::-1]])
    header = BlockHeader(0x20000000, bytes.fromhex(parent_hash)[::-1], root, 1, 0x207FFFFF, 7)
    return Block(header, (coinbase,)).serialize()


def test_stale_blocks_are_kept_apart(tmp_path, chain):
    from ledgerhound.sources.rawblocks import RawBlock, blocks_to_batch
    from tests.store.chain import REGTEST

    stale = blocks_to_batch([RawBlock(_stale_block(chain, 2), None, False)], REGTEST, "stale")
    whole = Store(tmp_path / "whole")
    whole.ingest([*batches(chain, range(CHAIN_LENGTH)), stale])
    stats = whole.stats()
    assert stats["stale_blocks"] == 1 and stats["blocks"] == CHAIN_LENGTH + 1
    assert (stats["min_height"], stats["max_height"]) == (0, CHAIN_LENGTH - 1)
    con = whole.connect()
    assert con.execute("SELECT count(*) FROM transfers WHERE height IS NULL").fetchone()[0] == 0
    stale_addr = con.execute("SELECT address FROM outputs WHERE height IS NULL").fetchone()[0]
    assert con.execute(  # paid only in a stale block: never on the ledger, so not numbered
        "SELECT count(*) FROM addresses WHERE address = ?", [stale_addr]
    ).fetchone() == (0,)
    con.close()
    pieces = Store(tmp_path / "pieces")
    pieces.ingest([*batches(chain, range(4)), stale])
    pieces.ingest(batches(chain, range(4, CHAIN_LENGTH)))
    assert table_rows(pieces) == table_rows(whole)


def test_manifest_from_before_the_data_fingerprint_still_loads(tmp_path, chain):
    """A manifest whose ``fingerprint`` was the whole-manifest hash (no ``digest``) is read."""
    import json

    store = chain_store(tmp_path / "s", chain, range(3))
    path = store.root / mf.MANIFEST
    data = json.loads(path.read_text())
    data["fingerprint"] = data.pop("digest")
    path.write_text(json.dumps(data))
    assert store.manifest().row_count("blocks") == 3
    data["generation"] += 1  # an edit is still caught
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="does not match its content"):
        store.manifest()
