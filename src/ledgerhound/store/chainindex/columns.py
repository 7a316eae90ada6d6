"""Column files of the chain index: fixed-width arrays and string columns, append-only.

A column is a raw little-endian file (``<name>.bin``) whose first ``length`` items are
committed; the length lives in the index state, so bytes a crashed writer appended past it are
invisible to readers and are cut off by the next writer. Readers map the committed prefix
read-only (``numpy.memmap``): opening costs nothing, and only the pages a query touches are read.
The in-memory variant holds the same arrays for graphs built from tables.
"""

from __future__ import annotations

import binascii
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerhound.store.chainindex.keys import string_parts


def map_column(path: Path, dtype: np.dtype | str, length: int, width: int = 0) -> np.ndarray:
    """The committed prefix of a column file, memory-mapped read-only."""
    dtype = np.dtype(dtype)
    shape = (length, width) if width else (length,)
    if length == 0:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=shape)


def append_column(path: Path, committed_bytes: int, array: np.ndarray) -> None:
    """Write ``array`` at ``committed_bytes`` (cutting anything after it) -- the writer's append."""
    mode = "r+b" if path.exists() else "wb"
    with open(path, mode) as fh:
        fh.truncate(committed_bytes)
        fh.seek(committed_bytes)
        fh.write(np.ascontiguousarray(array).tobytes())


def sync(path: Path) -> None:
    if path.exists():
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())


class HexColumn:
    """Txids as 32-byte rows, handed out as 64-character hex strings."""

    def __init__(self, hashes: np.ndarray) -> None:
        self.hashes = hashes  # uint8[n, 32]

    def __len__(self) -> int:
        return len(self.hashes)

    def take(self, ids: np.ndarray | pa.Array) -> pa.Array:
        """Hex strings of ``ids``; null where an id is negative or null."""
        ids, valid = _ids_and_valid(ids)
        rows = np.asarray(self.hashes[np.where(valid, ids, 0)]) if len(ids) else np.zeros((0, 32))
        text = binascii.hexlify(np.ascontiguousarray(rows, dtype=np.uint8).tobytes())
        offsets = np.arange(len(ids) + 1, dtype=np.int32) * 64
        out = pa.StringArray.from_buffers(len(ids), pa.py_buffer(offsets), pa.py_buffer(text))
        return (
            out
            if valid.all()
            else pc.if_else(pa.array(valid), out, pa.nulls(len(ids), pa.string()))
        )

    def get(self, i: int) -> str:
        return bytes(np.asarray(self.hashes[i])).hex()

    def to_pylist(self) -> list[str]:
        return self.take(np.arange(len(self))).to_pylist()


class StringColumn:
    """Strings as (offsets, bytes); the address column."""

    def __init__(self, offsets: np.ndarray, data: np.ndarray) -> None:
        self.offsets = offsets  # int64[n+1]
        self.data = data  # uint8

    @classmethod
    def from_arrow(cls, array: pa.Array | pa.ChunkedArray) -> StringColumn:
        return cls(*string_parts(array))

    def __len__(self) -> int:
        return max(len(self.offsets) - 1, 0)

    def arrow(self) -> pa.LargeStringArray:
        """The whole column as one Arrow array over the same memory (zero-copy, even mapped)."""
        if getattr(self, "_arrow", None) is None:
            offsets = np.ascontiguousarray(self.offsets, dtype=np.int64)
            data = self.data if len(self.data) else np.zeros(1, np.uint8)
            self._arrow = pa.LargeStringArray.from_buffers(
                len(self), pa.py_buffer(offsets), pa.py_buffer(data)
            )
        return self._arrow

    def take(self, ids: np.ndarray | pa.Array) -> pa.Array:
        """Strings of ``ids``; null where an id is negative or null."""
        ids, valid = _ids_and_valid(ids)
        picked = self.arrow().take(pa.array(np.where(valid, ids, 0), mask=~valid))
        return picked.cast(pa.string())

    def get(self, i: int) -> str:
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return bytes(np.asarray(self.data[lo:hi])).decode()

    def to_pylist(self) -> list[str]:
        return self.take(np.arange(len(self))).to_pylist()


def _ids_and_valid(ids: np.ndarray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """int64 ids and where they are valid (a null or negative id is not)."""
    if isinstance(ids, (pa.Array, pa.ChunkedArray)):
        ids = ids.fill_null(-1).to_numpy(zero_copy_only=False)
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    return ids, ids >= 0
