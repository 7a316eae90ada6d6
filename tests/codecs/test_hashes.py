"""Hash functions, including the pure-Python RIPEMD-160 used when OpenSSL 3 lacks it."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.codecs import hashes

# the test vectors published with RIPEMD-160 (Dobbertin, Bosselaers, Preneel)
RIPEMD160 = [
    (b"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
    (b"a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
    (b"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
    (b"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
    (b"abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"),
    (
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "12a053384a9c0c88e405a06c27dcf49ada62eb2b",
    ),
    (
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "b0e20b6e3116640286ed3a87a5713079b21f5189",
    ),
    (b"1234567890" * 8, "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
]


@pytest.mark.parametrize(("data", "digest"), RIPEMD160)
def test_ripemd160_vectors_both_implementations(data, digest):
    assert hashes.ripemd160(data).hex() == digest
    assert hashes._ripemd160_py(data).hex() == digest


def test_bitcoin_hashes():
    assert hashes.sha256(b"abc").hex() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert hashes.hash256(b"").hex() == (
        "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456"
    )
    generator = bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    assert hashes.hash160(generator).hex() == "751e76e8199196d454941c45d1b3a323f1433bd6"


def _openssl_ripemd160(data: bytes) -> bytes | None:
    try:
        return hashlib.new("ripemd160", data).digest()
    except ValueError:
        return None


@given(st.binary(max_size=200))
def test_pure_python_ripemd160_matches_openssl(data):
    expected = _openssl_ripemd160(data)
    if expected is None:
        pytest.skip("OpenSSL has no RIPEMD-160 here; the vectors above still ran")
    assert hashes._ripemd160_py(data) == expected


@pytest.mark.parametrize("n", [55, 56, 63, 64, 65, 119, 120, 128])
def test_pure_python_ripemd160_padding_boundaries(n):
    data = bytes(range(256))[:n]
    expected = _openssl_ripemd160(data)
    if expected is None:
        pytest.skip("OpenSSL has no RIPEMD-160 here")
    assert hashes._ripemd160_py(data) == expected
