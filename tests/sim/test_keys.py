"""Keys, scripts, spending data and the fast address encoder of the simulator."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.codecs.address import NETWORKS, address_to_script
from ledgerhound.codecs.bech32 import encode_segwit
from ledgerhound.codecs.hashes import hash160
from ledgerhound.codecs.script import classify
from ledgerhound.sim.keys import (
    CORE_TYPE,
    KINDS,
    KeyFactory,
    _single_key_script,
    der_signature,
    segwit_address,
    spend_data,
)

REGTEST = NETWORKS["regtest"]


@given(
    st.sampled_from([(0, 20), (0, 32), (1, 32)]),
    st.binary(min_size=32, max_size=32),
    st.sampled_from(["bc", "tb", "bcrt"]),
)
def test_fast_segwit_encoder_matches_reference(shape, raw, hrp):
    version, size = shape
    program = raw[:size]
    assert segwit_address(hrp, version, program) == encode_segwit(hrp, version, program)


def test_bip86_output_key():
    # BIP86 test vector, m/86'/0'/0'/0/0: internal key -> tweaked output key.
    internal = bytes.fromhex("cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115")
    script, _, _ = _single_key_script("p2tr", b"\x02" + internal)
    assert script[2:].hex() == "a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c"


def test_locks_have_core_types_and_round_trip_addresses():
    keys = KeyFactory(5, REGTEST)
    for kind in KINDS:
        lock = keys.lock(kind, wallet=0)
        assert classify(lock.script) == CORE_TYPE[kind]
        if kind not in ("multisig", "p2pk"):
            assert address_to_script(lock.address, REGTEST) == lock.script
    assert keys.lock("multisig", 0).address is None


def test_key_derivation_is_deterministic():
    a, b = KeyFactory(9, REGTEST), KeyFactory(9, REGTEST)
    assert [a.pubkey() for _ in range(3)] == [b.pubkey() for _ in range(3)]
    assert KeyFactory(10, REGTEST).pubkey() != KeyFactory(9, REGTEST).pubkey()


@given(st.binary(min_size=1, max_size=40))
def test_der_signatures_are_well_formed_and_low_s(seed):
    sig = der_signature(seed)
    assert sig[0] == 0x30 and sig[1] == len(sig) - 3 and sig[-1] == 0x01
    rlen = sig[3]
    r, s = sig[4 : 4 + rlen], sig[6 + rlen : -1]
    assert sig[4 + rlen] == 0x02 and sig[5 + rlen] == len(s)
    for part in (r, s):  # DER: positive and minimal
        assert part[0] < 0x80 and not (part[0] == 0 and part[1] < 0x80)
    n_half = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
    assert int.from_bytes(s, "big") <= n_half
    assert len(sig) in (71, 72)


def test_spending_data_reveals_keys_that_hash_to_the_script():
    keys = KeyFactory(3, REGTEST)
    for kind in KINDS:
        lock = keys.lock(kind, 0)
        script_sig, witness = spend_data(lock, b"outpoint")
        if kind == "p2pkh":
            assert hash160(script_sig[-33:]) == lock.script[3:23]
        elif kind == "p2wpkh":
            assert hash160(witness[1]) == lock.script[2:]
        elif kind == "p2sh-p2wpkh":
            assert hash160(script_sig[1:]) == lock.script[2:22]
            assert script_sig[1:] == b"\x00\x14" + hash160(witness[1])
        elif kind == "p2wsh":
            assert hashlib.sha256(witness[-1]).digest() == lock.script[2:]
            assert witness[0] == b"" and len(witness) == 4
        elif kind == "p2tr":
            assert len(witness) == 1 and len(witness[0]) == 64
        else:
            assert script_sig and not witness
