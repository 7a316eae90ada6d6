"""CompactSize ("varint") integers as Bitcoin serializes them, minimal encoding enforced."""

from __future__ import annotations

from ledgerhound.errors import CodecError

MAX_SIZE = 0x02000000  # Core's MAX_SIZE: larger counts/lengths are rejected when reading a tx
_WIDTH = {0xFD: 2, 0xFE: 4, 0xFF: 8}
_MINIMUM = {2: 0xFD, 4: 0x10000, 8: 0x100000000}


def encode(n: int) -> bytes:
    if n < 0 or n > 0xFFFFFFFFFFFFFFFF:
        raise CodecError(f"compact size out of range: {n}")
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def decode(buf: bytes | memoryview, pos: int, max_value: int | None = MAX_SIZE) -> tuple[int, int]:
    """Read a CompactSize at ``pos``; return ``(value, new_pos)``.

    Rejects non-minimal forms and, like Core's ``ReadCompactSize``, values above ``max_value``
    (pass ``None`` to read any 64-bit value).
    """
    if pos >= len(buf):
        raise CodecError("truncated data: compact size expected", offset=pos)
    first = buf[pos]
    if first < 0xFD:
        return first, pos + 1
    width = _WIDTH[first]
    end = pos + 1 + width
    if end > len(buf):
        raise CodecError("truncated data inside a compact size", offset=pos)
    value = int.from_bytes(buf[pos + 1 : end], "little")
    if value < _MINIMUM[width]:
        raise CodecError("non-canonical compact size", offset=pos)
    if max_value is not None and value > max_value:
        raise CodecError(f"compact size {value} exceeds {max_value}", offset=pos)
    return value, end
