"""Monero addresses: Monero's block-wise Base58 and a Keccak-256 checksum.

Monero encodes 8-byte blocks as 11 characters (the last partial block by a size table), so a
standard address (1 network byte + two 32-byte keys + 4-byte checksum = 69 bytes) is 95
characters and an integrated one (+ 8-byte payment id) is 106.
"""

from __future__ import annotations

from ledgerhound.codecs.base58 import ALPHABET
from ledgerhound.osint.chains.evm import keccak256

_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_ENCODED_TO_DECODED = {0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, 11: 8}
# mainnet network bytes -> kind
NETWORK_BYTES = {18: "standard", 42: "subaddress", 19: "integrated"}


def decode(text: str) -> bytes:
    out = bytearray()
    for start in range(0, len(text), 11):
        block = text[start : start + 11]
        size = _ENCODED_TO_DECODED.get(len(block))
        if size is None:
            raise ValueError(f"Monero base58 block of {len(block)} characters is impossible")
        n = 0
        for ch in block:
            n = n * 58 + _INDEX[ch]
        if n >> (8 * size):
            raise ValueError("Monero base58 block overflows its size")
        out += n.to_bytes(size, "big")
    return bytes(out)


def check(token: str) -> tuple[str | None, str]:
    raw = decode(token)
    kind = NETWORK_BYTES.get(raw[0])
    if kind is None:
        raise ValueError(f"Monero network byte {raw[0]} is not a mainnet address")
    expected = 77 if kind == "integrated" else 69
    if len(raw) != expected:
        raise ValueError(f"Monero {kind} address is {len(raw)} bytes, expected {expected}")
    if keccak256(raw[:-4])[:4] != raw[-4:]:
        raise ValueError("Monero Keccak-256 checksum mismatch")
    return None, "verified"
