"""Addresses <-> scripts on every network: BIP341 vectors, named faults, round trips, bitcoinlib."""

from __future__ import annotations

import bitcoin
import pytest
from bitcoin.core.script import CScript
from bitcoin.wallet import CBitcoinAddress
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.codecs.address import (
    NETWORKS,
    address_to_script,
    get_network,
    is_valid_address,
    script_to_address,
)
from ledgerhound.codecs.script import classify
from ledgerhound.errors import InvalidAddressError

from .strategies import address_script, hash20, p2pkh, p2sh, witness_script
from .vectors import load

MAIN, TEST, SIGNET, REG = (NETWORKS[n] for n in ("mainnet", "testnet", "signet", "regtest"))
H20 = bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6")
BIP341 = load("bip341_wallet_vectors.json")


@pytest.mark.parametrize(
    "case", BIP341["scriptPubKey"], ids=lambda c: c["expected"]["bip350Address"]
)
def test_bip341_script_to_taproot_address(case):
    script = bytes.fromhex(case["expected"]["scriptPubKey"])
    address = case["expected"]["bip350Address"]
    assert classify(script) == "witness_v1_taproot"
    assert script_to_address(script).address == address
    assert address_to_script(address) == script


def test_bip341_key_path_spending_vector_parses_and_addresses():
    from ledgerhound.codecs.tx import Tx

    given_ = BIP341["keyPathSpending"][0]["given"]
    raw = bytes.fromhex(given_["rawUnsignedTx"])
    tx = Tx.parse(raw)
    assert tx.serialize() == raw
    for utxo in given_["utxosSpent"]:
        script = bytes.fromhex(utxo["scriptPubKey"])
        got = script_to_address(script)
        assert got.address is not None
        assert address_to_script(got.address) == script


# one payload as P2WPKH / P2PKH / P2SH on each network (P2PKH/P2SH strings checked with bitcoinlib)
ROUND_TRIPS = [
    (MAIN, b"\x00\x14" + H20, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
    (TEST, b"\x00\x14" + H20, "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"),
    (SIGNET, b"\x00\x14" + H20, "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"),
    (REG, b"\x00\x14" + H20, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"),
    (MAIN, p2pkh(H20), "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"),
    (TEST, p2pkh(H20), "mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r"),
    (REG, p2pkh(H20), "mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r"),
    (MAIN, p2sh(H20), "3CNHUhP3uyB9EUtRLsmvFUmvGdjGdkTxJw"),
    (TEST, p2sh(H20), "2N3vVYSK5XRgVSGWy21PnsRmBUywSQNdCsf"),
    (MAIN, bytes.fromhex("51024e73"), "bc1pfeessrawgf"),
    (REG, bytes.fromhex("51024e73"), "bcrt1pfeesnyr2tx"),  # Core functional tests' ANCHOR_ADDRESS
]


@pytest.mark.parametrize(("net", "script", "address"), ROUND_TRIPS)
def test_network_round_trips(net, script, address):
    got = script_to_address(script, net)
    assert got.address == address
    assert address_to_script(address, net) == script
    assert is_valid_address(address, net)


def _reason(address: str, net=MAIN) -> str:
    with pytest.raises(InvalidAddressError) as exc:
        address_to_script(address, net)
    msg = exc.value.message
    assert msg and "\n" not in msg
    return exc.value.details["reason"]


def test_errors_name_the_fault():
    good_b58, good_bech = "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH", ROUND_TRIPS[0][2]
    assert _reason(good_b58[:-1] + "J") == "checksum"
    assert _reason(good_bech[:-1] + "5") == "checksum"
    assert _reason(good_b58[:-6]) == "checksum"
    assert _reason("") == "length"
    assert _reason("1" * 91) == "length"
    from ledgerhound.codecs.base58 import b58check_encode

    assert _reason(b58check_encode(b"\x00" * 5)) == "length"  # valid checksum, 4-byte hash
    assert _reason(b58check_encode(b"\x00" * 22)) == "length"
    assert _reason(good_bech[:-10] + good_bech[-10:].upper()) == "mixed-case"
    assert _reason(good_b58[:5] + "0" + good_b58[6:]) == "character"
    assert _reason(good_b58[:5] + "l" + good_b58[6:]) == "character"
    assert _reason("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3tb") == "character"  # 'b'
    assert _reason(good_bech + " ") == "character"


@pytest.mark.parametrize(
    ("address", "net", "named"),
    [
        ("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", MAIN, "testnet"),
        ("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", MAIN, "regtest"),
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", REG, "mainnet"),
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", SIGNET, "mainnet"),
        ("mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r", MAIN, "testnet"),
        ("2N3vVYSK5XRgVSGWy21PnsRmBUywSQNdCsf", MAIN, "testnet"),
        ("3CNHUhP3uyB9EUtRLsmvFUmvGdjGdkTxJw", TEST, "mainnet"),
    ],
)
def test_address_of_another_network_is_named(address, net, named):
    with pytest.raises(InvalidAddressError) as exc:
        address_to_script(address, net)
    assert exc.value.details["reason"] == "network"
    assert named in exc.value.message and net.name in exc.value.message
    assert not is_valid_address(address, net)


def test_unknown_version_byte_and_network():
    wif_like = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"  # 0x80 version, 33 bytes
    assert _reason(wif_like) == "length"
    from ledgerhound.codecs.base58 import b58check_encode

    assert _reason(b58check_encode(b"\x30" + H20)) == "version"  # a Litecoin P2PKH
    with pytest.raises(InvalidAddressError, match="unknown network 'dogecoin'"):
        get_network("dogecoin")


# --- properties ---------------------------------------------------------------------------


@given(address_script, st.sampled_from(sorted(NETWORKS)))
def test_script_address_script_roundtrip(script, net_name):
    net = NETWORKS[net_name]
    got = script_to_address(script, net)
    assert got.address is not None and not got.derived
    assert address_to_script(got.address, net) == script
    if got.address.startswith(net.hrp + "1"):  # bech32: upper case is the same address
        assert address_to_script(got.address.upper(), net) == script


@pytest.fixture
def bitcoinlib_params():
    yield bitcoin.SelectParams
    bitcoin.SelectParams("mainnet")


@given(
    st.one_of(
        st.builds(p2pkh, hash20),
        st.builds(p2sh, hash20),
        st.builds(
            witness_script, st.just(0), st.one_of(hash20, st.binary(min_size=32, max_size=32))
        ),
    ),
    st.sampled_from(["mainnet", "testnet", "regtest"]),
)
def test_addresses_agree_with_python_bitcoinlib(script, net_name):
    """An independent implementation: python-bitcoinlib knows P2PKH/P2SH/P2WPKH/P2WSH."""
    bitcoin.SelectParams(net_name)
    try:
        expected = str(CBitcoinAddress.from_scriptPubKey(CScript(script)))
    finally:
        bitcoin.SelectParams("mainnet")
    assert script_to_address(script, NETWORKS[net_name]).address == expected
