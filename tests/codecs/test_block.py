"""Real mainnet block 413,567 decoded and cross-checked tx by tx against python-bitcoinlib."""

from __future__ import annotations

from collections import Counter

import pytest
from bitcoin.core import CBlock
from bitcoin.wallet import CBitcoinAddress, CBitcoinAddressError
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.codecs.address import script_to_address
from ledgerhound.codecs.block import HEADER_SIZE, Block, BlockHeader, bip34_height, merkle_root
from ledgerhound.codecs.hashes import hash256
from ledgerhound.codecs.script import classify
from ledgerhound.errors import CodecError

from .strategies import blocks, hash32, headers
from .vectors import BLOCK_413567

BLOCK_HASH = "0000000000000000025aff8be8a55df8f89c77296db6198f272d6577325d4069"


@pytest.fixture(scope="module")
def raw() -> bytes:
    return BLOCK_413567.read_bytes()


@pytest.fixture(scope="module")
def block(raw) -> Block:
    return Block.parse(raw)


@pytest.fixture(scope="module")
def theirs(raw) -> CBlock:
    return CBlock.deserialize(raw)


def test_block_identity_and_counts(block, raw):
    assert block.hash == BLOCK_HASH
    assert hash256(raw[:HEADER_SIZE])[::-1].hex() == BLOCK_HASH
    assert block.header.prev_hash_hex.startswith("0000000000000000")
    assert len(block.txs) == 1557
    assert block.computed_merkle_root() == block.header.merkle_root
    assert sum(len(tx.inputs) for tx in block.txs) == 4887
    assert sum(len(tx.outputs) for tx in block.txs) == 3581
    assert block.serialize() == raw


def test_block_outputs(block):
    outputs = [o for tx in block.txs for o in tx.outputs]
    assert Counter(classify(o.script) for o in outputs) == {
        "pubkeyhash": 2841,
        "scripthash": 737,
        "nulldata": 3,
    }
    assert sum(o.value for o in outputs) == 914_705_170_223


def test_coinbase(block):
    coinbase = block.txs[0]
    assert coinbase.is_coinbase and not any(tx.is_coinbase for tx in block.txs[1:])
    assert [o.value for o in coinbase.outputs] == [2_531_310_238]
    assert bip34_height(coinbase.inputs[0].script_sig) == 413_567


def test_every_txid_matches_python_bitcoinlib(block, theirs):
    assert block.hash == theirs.GetHash()[::-1].hex()
    assert [tx.txid for tx in block.txs] == [t.GetTxid()[::-1].hex() for t in theirs.vtx]
    assert [tx.size for tx in block.txs] == [len(t.serialize()) for t in theirs.vtx]


def test_every_output_address_matches_python_bitcoinlib(block, theirs):
    ours, expected = [], []
    for tx, t in zip(block.txs, theirs.vtx, strict=True):
        for o, their_out in zip(tx.outputs, t.vout, strict=True):
            ours.append(script_to_address(o.script).address)
            try:
                expected.append(str(CBitcoinAddress.from_scriptPubKey(their_out.scriptPubKey)))
            except CBitcoinAddressError:
                expected.append(None)
    assert len(ours) == 3581
    assert ours.count(None) == 3  # the OP_RETURN outputs
    assert ours == expected


def test_truncated_or_extended_block_is_rejected(raw):
    for cut in (0, 79, 80, 81, 1000, len(raw) - 1):
        with pytest.raises(CodecError):
            Block.parse(raw[:cut])
    with pytest.raises(CodecError, match="trailing bytes after block"):
        Block.parse(raw + b"\x00")


@pytest.mark.parametrize(
    ("script_sig", "height"),
    [
        (bytes.fromhex("037f4f06") + b"/pool/", 413_567),
        (bytes.fromhex("0100"), 0),
        (bytes.fromhex("55"), 5),  # OP_5 (heights 1..16)
        (b"", None),
        (bytes.fromhex("03ffff"), None),  # push overruns
        (bytes.fromhex("4c03010203"), None),  # PUSHDATA1 is not BIP34
        (bytes.fromhex("0181"), None),  # negative CScriptNum
        (bytes.fromhex("028000"), 128),  # sign byte keeps 128 positive
    ],
)
def test_bip34_height(script_sig, height):
    assert bip34_height(script_sig) == height


def test_merkle_root_rules():
    a, b, c = (bytes([i]) * 32 for i in (1, 2, 3))
    assert merkle_root([a]) == a
    assert merkle_root([a, b]) == hash256(a + b)
    assert merkle_root([a, b, c]) == hash256(hash256(a + b) + hash256(c + c))
    with pytest.raises(CodecError):
        merkle_root([])


@given(headers)
def test_header_roundtrip(header):
    raw = header.serialize()
    assert len(raw) == HEADER_SIZE
    assert BlockHeader.parse(raw) == header
    assert BlockHeader.read_from(b"\x00" + raw + b"\x00", 1) == (header, HEADER_SIZE + 1)
    with pytest.raises(CodecError, match="trailing"):
        BlockHeader.parse(raw + b"\x00")
    with pytest.raises(CodecError, match="truncated"):
        BlockHeader.parse(raw[:-1])


@given(blocks)
def test_block_roundtrip(block):
    raw = block.serialize()
    parsed = Block.parse(raw)
    assert parsed == block
    assert parsed.serialize() == raw


@given(blocks, st.data())
def test_block_truncation_raises_codec_error(block, data):
    raw = block.serialize()
    with pytest.raises(CodecError):
        Block.parse(raw[: data.draw(st.integers(0, len(raw) - 1))])


@given(st.lists(hash32, min_size=1, max_size=9))
def test_merkle_root_of_duplicated_last_leaf_is_the_same(leaves):
    """The CVE-2012-2459 ambiguity: an odd level equals the one with its last leaf repeated."""
    if len(leaves) > 1 and len(leaves) % 2:  # one leaf is the root itself
        assert merkle_root(leaves) == merkle_root(leaves + leaves[-1:])
