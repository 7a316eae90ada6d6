"""Transactions: every Core tx vector round-trips byte-exactly; txids agree with bitcoinlib."""

from __future__ import annotations

import pytest
from bitcoin.core import CTransaction
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.codecs import compact
from ledgerhound.codecs.tx import Tx, TxIn, TxOut
from ledgerhound.errors import CodecError

from .strategies import transactions
from .vectors import tx_rows

ROWS = tx_rows("tx_valid.json") + tx_rows("tx_invalid.json")


def test_vector_counts():
    assert len(tx_rows("tx_valid.json")) == 121
    assert len(tx_rows("tx_invalid.json")) == 93


@pytest.mark.parametrize("row", ROWS, ids=range(len(ROWS)))
def test_core_vectors_roundtrip_and_match_bitcoinlib(row):
    raw = bytes.fromhex(row[1])
    tx = Tx.parse(raw)
    assert tx.serialize() == raw
    assert tx.raw == raw
    assert Tx.parse(tx.serialize()) == tx
    theirs = CTransaction.deserialize(raw)
    assert tx.txid == theirs.GetTxid()[::-1].hex()
    assert tx.wtxid == theirs.GetHash()[::-1].hex()
    assert len(tx.inputs) == len(theirs.vin) and len(tx.outputs) == len(theirs.vout)
    assert [o.value for o in tx.outputs] == [o.nValue for o in theirs.vout]
    # the prevouts named in the vector are the ones the tx spends
    prevouts = {(p[0], p[1] & 0xFFFFFFFF) for p in row[0]}
    assert {(i.prev_txid_hex, i.prev_vout) for i in tx.inputs} <= prevouts
    assert tx.weight == 3 * len(tx.serialize(include_witness=False)) + len(raw)


def test_a_segwit_vector_has_distinct_txid_and_wtxid():
    segwit = [Tx.parse(bytes.fromhex(r[1])) for r in ROWS if bytes.fromhex(r[1])[4] == 0]
    assert segwit and all(t.has_witness and t.txid != t.wtxid for t in segwit)
    assert all(t.vsize < t.size for t in segwit)


# a minimal legacy tx: 1 input, 1 output
LEGACY = Tx(1, (TxIn(b"\x11" * 32, 0, b"\x51", 0xFFFFFFFF),), (TxOut(5000, b"\x51"),), 0)


def test_empty_tx_is_read_as_core_reads_it():
    """version + 0x00 (empty vin) + 0x00 (flag 0 = empty vout) + locktime: Core's 0-in/0-out tx."""
    raw = bytes.fromhex("01000000000000000000")
    tx = Tx.parse(raw)
    assert tx == Tx(1, (), (), 0)
    assert tx.serialize() == raw


@pytest.mark.parametrize(
    ("raw_hex", "needle"),
    [
        ("010000000002" + LEGACY.serialize().hex()[8:], "unknown transaction optional data flag"),
        ("010000000001" + LEGACY.serialize().hex()[8:-8] + "00" + "00000000", "superfluous"),
        (LEGACY.serialize().hex() + "00", "1 trailing bytes"),
        ("01000000fd0100", "non-canonical compact size"),
        ("01000000fe00000004", "exceeds"),  # 0x04000000 inputs > Core's MAX_SIZE
        (LEGACY.serialize().hex()[:-2], "truncated data"),
        ("", "truncated"),
    ],
)
def test_malformed_transactions_raise_codec_errors(raw_hex, needle):
    with pytest.raises(CodecError, match=needle):
        Tx.parse(bytes.fromhex(raw_hex))


@given(transactions())
def test_tx_serialize_parse_roundtrip(tx):
    raw = tx.serialize()
    parsed = Tx.parse(raw)
    assert parsed == tx
    assert parsed.serialize() == raw
    assert parsed.txid == tx.txid and parsed.wtxid == tx.wtxid
    stripped = Tx.parse(tx.serialize(include_witness=False))
    assert stripped.txid == tx.txid
    assert stripped.wtxid == tx.txid
    assert parsed.size == len(raw)
    assert parsed.vsize == (parsed.weight + 3) // 4


@given(transactions(), st.data())
def test_any_truncation_raises_codec_error(tx, data):
    raw = tx.serialize()
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(CodecError):
        Tx.parse(raw[:cut])


@given(transactions(), st.binary(min_size=1, max_size=8))
def test_trailing_bytes_are_rejected_but_read_from_stops_at_the_end(tx, extra):
    raw = tx.serialize()
    with pytest.raises(CodecError, match="trailing"):
        Tx.parse(raw + extra)
    parsed, end = Tx.read_from(memoryview(raw + extra), 0)
    assert parsed == tx and end == len(raw)


@given(st.integers(0, 2**64 - 1))
def test_compact_size_roundtrip(n):
    enc = compact.encode(n)
    assert len(enc) == (1 if n < 0xFD else 3 if n <= 0xFFFF else 5 if n <= 0xFFFFFFFF else 9)
    assert compact.decode(enc, 0, max_value=None) == (n, len(enc))
    assert compact.decode(b"xx" + enc, 2, max_value=None) == (n, len(enc) + 2)
    if n > compact.MAX_SIZE:
        with pytest.raises(CodecError):
            compact.decode(enc, 0)
    for cut in range(len(enc)):
        with pytest.raises(CodecError):
            compact.decode(enc[:cut], 0)


@pytest.mark.parametrize("raw", ["fdfc00", "fe ffff0000", "ff ffffffff00000000"])
def test_compact_size_non_minimal_forms_are_rejected(raw):
    with pytest.raises(CodecError, match="non-canonical"):
        compact.decode(bytes.fromhex(raw.replace(" ", "")), 0, max_value=None)


def test_compact_size_out_of_range_is_a_codec_error():
    for n in (-1, 2**64):
        with pytest.raises(CodecError):
            compact.encode(n)
