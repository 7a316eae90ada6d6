"""Base58 / Base58Check against Bitcoin Core's vectors, plus round-trip properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.codecs import base58
from ledgerhound.codecs.hashes import hash256
from ledgerhound.errors import InvalidAddressError

from .vectors import load

PAIRS = load("base58_encode_decode.json")


def test_all_core_vectors_are_present():
    assert len(PAIRS) == 21


@pytest.mark.parametrize(("hexdata", "text"), PAIRS, ids=[p[1] or "empty" for p in PAIRS])
def test_core_vectors_encode_and_decode(hexdata, text):
    assert base58.b58encode(bytes.fromhex(hexdata)) == text
    assert base58.b58decode(text) == bytes.fromhex(hexdata)


@pytest.mark.parametrize("bad", ["0", "O", "I", "l", " ", "é"])
def test_characters_outside_the_alphabet_are_named(bad):
    with pytest.raises(InvalidAddressError) as exc:
        base58.b58decode("1A1z" + bad)
    assert exc.value.details["reason"] == "character"
    assert "position 4" in exc.value.message


def test_base58check_known_address_and_faults():
    # the genesis coinbase output's P2PKH address (version 0x00 + hash160)
    payload = bytes.fromhex("0062e907b15cbf27d5425399ebf6f0fb50ebb88f18")
    assert base58.b58check_encode(payload) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    assert base58.b58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") == payload
    with pytest.raises(InvalidAddressError) as exc:
        base58.b58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb")
    assert exc.value.details["reason"] == "checksum"
    with pytest.raises(InvalidAddressError) as exc:
        base58.b58check_decode("111")
    assert exc.value.details["reason"] == "length"


@given(st.binary(max_size=64))
def test_base58_roundtrip(data):
    text = base58.b58encode(data)
    assert base58.b58decode(text) == data
    assert set(text) <= set(base58.ALPHABET)
    # each leading zero byte is one leading '1'
    assert len(text) - len(text.lstrip("1")) == len(data) - len(data.lstrip(b"\0"))


@given(st.binary(max_size=64))
def test_base58check_roundtrip(payload):
    text = base58.b58check_encode(payload)
    assert base58.b58check_decode(text) == payload
    assert base58.b58decode(text)[-4:] == hash256(payload)[:4]


@given(st.binary(min_size=1, max_size=40), st.data())
def test_base58check_detects_a_changed_character(payload, data):
    text = base58.b58check_encode(payload)
    pos = data.draw(st.integers(0, len(text) - 1))
    new = data.draw(st.sampled_from(base58.ALPHABET).filter(lambda c: c != text[pos]))
    changed = text[:pos] + new + text[pos + 1 :]
    with pytest.raises(InvalidAddressError) as exc:
        base58.b58check_decode(changed)
    assert exc.value.details["reason"] in {"checksum", "length"}
