"""Bitcoin Cash CashAddr: base32 with a 40-bit BCH-code checksum over the ``bitcoincash`` prefix.

In text the prefix is often left out; the checksum still covers it, so it is always added back
before verifying.
"""

from __future__ import annotations

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_INDEX = {c: i for i, c in enumerate(CHARSET)}
_GENERATORS = (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)
PREFIX = "bitcoincash"
_PREFIX_VALUES = [ord(c) & 31 for c in PREFIX] + [0]


def polymod(values: list[int]) -> int:
    c = 1
    for d in values:
        c0 = c >> 35
        c = ((c & 0x07FFFFFFFF) << 5) ^ d
        for i, gen in enumerate(_GENERATORS):
            if (c0 >> i) & 1:
                c ^= gen
    return c ^ 1


def is_shape(token: str) -> bool:
    low = token.lower()
    return (token == low or token == token.upper()) and all(c in _INDEX for c in low)


def check(token: str) -> tuple[str | None, str]:
    data = [_INDEX[c] for c in token.lower()]
    if polymod(_PREFIX_VALUES + data) != 0:
        raise ValueError("CashAddr checksum mismatch")
    version = _convert5to8(data[:-8])[0]
    if version & 0x80 or version & 0x07:
        raise ValueError(f"CashAddr version byte 0x{version:02x} is not a 20-byte hash")
    return None, "verified"


def _convert5to8(data: list[int]) -> list[int]:
    acc = bits = 0
    out = []
    for value in data:
        acc = (acc << 5) | value
        bits += 5
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return out
