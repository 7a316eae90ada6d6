"""Each chain's validator against real addresses (OFAC SDN lists, BIP173/350 vectors)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerhound.codecs.base58 import b58check_encode
from ledgerhound.osint.chains import classify
from ledgerhound.osint.chains.evm import to_checksum
from tests.conftest import DATA
from tests.osint.conftest import ofac

# OFAC list -> chains its entries may validate as (same-format siblings are listed honestly:
# BCH/BSV legacy addresses are BTC-format, XVG uses Dogecoin's version byte, OFAC's "USDT"
# list mixes Ethereum, Tron and Omni/BTC addresses, and one "XBT" entry is a Tron address).
EXPECTED = {
    "XBT": {"BTC", "TRX"},
    "ETH": {"ETH"},
    "USDT": {"ETH", "TRX", "BTC"},
    "TRX": {"TRX"},
    "LTC": {"LTC"},
    "BCH": {"BCH", "BTC"},
    "BSV": {"BTC"},
    "DASH": {"DASH"},
    "ZEC": {"ZEC"},
    "XRP": {"XRP"},
    "XVG": {"DOGE"},
}
ALL_VALID = [
    a
    for asset in [*EXPECTED, "XMR"]
    for a in ofac(asset)
    if classify(a) is not None and classify(a).valid
]


@pytest.mark.parametrize("asset", sorted(EXPECTED))
def test_every_ofac_address_validates_as_its_chain(asset: str) -> None:
    for address in ofac(asset):
        verdict = classify(address)
        assert verdict is not None and verdict.valid, (address, verdict)
        assert verdict.chain in EXPECTED[asset], (address, verdict.chain)


def test_ofac_xbt_tron_entry_is_recognised_as_tron() -> None:
    verdict = classify("TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq")
    assert verdict is not None and verdict.valid and verdict.chain == "TRX"
    assert "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq" in ofac("XBT")


def test_monero_list_validates_and_its_hex_entry_is_not_an_address() -> None:
    entries = ofac("XMR")
    valid = [e for e in entries if (v := classify(e)) is not None and v.valid]
    assert [classify(e).chain for e in valid] == ["XMR", "XMR"]
    hex_entry = next(e for e in entries if len(e) == 64)
    assert classify(hex_entry) is None


def test_evm_checksum_states() -> None:
    mixed = "0x983a81ca6FB1e441266D2FbcB7D8E530AC2E05A2"
    assert classify(mixed).checksum == "verified"
    assert classify(mixed.lower()).checksum == "unverified"
    assert classify("0x" + mixed[2:].upper()).checksum == "unverified"
    assert to_checksum(mixed.lower()) == mixed
    flipped = classify(mixed.replace("FB1", "fB1"))
    assert not flipped.valid and "EIP-55" in flipped.reason


def test_eip55_spec_vectors() -> None:
    # the four example addresses in the EIP-55 text
    for address in (
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ):
        assert to_checksum(address.lower()) == address
        assert classify(address).checksum == "verified"


def test_bip173_bip350_segwit_vectors() -> None:
    vectors = json.loads((DATA / "vectors" / "bip173_bip350_bech32_vectors.json").read_text())
    valid = invalid = 0
    for entry in vectors["bip350"]["valid_segwit_addresses"]:  # BIP350 supersedes BIP173's
        address = entry["address"] if isinstance(entry, dict) else entry
        if address.lower().startswith("bc1"):
            assert classify(address).valid, address
            valid += 1
    for bip in ("bip173", "bip350"):
        for entry in vectors[bip]["invalid_segwit_addresses"]:
            address = entry["address"] if isinstance(entry, dict) else entry
            verdict = classify(address)
            assert verdict is None or not verdict.valid, address
            invalid += 1
    assert valid >= 4 and invalid >= 10


def test_unknown_shapes_are_not_candidates() -> None:
    for token in ("Supercalifragilisticexpialidocious", "GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS"):
        assert classify(token) is None


def test_invalid_reasons_name_the_fault() -> None:
    unknown_version = b58check_encode(bytes([0x1F]) + bytes(range(20)))
    assert unknown_version.startswith("D") and len(unknown_version) == 34
    assert "version byte 0x1f" in classify(unknown_version).reason
    trx = classify("TTKnV2S1295UrPr7N67Tp9ykNL7xX2Z4uX")
    assert not trx.valid and "checksum" in trx.reason
    xrp = classify("rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh67")
    assert not xrp.valid and "checksum" in xrp.reason


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_VALID), st.data())
def test_one_changed_character_is_never_valid(address: str, data: st.DataObject) -> None:
    body = address[2:] if address.startswith("0x") else address
    if address.startswith("0x") and (body == body.lower() or body == body.upper()):
        return  # no checksum to break: all-lower/upper EVM is accepted as "unverified"
    start = 3 if address.lower().startswith(("bc1", "0x")) else 1
    pos = data.draw(st.integers(start, len(address) - 1))
    alphabet = sorted(set(address) - {address[pos]})
    new = address[:pos] + data.draw(st.sampled_from(alphabet)) + address[pos + 1 :]
    verdict = classify(new)
    if new.startswith("0x") and (new[2:] == new[2:].lower() or new[2:] == new[2:].upper()):
        # the change removed the only capital(s): the result carries no checksum at all, so it
        # can only be accepted as "unverified" -- which is exactly what must be reported
        assert verdict is None or verdict.checksum == "unverified"
        return
    assert verdict is None or not verdict.valid, (address, new)
