"""CompactSize ("varint") integers as Bitcoin serializes them, minimal encoding enforced."""

from __future__ import annotations

from ledgerhound.errors import CodecError


def encode(n: int) -> bytes:
    if n < 0 or n > 0xFFFFFFFFFFFFFFFF:
        raise ValueError(f"compact size out of range: {n}")
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def decode(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Read a CompactSize at ``pos``; return ``(value, new_pos)``. Rejects non-minimal forms."""
    if pos >= len(buf):
        raise CodecError("truncated data: compact size expected", offset=pos)
    first = buf[pos]
    if first < 0xFD:
        return first, pos + 1
    width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    end = pos + 1 + width
    if end > len(buf):
        raise CodecError("truncated data inside a compact size", offset=pos)
    value = int.from_bytes(buf[pos + 1 : end], "little")
    if value < (0xFD, 0x10000, 0x100000000)[width // 4]:
        raise CodecError("non-canonical compact size", offset=pos)
    return value, end
