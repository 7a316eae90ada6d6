"""XRP Ledger classic addresses: Base58Check over Ripple's own alphabet, version 0x00."""

from __future__ import annotations

from ledgerhound.codecs.hashes import hash256

RIPPLE_ALPHABET = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
_INDEX = {c: i for i, c in enumerate(RIPPLE_ALPHABET)}


def decode(text: str) -> bytes:
    n = 0
    for ch in text:
        n = n * 58 + _INDEX[ch]
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(text) - len(text.lstrip("r"))
    return b"\x00" * pad + body


def check(token: str) -> tuple[str | None, str]:
    raw = decode(token)
    if len(raw) != 25:
        raise ValueError(f"XRP address decodes to {len(raw)} bytes, expected 25")
    if hash256(raw[:-4])[:4] != raw[-4:]:
        raise ValueError("XRP Base58Check checksum mismatch")
    if raw[0] != 0:
        raise ValueError(f"XRP account version byte 0x{raw[0]:02x}, expected 0x00")
    return None, "verified"
