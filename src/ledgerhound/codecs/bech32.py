"""Bech32 (BIP173) and Bech32m (BIP350), and SegWit address programs.

Follows the BIP350 reference ``segwit_addr.py`` logic; errors name the part that is wrong
(``reason``: character, mixed-case, separator, hrp, length, checksum, version, program, network;
see ``docs/methods/addresses.md``).
"""

from __future__ import annotations

from enum import Enum

from ledgerhound.errors import InvalidAddressError

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {c: i for i, c in enumerate(CHARSET)}
BECH32_CONST = 1
BECH32M_CONST = 0x2BC830A3


class Encoding(Enum):
    BECH32 = BECH32_CONST
    BECH32M = BECH32M_CONST


def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def bech32_encode(hrp: str, data: list[int], spec: Encoding) -> str:
    """Append the checksum for ``spec``; ``hrp`` is used as given (callers pass lower case)."""
    if not hrp or any(ord(c) < 33 or ord(c) > 126 for c in hrp):
        raise InvalidAddressError(f"invalid bech32 human-readable part {hrp!r}", reason="hrp")
    if any(not 0 <= d < 32 for d in data):
        raise InvalidAddressError("bech32 data values must be 5-bit (0..31)", reason="program")
    values = _hrp_expand(hrp) + data
    polymod = _polymod(values + [0] * 6) ^ spec.value
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in data + checksum)


def bech32_decode(text: str) -> tuple[str, list[int], Encoding]:
    """Split and verify a Bech32/Bech32m string; return ``(hrp, data, encoding)``."""
    for pos, ch in enumerate(text):
        if ord(ch) < 33 or ord(ch) > 126:
            raise InvalidAddressError(
                f"invalid character {ch!r} at position {pos}", reason="character"
            )
    if text.lower() != text and text.upper() != text:
        raise InvalidAddressError(
            "mixed upper and lower case in bech32 string", reason="mixed-case"
        )
    text = text.lower()
    sep = text.rfind("1")
    if sep < 0:
        raise InvalidAddressError("bech32 string has no '1' separator", reason="separator")
    if sep == 0:
        raise InvalidAddressError("bech32 string has an empty human-readable part", reason="hrp")
    if sep + 7 > len(text):
        raise InvalidAddressError("bech32 checksum too short", reason="length")
    if len(text) > 90:
        raise InvalidAddressError(f"bech32 string too long ({len(text)} > 90)", reason="length")
    data = []
    for pos in range(sep + 1, len(text)):
        d = _CHARSET_INDEX.get(text[pos])
        if d is None:
            raise InvalidAddressError(
                f"invalid bech32 character {text[pos]!r} at position {pos}", reason="character"
            )
        data.append(d)
    hrp = text[:sep]
    const = _polymod(_hrp_expand(hrp) + data)
    if const not in (BECH32_CONST, BECH32M_CONST):
        raise InvalidAddressError("bech32 checksum mismatch", reason="checksum")
    return hrp, data[:-6], Encoding(const)


def convertbits(data: bytes | list[int], frombits: int, tobits: int, pad: bool) -> list[int]:
    """Regroup ``frombits``-bit values into ``tobits``-bit values (BIP173 reference)."""
    acc = bits = 0
    ret = []
    maxv = (1 << tobits) - 1
    max_acc = (1 << (frombits + tobits - 1)) - 1
    for value in data:
        if value < 0 or value >> frombits:
            raise InvalidAddressError("invalid data value in bech32 payload", reason="program")
        acc = ((acc << frombits) | value) & max_acc
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad:
        if bits:
            ret.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        raise InvalidAddressError("invalid padding in bech32 payload", reason="program")
    return ret


def decode_segwit(hrp: str, addr: str) -> tuple[int, bytes]:
    """Decode a SegWit address for ``hrp``; return ``(witness_version, program)``."""
    got_hrp, data, spec = bech32_decode(addr)
    if got_hrp != hrp:
        raise InvalidAddressError(
            f"address has human-readable part {got_hrp!r}, expected {hrp!r}", reason="hrp"
        )
    if not data:
        raise InvalidAddressError("segwit address has no witness version", reason="version")
    version = data[0]
    if version > 16:
        raise InvalidAddressError(f"invalid witness version {version}", reason="version")
    program = bytes(convertbits(data[1:], 5, 8, False))
    if not 2 <= len(program) <= 40:
        raise InvalidAddressError(
            f"witness program length {len(program)} outside 2..40", reason="length"
        )
    if version == 0 and len(program) not in (20, 32):
        raise InvalidAddressError(
            f"v0 witness program must be 20 or 32 bytes, got {len(program)}", reason="length"
        )
    expected = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    if spec is not expected:
        raise InvalidAddressError(
            f"witness v{version} must use {expected.name.lower()}, not {spec.name.lower()}",
            reason="checksum",
        )
    return version, program


def encode_segwit(hrp: str, version: int, program: bytes) -> str:
    """The SegWit address of ``(version, program)``: Bech32 for v0, Bech32m for v1..v16."""
    if not 0 <= version <= 16:
        raise InvalidAddressError(f"invalid witness version {version}", reason="version")
    spec = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    addr = bech32_encode(hrp, [version] + convertbits(program, 8, 5, True), spec)
    decode_segwit(hrp, addr)  # validates version/program length
    return addr
