"""Blocks built to hit every branch of the BIP141 witness-commitment check (and the merkle root).

:func:`build` assembles a block from a :class:`Shape` (how the commitment, the reserved value,
the witnesses and the tx list are bent) and :func:`expected_verdict` says, from the shape alone,
which ``blockscan.WITNESS_*`` code a correct checker must return -- so the tests check the
native and Python paths against each other *and* against BIP141.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import strategies as st

from ledgerhound.codecs import blockscan, compact
from ledgerhound.codecs.block import BlockHeader, merkle_root
from ledgerhound.codecs.hashes import hash256
from ledgerhound.codecs.tx import Tx, TxIn, TxOut

PREFIX = blockscan.WITNESS_COMMITMENT_PREFIX
REGTEST_BITS = 0x207FFFFF
COMMITMENTS = ("valid", "valid_extra", "wrong_then_valid", "wrong", "short", "valid_then_wrong")
COMMITMENTS += ("missing",)
RESERVED = ("ok", "missing", "two", "short")
_MISMATCHING = {"wrong", "short", "valid_then_wrong"}


@dataclass(frozen=True)
class Shape:
    """How a generated block departs from a valid segwit block."""

    commitment: str = "valid"  # one of COMMITMENTS
    reserved: str = "ok"  # one of RESERVED: the coinbase input's witness stack
    corrupt_witness: bool = False  # a witness changed after the commitment was computed
    duplicate_last: bool = False  # CVE-2012-2459: the last transaction appended again
    wrong_merkle: bool = False  # header merkle root not the txids'


def expected_verdict(shape: Shape, txs: list[Tx]) -> int:
    """The BIP141 verdict for ``build(txs, shape, ...)``, derived from the rules, not the code."""
    if not any(tx.has_witness for tx in txs):
        return blockscan.WITNESS_NONE
    if shape.commitment == "missing":
        return blockscan.WITNESS_NO_COMMITMENT
    if shape.reserved != "ok":
        return blockscan.WITNESS_NO_RESERVED
    if shape.corrupt_witness or shape.commitment in _MISMATCHING:
        return blockscan.WITNESS_MISMATCH
    return blockscan.WITNESS_OK


def build(txs: list[Tx], shape: Shape, reserved: bytes, prev: bytes = b"\x00" * 32) -> bytes:
    """A regtest block (proof of work met) of a coinbase bent by ``shape`` plus ``txs``."""
    body = txs + txs[-1:] if shape.duplicate_last and txs else list(txs)
    wtxids = [b"\x00" * 32] + [bytes.fromhex(tx.wtxid)[::-1] for tx in body]
    good = hash256(merkle_root(wtxids) + reserved)
    coinbase = _coinbase(_commitment_scripts(shape.commitment, good), _stack(shape, reserved))
    if shape.corrupt_witness:
        body = _corrupted(body)
    all_txs = [coinbase, *body]
    root = merkle_root([bytes.fromhex(tx.txid)[::-1] for tx in all_txs])
    if shape.wrong_merkle:
        root = hash256(root)
    payload = compact.encode(len(all_txs)) + b"".join(tx.serialize() for tx in all_txs)
    for nonce in range(1 << 16):
        header = BlockHeader(0x20000000, prev, root, 1296688602 + 600, REGTEST_BITS, nonce)
        raw = header.serialize()
        if int.from_bytes(hash256(raw), "little") <= 0x7FFFFF << (8 * 29):
            return raw + payload
    raise AssertionError("no nonce found")  # pragma: no cover


def _commitment_scripts(mode: str, good: bytes) -> list[bytes]:
    bad = bytes([good[0] ^ 1]) + good[1:]
    return {
        "valid": [PREFIX + good],
        "valid_extra": [PREFIX + good + b"\x01\x02"],  # BIP141: longer scripts are fine
        "wrong_then_valid": [PREFIX + bad, PREFIX + good],  # the last one counts
        "wrong": [PREFIX + bad],
        "short": [PREFIX + good[:20]],
        "valid_then_wrong": [PREFIX + good, PREFIX + bad],
        "missing": [b"\x6a\x24\xaa\x21\xa9\xee" + good],  # one byte off the prefix
    }[mode]


def _stack(shape: Shape, reserved: bytes) -> tuple[bytes, ...]:
    return {
        "ok": (reserved,),
        "missing": (),
        "two": (reserved, b"\x01"),
        "short": (reserved[:31],),
    }[shape.reserved]


def _coinbase(commitments: list[bytes], stack: tuple[bytes, ...]) -> Tx:
    payout = TxOut(50_0000_0000, bytes.fromhex("0014" + "22" * 20))
    outputs = (payout, *(TxOut(0, s) for s in commitments), TxOut(1, b"\x6a"))
    txin = TxIn(b"\x00" * 32, 0xFFFFFFFF, b"\x01\x01", 0xFFFFFFFF, witness=stack)
    return Tx(version=2, inputs=(txin,), outputs=outputs, locktime=0)


def _corrupted(body: list[Tx]) -> list[Tx]:
    """The last transaction with a witness gets one more witness item (wtxid changes, not txid)."""
    index = max(i for i, tx in enumerate(body) if tx.has_witness)
    tx = body[index]
    first = replace(tx.inputs[0], witness=(*tx.inputs[0].witness, b"\xff"))
    changed = replace(tx, inputs=(first, *tx.inputs[1:]), _raw=b"")
    return [*body[:index], changed, *body[index + 1 :]]


# --- strategies -------------------------------------------------------------------------------

hash32 = st.binary(min_size=32, max_size=32).filter(lambda b: any(b))
tx_in = st.builds(
    TxIn,
    prev_txid=hash32,
    prev_vout=st.integers(0, 50),
    script_sig=st.binary(max_size=20),
    sequence=st.integers(0, 0xFFFFFFFF),
    witness=st.lists(st.binary(max_size=40), max_size=3).map(tuple),
)
tx_out = st.builds(TxOut, value=st.integers(0, 2**40), script=st.binary(max_size=30))
transactions = st.builds(
    Tx,
    version=st.integers(1, 2),
    inputs=st.lists(tx_in, min_size=1, max_size=3).map(tuple),
    outputs=st.lists(tx_out, min_size=1, max_size=3).map(tuple),
    locktime=st.integers(0, 0xFFFFFFFF),
)


@st.composite
def shaped_blocks(draw: st.DrawFn) -> tuple[bytes, Shape, list[Tx]]:
    """``(block, shape, txs after the coinbase)``; tx counts 1..10, odd and even."""
    txs = draw(st.lists(transactions, max_size=9))
    has_witness = any(tx.has_witness for tx in txs)
    shape = Shape(
        commitment=draw(st.sampled_from(COMMITMENTS)),
        reserved=draw(st.sampled_from(RESERVED)),
        corrupt_witness=has_witness and draw(st.booleans()),
        duplicate_last=bool(txs) and draw(st.booleans()),
        wrong_merkle=draw(st.integers(0, 5)) == 0,
    )
    reserved = draw(st.binary(min_size=32, max_size=32))
    return build(txs, shape, reserved), shape, txs
