"""Hypothesis strategies for codec round trips: scripts, transactions, headers, blocks."""

from __future__ import annotations

from hypothesis import strategies as st

from ledgerhound.codecs.block import Block, BlockHeader
from ledgerhound.codecs.tx import Tx, TxIn, TxOut

u32 = st.integers(0, 0xFFFFFFFF)
hash32 = st.binary(min_size=32, max_size=32)
hash20 = st.binary(min_size=20, max_size=20)
small_bytes = st.binary(max_size=80)

compressed_pubkey = st.builds(lambda p, b: bytes([p]) + b, st.sampled_from([2, 3]), hash32)
uncompressed_pubkey = st.builds(
    lambda p, b: bytes([p]) + b, st.sampled_from([4, 6, 7]), st.binary(min_size=64, max_size=64)
)
pubkey = st.one_of(compressed_pubkey, uncompressed_pubkey)


def p2pkh(h: bytes) -> bytes:
    return bytes([0x76, 0xA9, 20]) + h + bytes([0x88, 0xAC])


def p2sh(h: bytes) -> bytes:
    return bytes([0xA9, 20]) + h + bytes([0x87])


def witness_script(version: int, program: bytes) -> bytes:
    return bytes([0 if version == 0 else 0x50 + version, len(program)]) + program


witness_v0 = st.builds(
    witness_script, st.just(0), st.one_of(hash20, hash32)
)  # keyhash / scripthash
witness_v1plus = st.builds(
    witness_script, st.integers(1, 16), st.binary(min_size=2, max_size=40)
)  # taproot, anchor, witness_unknown
address_script = st.one_of(
    st.builds(p2pkh, hash20), st.builds(p2sh, hash20), witness_v0, witness_v1plus
)

tx_in = st.builds(
    TxIn,
    prev_txid=hash32,
    prev_vout=u32,
    script_sig=small_bytes,
    sequence=u32,
    witness=st.lists(st.binary(max_size=40), max_size=4).map(tuple),
)
tx_out = st.builds(TxOut, value=st.integers(-(2**63), 2**63 - 1), script=small_bytes)


@st.composite
def transactions(draw: st.DrawFn, max_inputs: int = 4) -> Tx:
    """Any serializable tx; no inputs only with no outputs (else Core's format is ambiguous)."""
    inputs = tuple(draw(st.lists(tx_in, max_size=max_inputs)))
    outputs = tuple(draw(st.lists(tx_out, max_size=4))) if inputs else ()
    version = draw(st.integers(-(2**31), 2**31 - 1))
    return Tx(version, inputs, outputs, draw(u32))


headers = st.builds(
    BlockHeader,
    version=st.integers(-(2**31), 2**31 - 1),
    prev_hash=hash32,
    merkle_root=hash32,
    time=u32,
    bits=u32,
    nonce=u32,
)
blocks = st.builds(Block, header=headers, txs=st.lists(transactions(2), max_size=3).map(tuple))
