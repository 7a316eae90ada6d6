"""64-bit lookup keys for txids and address strings, computed column-wise with numpy.

Why our own hash: the key must be the same on every machine and in every version (it is
written to disk), and computing it must not cost a Python call per address. A txid is already
mixed from its four 64-bit words; an address is hashed word by word
(multiply-xorshift over its zero-padded UTF-8 bytes and its length). Equal keys for different
strings are possible, and every lookup verifies the candidate against the stored string.
"""

from __future__ import annotations

import binascii

import numpy as np
import pyarrow as pa

from ledgerhound.errors import CorruptDataError

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)


def string_parts(array: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(int64 offsets[n+1] starting at 0, uint8 data) of a string array without nulls."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    if array.null_count:
        raise ValueError("string_parts needs an array without nulls")
    if pa.types.is_null(array.type):  # pa.array([]) of nothing
        return np.zeros(1, np.int64), np.zeros(0, np.uint8)
    if pa.types.is_string(array.type) or pa.types.is_binary(array.type):
        array = array.cast(
            pa.large_binary() if pa.types.is_binary(array.type) else pa.large_string()
        )
    offsets = np.frombuffer(array.buffers()[1], np.int64)[
        array.offset : array.offset + len(array) + 1
    ]
    data = array.buffers()[2]
    raw = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    start = int(offsets[0]) if len(offsets) else 0
    return (offsets - start).astype(np.int64), raw[start : start + int(offsets[-1] - start)]


def hex_to_hashes(txids: pa.Array | pa.ChunkedArray, what: str = "txid") -> np.ndarray:
    """uint8[n, 32] bytes of 64-character hex txids (display order)."""
    offsets, data = string_parts(txids)
    n = len(offsets) - 1
    if n and not np.all(np.diff(offsets) == 64):
        raise CorruptDataError(f"a {what} is not 64 hexadecimal characters")
    try:
        raw = binascii.unhexlify(data.tobytes())
    except (binascii.Error, ValueError):
        raise CorruptDataError(f"a {what} is not hexadecimal") from None
    return np.frombuffer(raw, np.uint8).reshape(n, 32)


def hash_keys(hashes: np.ndarray) -> np.ndarray:
    """uint64 key of each 32-byte hash: its four 64-bit words mixed (not just the first eight
    bytes, so that made-up txids such as ``000...0001`` do not all collide)."""
    words = np.ascontiguousarray(hashes, dtype=np.uint8).view("<u8").reshape(-1, 4)
    h = words[:, 0].copy()
    with np.errstate(over="ignore"):
        for j in range(1, 4):
            h = (h ^ words[:, j]) * _M2
            h ^= h >> np.uint64(31)
        h = (h ^ (h >> np.uint64(29))) * _M1
    return h ^ (h >> np.uint64(32))


try:
    from ledgerhound.store.chainindex import _keys as _native
except ImportError:  # pragma: no cover - built without a C compiler
    _native = None


def address_keys(addresses: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """uint64 key of each address string (see the module docstring); compiled when built."""
    offsets, data = string_parts(addresses)
    if _native is None:
        return _address_keys_numpy(offsets, data)
    out = np.empty(len(offsets) - 1, dtype=np.uint64)
    _native.address_keys(np.ascontiguousarray(offsets), np.ascontiguousarray(data), out)
    return out


def _address_keys_numpy(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    """The same keys with numpy alone (the fallback, and the reference the C code must equal)."""
    lengths = np.diff(offsets)
    n = len(lengths)
    if n == 0:
        return np.zeros(0, np.uint64)
    width = int(-(-max(int(lengths.max()), 1) // 8) * 8)
    padded = np.zeros((n, width), dtype=np.uint8)
    row = np.repeat(np.arange(n), lengths)
    col = np.arange(len(data)) - np.repeat(offsets[:-1], lengths)
    padded[row, col] = data
    words = padded.view("<u8")
    h = lengths.astype(np.uint64) * _M1
    with np.errstate(over="ignore"):
        for j in range(words.shape[1]):  # only the words a string has: width-independent
            mixed = (h ^ words[:, j]) * _M2
            mixed ^= mixed >> np.uint64(31)
            h = np.where(lengths > 8 * j, mixed, h)
        h = (h ^ (h >> np.uint64(29))) * _M1
    return h ^ (h >> np.uint64(32))
