"""Ethereum/EVM addresses: 20 bytes hex with the EIP-55 mixed-case checksum.

EIP-55 hashes the lowercase hex with Keccak-256 (not NIST SHA3-256): character *i* is upper case
iff nibble *i* of the hash is >= 8. All-lower or all-upper strings carry no checksum; they are
accepted but marked ``unverified`` so an analyst knows a typo would not have been caught.
"""

from __future__ import annotations

from Crypto.Hash import keccak


def keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def to_checksum(address: str) -> str:
    """The EIP-55 form of a ``0x``-prefixed 40-hex address."""
    body = address[2:].lower()
    digest = keccak256(body.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if int(h, 16) >= 8 else c for c, h in zip(body, digest[:40], strict=True)
    )


def check(address: str) -> tuple[str | None, str]:
    body = address[2:]
    if address[:2] != "0x":
        raise ValueError("EVM address prefix must be lowercase '0x'")
    if body == body.lower() or body == body.upper():
        return None, "unverified"
    if to_checksum(address) != address:
        raise ValueError("EIP-55 mixed-case checksum mismatch")
    return None, "verified"
