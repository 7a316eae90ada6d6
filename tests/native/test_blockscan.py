"""The compiled block scanner agrees with the pure-Python codecs, byte for byte and error for error.

Three implementations are compared: the C scanner (``native=True``), the scanner's Python
fallback (``native=False``) and the row-by-row ``blocks_to_batch_reference`` over the codecs.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerhound.codecs import blockscan, compact
from ledgerhound.codecs.address import MAINNET, NETWORKS
from ledgerhound.codecs.block import Block
from ledgerhound.codecs.tx import Tx, TxIn, TxOut
from ledgerhound.errors import CodecError
from ledgerhound.sources.rawblocks import RawBlock, blocks_to_batch, blocks_to_batch_reference
from ledgerhound.store.batch import CHAIN_TABLES
from tests.conftest import DATA
from tests.native import strategies as S

BLOCK413567 = (DATA / "bitcoin" / "block413567.raw").read_bytes()
NETS = st.sampled_from(sorted(NETWORKS.values(), key=lambda n: n.name))


def test_the_extension_is_built():
    """``pip install -e .`` (make test) must build it; the fallback is for exotic platforms."""
    assert blockscan.NATIVE


def test_column_memory_pool_is_bounded_and_can_be_released():
    from ledgerhound.codecs import _blockscan

    for _ in range(3):
        blockscan.scan([BLOCK413567] * 3, MAINNET)
    chunks, size = _blockscan.pool_stats()
    assert 0 < chunks <= 160 and size <= 256 << 20
    _blockscan.pool_clear()
    assert _blockscan.pool_stats() == (0, 0)
    assert len(blockscan.scan([BLOCK413567], MAINNET)["t_txid"]) == 64 * 1557


def assert_same_batches(raws: list[RawBlock], network=MAINNET) -> None:
    native = blocks_to_batch(raws, network, "o", native=True)
    fallback = blocks_to_batch(raws, network, "o", native=False)
    reference = blocks_to_batch_reference(raws, network, "o")
    for name in CHAIN_TABLES:
        want = getattr(reference, name)
        for got in (getattr(native, name), getattr(fallback, name)):
            assert got.schema.equals(want.schema, check_metadata=True), name
            for column in want.column_names:
                assert got[column].equals(want[column]), f"{name}.{column}"


def outcome(data: bytes, network=MAINNET, native: bool = True):
    """Columns as bytes, or the error's (message, details) -- what must agree across paths."""
    try:
        return {k: bytes(v) for k, v in blockscan.scan([data], network, native=native).items()}
    except CodecError as exc:
        return ("error", exc.message, exc.details)


# --- real data -----------------------------------------------------------------------------


def test_block413567_tables_equal_reference_exactly():
    raws = [RawBlock(BLOCK413567, 413567), RawBlock(BLOCK413567, None, in_main_chain=False)]
    assert_same_batches(raws)


def test_block413567_known_facts():
    batch = blocks_to_batch([RawBlock(BLOCK413567, 413567)], verify_merkle=True)
    block = batch.blocks.to_pylist()[0]
    assert block["hash"] == "0000000000000000025aff8be8a55df8f89c77296db6198f272d6577325d4069"
    assert block["merkle_root"] == (
        "64a50c649fc816baaa2effda230c39cacf1504e4e616a2863685b72aaa7dce05"
    )
    assert (block["tx_count"], block["size"], block["weight"]) == (1557, 999887, 4 * 999887)
    assert (batch.transactions.num_rows, batch.inputs.num_rows) == (1557, 4887)
    assert batch.outputs.num_rows == 3581
    assert batch.inputs["prev_txid"].null_count == 1  # the coinbase input only


def test_core_tx_valid_vectors_in_one_block():
    """All of Core's tx_valid.json transactions (legacy and segwit) scanned as one block."""
    rows = json.loads((DATA / "vectors" / "tx_valid.json").read_text())
    txs = [Tx.parse(bytes.fromhex(r[1])) for r in rows if len(r) > 1]
    assert sum(tx.has_witness for tx in txs) >= 20
    data = S.as_block(txs)
    for net in NETWORKS.values():
        assert outcome(data, net) == outcome(data, net, native=False)
    assert_same_batches([RawBlock(data, 7)], NETWORKS["regtest"])


def test_truncations_of_real_block_fail_like_the_reference():
    for cut in (0, 79, 80, 81, 500, 123_457, len(BLOCK413567) - 1):
        with pytest.raises(CodecError) as native:
            blockscan.scan([BLOCK413567[:cut]], MAINNET)
        with pytest.raises(CodecError) as ref:
            Block.parse(BLOCK413567[:cut])
        assert native.value.message == ref.value.message
        assert native.value.details["offset"] == ref.value.details["offset"]


# --- generated blocks ----------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=S.blocks(), network=NETS)
def test_generated_blocks_scan_identically(data, network):
    assert outcome(data, network) == outcome(data, network, native=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(S.blocks(), min_size=1, max_size=3), network=NETS)
def test_generated_batches_equal_reference_tables(data, network):
    raws = [RawBlock(d, h) for h, d in enumerate(data)]
    assert_same_batches(raws, network)


@settings(max_examples=200, deadline=None)
@given(script=S.scripts, network=NETS)
def test_every_script_type_and_address_agrees(script, network):
    tx = Tx(2, (TxIn(b"\x11" * 32, 0, b"", 0),), (TxOut(5, script),), 0)
    data = S.as_block([tx])
    assert outcome(data, network) == outcome(data, network, native=False)


def test_script_type_coverage_of_the_strategy():
    """The named edge cases really produce every Core type name (so the property tests bite)."""
    pk = b"\x02" + b"\x07" * 32
    cases = {
        "anchor": b"\x51\x02\x4e\x73",
        "witness_unknown": b"\x52\x02\xab\xcd",
        "witness_v1_taproot": b"\x51\x20" + b"\x01" * 32,
        "pubkey": S.push(pk) + b"\xac",
        "multisig": b"\x51" + S.push(pk) + S.push(pk) + b"\x52\xae",
        "nulldata": b"\x6a" + S.push(b"x" * 80, 2),
        "nonstandard": b"\x00\x05abcde",
    }
    txs = [Tx(1, (TxIn(b"\x22" * 32, 1, b"", 0),), (TxOut(1, s),), 0) for s in cases.values()]
    cols = blockscan.scan([S.as_block(txs)], MAINNET)
    names = [blockscan.SCRIPT_TYPES[c] for c in bytes(cols["o_type"])]
    assert names == list(cases)


PK33, PK65 = b"\x03" + b"\x01" * 32, b"\x04" + b"\x02" * 64
SCRIPT_EDGES = {
    "1-of-1": b"\x51" + S.push(PK33) + b"\x51\xae",
    "m=0": b"\x00" + S.push(PK33) + b"\x51\xae",
    "m>n": b"\x52" + S.push(PK33) + b"\x51\xae",
    "n=17 as push": b"\x51" + b"".join([S.push(PK33)] * 17) + b"\x01\x11\xae",
    "n=21 as push": b"\x51" + b"".join([S.push(PK33)] * 21) + b"\x01\x15\xae",
    "m=17 as push": b"\x01\x11" + b"".join([S.push(PK33)] * 17) + b"\x01\x11\xae",
    "n wrong": b"\x51" + S.push(PK33) + S.push(PK65) + b"\x53\xae",
    "bad key prefix": b"\x51" + S.push(b"\x05" + PK65[1:]) + b"\x51\xae",
    "key via PUSHDATA1": b"\x51" + S.push(PK33, 1) + b"\x51\xae",
    "p2pk 65 prefix 6": S.push(b"\x06" + PK65[1:]) + b"\xac",
    "p2pk 33 prefix 4": S.push(b"\x04" + PK33[1:]) + b"\xac",
    "p2pk via PUSHDATA1": S.push(PK33, 1) + b"\xac",
    "op_return alone": b"\x6a",
    "op_return reserved": b"\x6a\x50",
    "op_return non-push": b"\x6a\x61",
    "op_return overrun": b"\x6a\x4d\xff",
    "v0 length 21": bytes([0, 21]) + b"\x01" * 21,
    "v16 length 40": bytes([0x60, 40]) + b"\x01" * 40,
    "v1 length 41": bytes([0x51, 41]) + b"\x01" * 41,
    "anchor-like v1 len 2": b"\x51\x02\x4e\x74",
    "p2sh-like 24 bytes": b"\xa9\x14" + b"\x01" * 20 + b"\x87\x00",
}


@pytest.mark.parametrize("name", sorted(SCRIPT_EDGES))
@pytest.mark.parametrize("network", ["mainnet", "regtest"])
def test_script_edge_cases_agree(name, network):
    tx = Tx(1, (TxIn(b"\x44" * 32, 0, b"", 0),), (TxOut(9, SCRIPT_EDGES[name]),), 0)
    data = S.as_block([tx])
    assert outcome(data, NETWORKS[network]) == outcome(data, NETWORKS[network], native=False)


# --- hand-made format edge cases -------------------------------------------------------------


def _tx_bytes(body: bytes) -> bytes:
    header = b"\x01\x00\x00\x00" + b"\x00" * 64 + b"\x00" * 12
    return header + b"\x01" + body


LEGACY_TX = bytes.fromhex("0100000001" + "11" * 32 + "0000000000ffffffff0000000000")
EDGE_CASES = {
    "superfluous witness": _tx_bytes(
        bytes.fromhex("01000000" "0001" "01" + "11" * 32 + "00000000" "00" "ffffffff" "00" "00")
        + b"\x00\x00\x00\x00"
    ),
    "unknown flag": _tx_bytes(
        bytes.fromhex("01000000" "0002" "01" + "11" * 32 + "00000000" "00" "ffffffff" "00")
        + b"\x00\x00\x00\x00"
    ),
    "non-canonical compact": _tx_bytes(bytes.fromhex("01000000" "fd0100")),
    "huge input count": _tx_bytes(bytes.fromhex("01000000" "ffffffffffffffffff")),
    "input count MAX_SIZE": _tx_bytes(bytes.fromhex("01000000" "fe00000002")),
    "input count MAX_SIZE + 1": _tx_bytes(bytes.fromhex("01000000" "fe01000002")),
    "huge script length": _tx_bytes(
        bytes.fromhex("01000000" "01" + "11" * 32 + "00000000" "feffffffff")
    ),
    "trailing bytes": _tx_bytes(LEGACY_TX) + b"\x00",
    "zero flag byte": _tx_bytes(bytes.fromhex("01000000" "0000" "00000000")),
    "zero flag byte then outputs": _tx_bytes(
        bytes.fromhex("01000000" "0000" "01" "0500000000000000" "00" "00000000")
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_format_edge_cases_agree(name):
    data = EDGE_CASES[name]
    native, fallback = outcome(data), outcome(data, native=False)
    assert native == fallback
    try:
        Block.parse(data)
    except CodecError as exc:
        assert native[:2] == ("error", exc.message)
        assert native[2]["offset"] == exc.details["offset"]
    else:
        assert name == "zero flag byte"  # Core: empty vin + flag 0 = empty vout; accepted
        assert isinstance(native, dict)


def test_error_names_block_and_offset():
    good = S.as_block([Tx.parse(LEGACY_TX)])
    with pytest.raises(CodecError) as exc:
        blockscan.scan([good, good[:-3]], MAINNET)
    assert exc.value.details == {"offset": len(good) - 4, "block": 1}
    assert "locktime needs 4 bytes" in exc.value.message


def test_verify_merkle_rejects_a_wrong_root():
    data = bytearray(S.as_block([Tx.parse(LEGACY_TX)]))
    data[40] ^= 1
    blocks_to_batch([RawBlock(bytes(data), 1)])  # parses: the tables are still honest
    with pytest.raises(CodecError, match="merkle root does not match"):
        blocks_to_batch([RawBlock(bytes(data), 1)], verify_merkle=True)


def test_output_value_overflow_is_a_codec_error():
    out = TxOut(2**63 - 1, b"\x51")
    tx = Tx(1, (TxIn(b"\x33" * 32, 0, b"", 0),), (out, out), 0)
    data = S.as_block([tx])
    assert outcome(data) == outcome(data, native=False)
    assert outcome(data)[1] == "sum of output values overflows 64 bits"


# --- corruption fuzz (bounded) ---------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=S.blocks(), cut=st.floats(0, 1), flips=st.lists(st.integers(0, 2**31 - 1), max_size=3))
def test_corrupted_blocks_never_crash_and_agree(data, cut, flips):
    corrupt = bytearray(data[: int(len(data) * cut)] if cut < 0.5 else data)
    for f in flips:
        if corrupt:
            corrupt[f % len(corrupt)] ^= 1 << (f >> 28)
    native = outcome(bytes(corrupt))
    assert native == outcome(bytes(corrupt), native=False)


def test_random_garbage_and_compact_sizes_raise_codec_errors():
    for blob in (b"", b"\x00" * 79, b"\x00" * 80, b"\x00" * 80 + b"\xff", bytes(range(256)) * 4):
        with pytest.raises(CodecError):
            blockscan.scan([blob], MAINNET)
    assert compact.encode(0xFFFFFFFF) == b"\xfe\xff\xff\xff\xff"


def test_scan_accepts_any_bytes_like_and_rejects_non_buffers():
    good = S.as_block([Tx.parse(LEGACY_TX)])
    for form in (good, bytearray(good), memoryview(good)):
        assert bytes(blockscan.scan([form], MAINNET)["t_txid"]) == bytes(
            Tx.parse(LEGACY_TX).txid, "ascii"
        )
    with pytest.raises(TypeError):
        blockscan.scan(["not bytes"], MAINNET)


def test_empty_input_gives_empty_tables_with_the_store_schema():
    native, reference = blocks_to_batch([]), blocks_to_batch_reference([])
    for name in CHAIN_TABLES:
        assert getattr(native, name).equals(getattr(reference, name))
        assert getattr(native, name).num_rows == 0


def test_columns_outlive_the_scan_and_are_read_only():
    cols = blockscan.scan([BLOCK413567], MAINNET)
    txids = cols["t_txid"]
    del cols
    assert bytes(txids[:64]).decode() == Block.parse(BLOCK413567).txs[0].txid
    with pytest.raises(TypeError):
        txids[0] = 0
