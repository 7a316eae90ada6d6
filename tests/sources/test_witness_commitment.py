"""BIP141 commitment and merkle checks: C scanner, Python scanner and row reference agree.

Three implementations answer "does this block's witness data match its commitment?": the C
scanner (``b_witness``), the pure-Python scanner (``blockscan._PyScan`` via
:func:`blockscan.witness_verdict`) and the row-based recomputation in ``sources/verify.py``
(used when no scanner verdict is given). Blk ingest uses the scanner's verdict; these tests show
all three agree with each other and with BIP141 on generated and real blocks, and that blk
ingest reports exactly the messages the row-based path words.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerhound.codecs import blockscan
from ledgerhound.codecs.address import NETWORKS
from ledgerhound.codecs.block import merkle_root
from ledgerhound.codecs.tx import Tx
from ledgerhound.errors import CorruptDataError
from ledgerhound.sources import blkfiles, verify
from ledgerhound.sources.rawblocks import RawBlock, scan_blocks
from tests.sources import witnessblocks as W
from tests.sources.blockfactory import DATA, block_hash, frame, mainnet_block, regtest_genesis

REGTEST = NETWORKS["regtest"]
NATIVE = pytest.mark.skipif(not blockscan.NATIVE, reason="C scanner not built")
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def scan_both(blocks: list[bytes]) -> tuple[dict, dict]:
    native = blockscan.scan(blocks, REGTEST, native=True)
    python = blockscan.scan(blocks, REGTEST, native=False)
    return {k: bytes(v) for k, v in native.items()}, python


def row_reference(blocks: list[bytes]) -> tuple[str, str] | None:
    """The first problem as ``verify.py`` finds it from the decoded rows (no scanner verdicts)."""
    batch, _ = scan_blocks([RawBlock(b, None) for b in blocks], REGTEST)
    return verify.first_inconsistent_block(batch)


def scanner_verdict(blocks: list[bytes], native: bool) -> tuple[str, str] | None:
    """The first problem as blk ingest finds it: merkle flags, then the scanner's verdicts."""
    cols = blockscan.scan(blocks, REGTEST, native=native)
    ok = bytes(cols["b_merkle_ok"])
    hashes = bytes(cols["b_hash"]).decode()
    for i, flag in enumerate(ok):
        if not flag:
            return hashes[64 * i : 64 * i + 64], "merkle root does not match the transactions"
    batch, verdicts = scan_blocks([RawBlock(b, None) for b in blocks], REGTEST, native=native)
    return verify.first_inconsistent_block(batch, merkle=False, witness=verdicts)


# --- generated blocks -----------------------------------------------------------------------


@NATIVE
@FAST
@given(W.shaped_blocks())
def test_native_and_python_scans_agree_and_follow_bip141(case) -> None:
    block, shape, txs = case
    native, python = scan_both([block])
    assert native == python  # every column, b_witness and b_merkle_ok included
    assert native["b_witness"] == bytes([W.expected_verdict(shape, txs) & 0xFF])
    assert native["b_merkle_ok"] == bytes([not shape.wrong_merkle])


@NATIVE
@FAST
@given(st.lists(W.shaped_blocks(), min_size=1, max_size=4, unique_by=lambda c: c[0][:80]))
def test_scanner_verdicts_word_problems_like_the_row_reference(cases) -> None:
    blocks = [block for block, _, _ in cases]
    expected = row_reference(blocks)
    assert scanner_verdict(blocks, native=True) == expected
    assert scanner_verdict(blocks, native=False) == expected


@FAST
@given(st.lists(W.transactions, min_size=1, max_size=9).filter(lambda t: len(t) % 2 == 0))
def test_duplicate_last_tx_keeps_the_roots_and_both_paths_agree(txs) -> None:
    """CVE-2012-2459: with an odd count the duplicated last tx leaves both roots unchanged."""
    leaves = [bytes.fromhex(tx.txid)[::-1] for tx in txs]
    assert merkle_root([b"\x01" * 32, *leaves]) == merkle_root([b"\x01" * 32, *leaves, leaves[-1]])
    reserved = b"\x00" * 32
    for dup in (False, True):
        block = W.build(txs, W.Shape(duplicate_last=dup), reserved)
        if blockscan.NATIVE:
            native, python = scan_both([block])
            assert native == python
        assert scanner_verdict([block], native=False) == row_reference([block])


def _read(blocks: list[bytes]) -> str | None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "blk00000.dat").write_bytes(frame(blocks))
        try:
            for _ in blkfiles.read_block_batches([Path(tmp)]):
                pass
        except CorruptDataError as exc:
            return str(exc)
    return None


def _without_verdicts(batch, merkle=True, witness=None):  # the pre-verdict behaviour
    return verify.first_inconsistent_block(batch, merkle=merkle)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(W.shaped_blocks(), min_size=1, max_size=3))
def test_blk_ingest_messages_are_unchanged(cases) -> None:
    """Blk files of generated blocks: the same error text with and without scanner verdicts."""
    genesis = regtest_genesis()
    chain, prev = [genesis], genesis
    for _, shape, txs in cases:
        reserved = b"\x00" * 32
        prev = W.build(txs, shape, reserved, prev=bytes.fromhex(block_hash(prev))[::-1])
        chain.append(prev)
    with mock.patch.object(blkfiles, "first_inconsistent_block", _without_verdicts):
        before = _read(chain)
    assert _read(chain) == before


# --- real blocks ----------------------------------------------------------------------------


def _segwit_vectors() -> list[Tx]:
    rows = json.loads((DATA / "vectors" / "tx_valid.json").read_text())
    txs = [Tx.parse(bytes.fromhex(r[1])) for r in rows if len(r) > 1 and isinstance(r[0], list)]
    return [tx for tx in txs if tx.has_witness and not tx.inputs[0].is_coinbase]


@pytest.mark.parametrize("height", [0, 1, 50000, 50001, 50002, 413567])
def test_real_mainnet_blocks(height: int) -> None:
    block = mainnet_block(height)
    cols = blockscan.scan([block], NETWORKS["mainnet"], native=False)
    assert bytes(cols["b_merkle_ok"]) == b"\x01"
    assert bytes(cols["b_witness"]) == bytes([blockscan.WITNESS_NONE])
    if blockscan.NATIVE:
        native = blockscan.scan([block], NETWORKS["mainnet"], native=True)
        assert {k: bytes(v) for k, v in native.items()} == cols


@pytest.mark.parametrize("shape", [W.Shape(), W.Shape(corrupt_witness=True), W.Shape("wrong")])
def test_core_segwit_vectors_in_a_block(shape: W.Shape) -> None:
    """Core's tx_valid.json segwit transactions (real witnesses) under a built commitment."""
    txs = _segwit_vectors()
    assert len(txs) >= 20
    block = W.build(txs, shape, bytes(range(32)))
    want = W.expected_verdict(shape, txs)
    for native in (True, False) if blockscan.NATIVE else (False,):
        cols = blockscan.scan([block], REGTEST, native=native)
        assert bytes(cols["b_witness"]) == bytes([want & 0xFF])
        assert scanner_verdict([block], native) == row_reference([block])


@pytest.mark.parametrize("native", [True, False])
def test_real_segwit_block_exact_message(tmp_path: Path, monkeypatch, native: bool) -> None:
    """The commitment error of a blk file reads exactly as before, compiled scanner or not."""
    from tests.sources.blockfactory import child_block, segwit_block

    if native and not blockscan.NATIVE:
        pytest.skip("C scanner not built")
    monkeypatch.setattr(blockscan, "NATIVE", native)
    genesis = regtest_genesis()
    b1 = child_block(genesis, 1)
    block = bytearray(segwit_block(b1, 2))
    block[len(block) - 40] ^= 0x01  # inside the public key in the last witness
    (tmp_path / "blk00000.dat").write_bytes(frame([genesis, b1, bytes(block)]))
    offset = 8 + len(genesis) + 8 + len(b1) + 8
    expected = (
        f"blk00000.dat: block {block_hash(bytes(block))}: witness commitment does not match "
        f"the witness data at byte offset {offset}"
    )
    with pytest.raises(CorruptDataError) as exc:
        list(blkfiles.read_block_batches([tmp_path]))
    assert str(exc.value) == expected
