"""Hypothesis strategies for the scanner tests: blocks whose outputs hit every script type.

Kept separate from ``tests/codecs/strategies.py`` on purpose: these aim at the classification
edges the C scanner re-implements (P2PK prefixes, multisig shapes, push-only OP_RETURN, witness
program lengths, the P2A anchor), not at codec round trips.
"""

from __future__ import annotations

from hypothesis import strategies as st

from ledgerhound.codecs import compact
from ledgerhound.codecs.block import BlockHeader, merkle_root
from ledgerhound.codecs.tx import Tx, TxIn, TxOut

u32 = st.integers(0, 0xFFFFFFFF)
hash20 = st.binary(min_size=20, max_size=20)
hash32 = st.binary(min_size=32, max_size=32)


def push(data: bytes, form: int = 0) -> bytes:
    """A push of ``data``: minimal (form 0) or at least OP_PUSHDATA1/2/4 (forms 1..3)."""
    n = len(data)
    if form == 0 and n < 0x4C:
        return bytes([n]) + data
    if form <= 1 and n <= 0xFF:
        return b"\x4c" + bytes([n]) + data
    if form <= 2 and n <= 0xFFFF:
        return b"\x4d" + n.to_bytes(2, "little") + data
    return b"\x4e" + n.to_bytes(4, "little") + data


pubkey_like = st.one_of(
    st.builds(lambda p, b: bytes([p]) + b, st.integers(0, 8), hash32),  # 33 bytes, any prefix
    st.builds(lambda p, b: bytes([p]) + b, st.integers(0, 8), st.binary(min_size=64, max_size=64)),
    st.binary(max_size=70),
)


@st.composite
def multisig(draw: st.DrawFn) -> bytes:
    keys = draw(st.lists(pubkey_like, min_size=0, max_size=4))
    m = draw(st.integers(0, 17))
    n = draw(st.sampled_from([len(keys), len(keys), draw(st.integers(0, 17))]))
    body = b"".join(push(k, draw(st.integers(0, 1))) for k in keys)
    tail = draw(st.sampled_from([b"\xae", b"\xae", b"\xac", b""]))
    return bytes([_small(draw, m)]) + body + bytes([_small(draw, n)]) + tail


def _small(draw: st.DrawFn, k: int) -> int:
    """OP_k for 1..16, else an opcode that is not a small integer."""
    return 0x50 + k if 1 <= k <= 16 else draw(st.sampled_from([0x00, 0x4F, 0x61]))


@st.composite
def nulldata(draw: st.DrawFn) -> bytes:
    parts = draw(
        st.lists(
            st.one_of(
                st.builds(push, st.binary(max_size=80), st.integers(0, 3)),
                st.sampled_from([b"\x00", b"\x4f", b"\x50", b"\x51", b"\x60", b"\x61", b"\xac"]),
                st.sampled_from([b"\x4c", b"\x4d\x01", b"\x4e\x00\x00", b"\x05ab"]),  # overruns
            ),
            max_size=4,
        )
    )
    return b"\x6a" + b"".join(parts)


def witness_script(version: int, program: bytes) -> bytes:
    return bytes([0 if version == 0 else 0x50 + version, len(program)]) + program


scripts = st.one_of(
    st.builds(lambda h: b"\x76\xa9\x14" + h + b"\x88\xac", hash20),  # pubkeyhash
    st.builds(lambda h: b"\xa9\x14" + h + b"\x87", hash20),  # scripthash
    st.builds(witness_script, st.just(0), st.one_of(hash20, hash32)),  # v0 keyhash/scripthash
    st.builds(witness_script, st.just(0), st.binary(min_size=2, max_size=40)),  # v0 nonstandard
    st.builds(witness_script, st.just(1), hash32),  # taproot
    st.builds(witness_script, st.integers(1, 16), st.binary(min_size=0, max_size=41)),
    st.just(b"\x51\x02\x4e\x73"),  # P2A anchor
    st.builds(lambda k: push(k) + b"\xac", pubkey_like),  # pubkey (or near misses)
    multisig(),
    nulldata(),
    st.binary(max_size=60),  # anything
    st.just(b""),
)

tx_in = st.builds(
    TxIn,
    prev_txid=hash32,
    prev_vout=u32,
    script_sig=st.binary(max_size=40),
    sequence=u32,
    witness=st.lists(st.binary(max_size=40), max_size=3).map(tuple),
)
coinbase_in = st.builds(
    TxIn,
    prev_txid=st.just(b"\x00" * 32),
    prev_vout=st.just(0xFFFFFFFF),
    script_sig=st.binary(min_size=2, max_size=40),
    sequence=u32,
    witness=st.sampled_from([(), (b"\x00" * 32,)]),
)
tx_out = st.builds(TxOut, value=st.integers(0, 21 * 10**14), script=scripts)


@st.composite
def transactions(draw: st.DrawFn, coinbase: bool = False) -> Tx:
    if coinbase:
        inputs = (draw(coinbase_in),)
    else:
        inputs = tuple(draw(st.lists(tx_in, min_size=1, max_size=3)))
    outputs = tuple(draw(st.lists(tx_out, max_size=5)))
    return Tx(draw(st.integers(-(2**31), 2**31 - 1)), inputs, outputs, draw(u32))


@st.composite
def blocks(draw: st.DrawFn) -> bytes:
    """A serialized block with a coinbase first and a correct merkle root."""
    txs = [draw(transactions(coinbase=True))] + draw(st.lists(transactions(), max_size=4))
    root = merkle_root([bytes.fromhex(tx.txid)[::-1] for tx in txs])
    header = BlockHeader(draw(st.integers(-(2**31), 2**31 - 1)), draw(hash32), root, *draw(
        st.tuples(u32, u32, u32)
    ))  # fmt: skip
    return header.serialize() + compact.encode(len(txs)) + b"".join(t.serialize() for t in txs)


def as_block(txs: list[Tx]) -> bytes:
    """A block around given transactions (zero header fields, correct merkle root)."""
    root = merkle_root([bytes.fromhex(tx.txid)[::-1] for tx in txs])
    header = BlockHeader(1, b"\x00" * 32, root, 0, 0, 0)
    return header.serialize() + compact.encode(len(txs)) + b"".join(t.raw for t in txs)
