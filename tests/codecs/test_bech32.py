"""Bech32/Bech32m against every BIP173/BIP350 vector, plus round-trip properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.codecs import bech32
from ledgerhound.codecs.address import NETWORKS, address_to_script, script_to_address
from ledgerhound.codecs.bech32 import Encoding
from ledgerhound.errors import InvalidAddressError

from .vectors import load

V = load("bip173_bip350_bech32_vectors.json")
NET_BY_HRP = {"bc": NETWORKS["mainnet"], "tb": NETWORKS["testnet"], "bcrt": NETWORKS["regtest"]}

# BIP text reason -> our machine-readable ``reason`` (docs/methods/addresses.md)
REASONS = {
    "HRP character out of range": "character",
    "overall max length exceeded": "length",
    "No separator character": "separator",
    "Empty HRP": "hrp",
    "empty HRP": "hrp",
    "Invalid data character": "character",
    "Too short checksum": "length",
    "Invalid character in checksum": "character",
    "checksum calculated with uppercase form of HRP": "checksum",
    "Invalid human-readable part": "hrp",
    "Invalid checksum": "checksum",
    "Invalid checksum (Bech32 instead of Bech32m)": "checksum",
    "Invalid checksum (Bech32m instead of Bech32)": "checksum",
    "Invalid witness version": "version",
    "Invalid program length": "length",
    "Invalid program length (1 byte)": "length",
    "Invalid program length (41 bytes)": "length",
    "Invalid program length for witness version 0 (per BIP141)": "length",
    "Mixed case": "mixed-case",
    "zero padding of more than 4 bits": "program",
    "Non-zero padding in 8-to-5 conversion": "program",
    "Empty data section": "version",
}


def _net_for(address: str):
    sep = address.rfind("1")
    return NET_BY_HRP.get(address[:sep].lower(), NETWORKS["mainnet"])


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(s, Encoding.BECH32) for s in V["bip173"]["valid_bech32"]]
    + [(s, Encoding.BECH32M) for s in V["bip350"]["valid_bech32m"]],
)
def test_valid_strings_decode_with_their_checksum_and_reencode(text, encoding):
    hrp, data, enc = bech32.bech32_decode(text)
    assert enc is encoding
    assert bech32.bech32_encode(hrp, data, enc) == text.lower()
    # the other constant never validates the same string
    other = Encoding.BECH32M if enc is Encoding.BECH32 else Encoding.BECH32
    assert bech32.bech32_encode(hrp, data, other) != text.lower()


@pytest.mark.parametrize(
    "case",
    V["bip173"]["invalid_bech32"] + V["bip350"]["invalid_bech32m"],
    ids=lambda c: repr(c["string"]),
)
def test_invalid_strings_are_rejected_with_the_named_reason(case):
    with pytest.raises(InvalidAddressError) as exc:
        bech32.bech32_decode(case["string"])
    assert exc.value.details["reason"] == REASONS[case["reason"]]


@pytest.mark.parametrize("case", V["bip350"]["valid_segwit_addresses"], ids=lambda c: c["address"])
def test_valid_segwit_addresses_give_their_script_and_reencode(case):
    net = _net_for(case["address"])
    script = bytes.fromhex(case["scriptPubKey"])
    assert address_to_script(case["address"], net) == script
    assert script_to_address(script, net).address == case["address"].lower()


@pytest.mark.parametrize(
    "case",
    V["bip173"]["invalid_segwit_addresses"] + V["bip350"]["invalid_segwit_addresses"],
    ids=lambda c: c["address"],
)
def test_invalid_segwit_addresses_name_the_fault(case):
    with pytest.raises(InvalidAddressError) as exc:
        address_to_script(case["address"], _net_for(case["address"]))
    assert exc.value.details["reason"] == REASONS[case["reason"]]
    assert exc.value.message  # one finished line for the user
    assert "\n" not in exc.value.message


def test_bip173_v0_addresses_stay_valid_and_v1plus_bech32_addresses_are_now_invalid():
    """BIP350 supersedes BIP173 for v1+: those old vectors must fail with a checksum reason."""
    for case in V["bip173"]["valid_segwit_addresses"]:
        net = _net_for(case["address"])
        if case["scriptPubKey"].startswith("00"):
            assert address_to_script(case["address"], net).hex() == case["scriptPubKey"]
        else:
            with pytest.raises(InvalidAddressError) as exc:
                address_to_script(case["address"], net)
            assert exc.value.details["reason"] == "checksum"


def test_encode_rejects_values_it_cannot_represent():
    with pytest.raises(InvalidAddressError):
        bech32.bech32_encode("bc", [32], Encoding.BECH32)
    with pytest.raises(InvalidAddressError):
        bech32.bech32_encode("", [0], Encoding.BECH32)
    with pytest.raises(InvalidAddressError) as exc:
        bech32.encode_segwit("bc", 17, b"\x00" * 20)
    assert exc.value.details["reason"] == "version"
    with pytest.raises(InvalidAddressError) as exc:
        bech32.encode_segwit("bc", 0, b"\x00" * 21)
    assert exc.value.details["reason"] == "length"


# --- properties ---------------------------------------------------------------------------

hrps = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20).map(
    str.lower
)


@st.composite
def hrp_and_data(draw):
    hrp = draw(hrps)
    data = draw(st.lists(st.integers(0, 31), max_size=90 - len(hrp) - 7))
    return hrp, data


@given(hrp_and_data(), st.sampled_from(list(Encoding)))
def test_bech32_roundtrip(hd, enc):
    hrp, data = hd
    text = bech32.bech32_encode(hrp, data, enc)
    assert bech32.bech32_decode(text) == (hrp, data, enc)
    assert bech32.bech32_decode(text.upper()) == (hrp, data, enc)


@given(hrp_and_data(), st.sampled_from(list(Encoding)), st.data())
def test_any_single_character_change_is_detected(hd, enc, data):
    """Bech32 guarantees detection of any single substitution in the data part."""
    hrp, values = hd
    text = bech32.bech32_encode(hrp, values, enc)
    pos = data.draw(st.integers(len(hrp) + 1, len(text) - 1))
    new = data.draw(st.sampled_from(bech32.CHARSET).filter(lambda c: c != text[pos]))
    with pytest.raises(InvalidAddressError) as exc:
        bech32.bech32_decode(text[:pos] + new + text[pos + 1 :])
    assert exc.value.details["reason"] == "checksum"


@given(
    st.sampled_from(["bc", "tb", "bcrt"]),
    st.one_of(
        st.tuples(st.just(0), st.sampled_from([20, 32])),
        st.tuples(st.integers(1, 16), st.integers(2, 40)),
    ),
    st.data(),
)
def test_segwit_address_roundtrip(hrp, version_and_len, data):
    version, n = version_and_len
    program = data.draw(st.binary(min_size=n, max_size=n))
    addr = bech32.encode_segwit(hrp, version, program)
    assert bech32.decode_segwit(hrp, addr) == (version, program)
    assert bech32.decode_segwit(hrp, addr.upper()) == (version, program)
    expected = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    assert bech32.bech32_decode(addr)[2] is expected


@given(st.binary(max_size=64))
def test_convertbits_8_to_5_to_8_roundtrip(data):
    five = bech32.convertbits(data, 8, 5, True)
    assert all(0 <= v < 32 for v in five)
    assert bytes(bech32.convertbits(five, 5, 8, False)) == data
