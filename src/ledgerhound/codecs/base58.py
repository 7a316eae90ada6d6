"""Base58 and Base58Check (the encoding of legacy Bitcoin addresses and WIF keys)."""

from __future__ import annotations

from ledgerhound.codecs.hashes import hash256
from ledgerhound.errors import InvalidAddressError

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(ALPHABET[r])
    pad = len(data) - len(data.lstrip(b"\x00"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    n = 0
    for pos, ch in enumerate(text):
        digit = _INDEX.get(ch)
        if digit is None:
            raise InvalidAddressError(
                f"invalid Base58 character {ch!r} at position {pos}", reason="character"
            )
        n = n * 58 + digit
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\x00" * pad + body


def b58check_encode(payload: bytes) -> str:
    return b58encode(payload + hash256(payload)[:4])


def b58check_decode(text: str) -> bytes:
    """Decode Base58Check and verify the 4-byte checksum; return the payload."""
    raw = b58decode(text)
    if len(raw) < 4:  # an empty payload is valid (Core: DecodeBase58Check)
        raise InvalidAddressError("Base58Check string too short", reason="length")
    payload, checksum = raw[:-4], raw[-4:]
    if hash256(payload)[:4] != checksum:
        raise InvalidAddressError("Base58Check checksum mismatch", reason="checksum")
    return payload
