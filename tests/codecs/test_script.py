"""Output-script classification with Core's type names: one hand-made example per type + edges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.codecs.address import MAINNET, script_to_address
from ledgerhound.codecs.hashes import hash160
from ledgerhound.codecs.script import SCRIPT_TYPES, classify, iter_pushes, witness_program

PK33 = bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
PK65 = bytes.fromhex(
    "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
)  # the secp256k1 generator point, compressed and uncompressed
H20, H32 = bytes(range(20)), bytes(range(32))


def multisig(m: bytes, keys: list[bytes], n: bytes) -> bytes:
    return m + b"".join(bytes([len(k)]) + k for k in keys) + n + b"\xae"


EXAMPLES = {
    "pubkey": bytes([33]) + PK33 + b"\xac",
    "pubkeyhash": b"\x76\xa9\x14" + H20 + b"\x88\xac",
    "scripthash": b"\xa9\x14" + H20 + b"\x87",
    "multisig": multisig(b"\x51", [PK33, PK65], b"\x52"),
    "nulldata": b"\x6a\x04test",
    "witness_v0_keyhash": b"\x00\x14" + H20,
    "witness_v0_scripthash": b"\x00\x20" + H32,
    "witness_v1_taproot": b"\x51\x20" + H32,
    "witness_unknown": b"\x52\x10" + H32[:16],
    "anchor": bytes.fromhex("51024e73"),
    "nonstandard": b"\x51",  # OP_TRUE
}


def test_every_core_type_has_an_example():
    assert set(EXAMPLES) == set(SCRIPT_TYPES)


@pytest.mark.parametrize(("kind", "script"), EXAMPLES.items())
def test_each_example_classifies_as_its_core_type(kind, script):
    assert classify(script) == kind


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        (b"\x6a", "nulldata"),  # bare OP_RETURN
        (b"\x6a\x00\x51\x60\x4c\x01x", "nulldata"),  # OP_0, OP_1, OP_16, PUSHDATA1
        (b"\x6a\x61", "nonstandard"),  # OP_RETURN followed by a non-push (OP_NOP)
        (b"\x6a\x4c", "nonstandard"),  # OP_RETURN + truncated PUSHDATA1
        (b"\x6a\x05abc", "nonstandard"),  # push overruns the script
        (b"\x00\x19" + bytes(25), "nonstandard"),  # v0 program of 25 bytes
        (b"\x00\x15" + bytes(21), "nonstandard"),  # v0 program of 21 bytes
        (b"\x51\x21" + bytes(33), "witness_unknown"),  # v1 with 33 bytes is not taproot
        (b"\x60\x28" + bytes(40), "witness_unknown"),  # v16, 40 bytes (max)
        (b"\x60\x29" + bytes(41), "nonstandard"),  # 41-byte program is no witness program
        (b"\x51\x01\x00", "nonstandard"),  # 1-byte program is no witness program
        (b"\x51\x02\x4e\x74", "witness_unknown"),  # almost an anchor
        (bytes([65]) + PK65 + b"\xac", "pubkey"),  # uncompressed P2PK
        (bytes([33]) + b"\x04" + PK33[1:] + b"\xac", "nonstandard"),  # 33 bytes, 04 prefix
        (bytes([65]) + b"\x02" + PK65[1:] + b"\xac", "nonstandard"),  # 65 bytes, 02 prefix
        (b"\x76\xa9\x14" + H20 + b"\x88\xad", "nonstandard"),  # ...CHECKSIGVERIFY
        (b"\xa9\x14" + H20 + b"\x88", "nonstandard"),  # P2SH with EQUALVERIFY
        (multisig(b"\x52", [PK33], b"\x51"), "nonstandard"),  # m > n
        (multisig(b"\x51", [PK33, PK33], b"\x51"), "nonstandard"),  # n != number of keys
        (multisig(b"\x51", [PK33[:20]], b"\x51"), "nonstandard"),  # not a pubkey size
        (multisig(b"\x00", [PK33], b"\x51"), "nonstandard"),  # m = 0
        (multisig(b"\x51", [PK33] * 17, b"\x01\x11"), "multisig"),  # n = 17 (GetScriptNumber)
        (multisig(b"\x01\x11", [PK33] * 17, b"\x01\x11"), "multisig"),  # 17-of-17
        (multisig(b"\x51", [PK33] * 16, b"\x01\x10"), "nonstandard"),  # non-minimal 16
        (multisig(b"\x51", [PK33] * 21, b"\x01\x15"), "nonstandard"),  # n = 21 > 20
        (b"", "nonstandard"),
    ],
)
def test_edge_cases_follow_core_solver(script, kind):
    assert classify(script) == kind


def test_p2pk_derived_address_is_flagged():
    got = script_to_address(EXAMPLES["pubkey"])
    assert got.derived is True
    # P2PKH of the compressed generator point (well known)
    assert got.address == "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"
    assert script_to_address(b"\x76\xa9\x14" + hash160(PK33) + b"\x88\xac").address == got.address
    uncompressed = script_to_address(bytes([65]) + PK65 + b"\xac")
    assert uncompressed == type(got)("1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm", True)


@pytest.mark.parametrize("kind", ["multisig", "nulldata", "nonstandard"])
def test_addressless_types_get_no_address(kind):
    got = script_to_address(EXAMPLES[kind], MAINNET)
    assert got.address is None and got.derived is False


@pytest.mark.parametrize(
    ("kind", "address"),
    [
        ("pubkeyhash", "112D2adLM3UKy4Z4giRbReR6gjWuvHUqB"),
        ("anchor", "bc1pfeessrawgf"),
        ("witness_v1_taproot", None),
    ],
)
def test_address_bearing_types_are_not_derived(kind, address):
    got = script_to_address(EXAMPLES[kind])
    assert got.derived is False and got.address is not None
    if address:
        assert got.address == address


def test_iter_pushes_and_witness_program():
    assert iter_pushes(b"\x4c\x02ab\x4d\x01\x00c\x61") == [
        (0x4C, b"ab"),
        (0x4D, b"c"),
        (0x61, None),
    ]
    assert iter_pushes(b"\x4e\x05\x00\x00\x00ab") is None
    assert witness_program(EXAMPLES["witness_v1_taproot"]) == (1, H32)
    assert witness_program(EXAMPLES["pubkeyhash"]) is None


@given(st.binary(max_size=120))
def test_classify_and_address_never_raise_on_any_bytes(script):
    kind = classify(script)
    assert kind in SCRIPT_TYPES
    got = script_to_address(script)
    has_address = kind not in {"multisig", "nulldata", "nonstandard"}
    assert (got.address is not None) == has_address
    assert got.derived == (kind == "pubkey")
