"""Arbitrary or mutated input never leaks IndexError/KeyError/ValueError: only our own errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.codecs import base58, bech32, compact
from ledgerhound.codecs.address import NETWORKS, address_to_script, script_to_address
from ledgerhound.codecs.block import Block, BlockHeader, bip34_height
from ledgerhound.codecs.script import classify, iter_pushes
from ledgerhound.codecs.tx import Tx
from ledgerhound.errors import CodecError, InvalidAddressError

from .strategies import blocks, transactions

ADDRESS_CHARS = base58.ALPHABET + bech32.CHARSET + "01BIOlbio "
address_like = st.one_of(st.text(max_size=100), st.text(ADDRESS_CHARS, max_size=95))


@given(st.binary(max_size=300))
def test_random_bytes_as_tx_block_header(data):
    for parse in (Tx.parse, Block.parse, BlockHeader.parse):
        try:
            parse(data)
        except CodecError:
            pass
    try:
        compact.decode(data, 0)
    except CodecError:
        pass


@given(st.binary(max_size=200))
def test_random_bytes_as_script(data):
    classify(data)
    iter_pushes(data)
    script_to_address(data, NETWORKS["regtest"])
    bip34_height(data)


@given(transactions(), st.data())
def test_mutated_transactions_parse_or_raise_codec_error(tx, data):
    raw = bytearray(tx.serialize())
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    try:
        parsed = Tx.parse(bytes(raw))
    except CodecError:
        return
    assert parsed.serialize() == bytes(raw)  # whatever parses re-serializes byte-exactly


@given(blocks, st.data())
def test_mutated_blocks_parse_or_raise_codec_error(block, data):
    raw = bytearray(block.serialize())
    pos = data.draw(st.integers(0, len(raw) - 1))
    raw[pos] = data.draw(st.integers(0, 255))
    try:
        parsed = Block.parse(bytes(raw))
    except CodecError:
        return
    assert parsed.serialize() == bytes(raw)


@given(address_like)
def test_random_text_as_base58(text):
    for decode in (base58.b58decode, base58.b58check_decode):
        try:
            decode(text)
        except InvalidAddressError as exc:
            assert exc.details["reason"] in {"character", "checksum", "length"}


@given(address_like)
def test_random_text_as_bech32(text):
    try:
        bech32.bech32_decode(text)
    except InvalidAddressError as exc:
        assert exc.details["reason"]
    try:
        bech32.decode_segwit("bc", text)
    except InvalidAddressError as exc:
        assert exc.details["reason"]


@pytest.mark.parametrize("net", sorted(NETWORKS))
@given(text=address_like)
def test_random_text_as_address(net, text):
    try:
        script = address_to_script(text, NETWORKS[net])
    except InvalidAddressError as exc:
        assert exc.details["reason"] in {
            "length", "character", "mixed-case", "separator", "hrp",
            "checksum", "version", "program", "network",
        }  # fmt: skip
        return
    assert script_to_address(script, NETWORKS[net]).address is not None
