"""Whole-chain passes over the memory-mapped chain index with bounded resident memory.

Why: a mapped page that has been read stays in the process's resident set until it is unmapped,
so one sequential pass over an 8-byte-per-output column would add the whole column to peak RSS.
These helpers copy a column window by window into a compact dtype (int64 ids fit int32: the
union-find's address limit) and drop each window's mapped pages once copied (the page cache
keeps them; only this process's mapping lets go).
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from ledgerhound.store.chainindex.columns import HexColumn
from ledgerhound.store.chainindex.runs import ranges

WINDOW = 1 << 20  # rows per window: 8 MiB of an int64 column
PREAD_MAX = 200_000  # distinct scattered rows read with pread rather than through the mapping


def release(column: Any, lo: int = 0, hi: int | None = None) -> None:
    """Drop the mapped pages of rows ``lo:hi`` (default: all) of ``column`` (no-op unless it is
    an np.memmap)."""
    column = getattr(column, "values", column)  # a Guarded spender column
    hi = len(column) if hi is None else hi
    base = getattr(column, "_mmap", None)
    if not isinstance(base, mmap.mmap) or not hasattr(mmap, "MADV_DONTNEED") or hi <= lo:
        return
    width = column.itemsize * int(np.prod(column.shape[1:], dtype=np.int64))
    origin = column.ctypes.data - np.frombuffer(base, np.uint8).ctypes.data
    start = origin + lo * width
    end = min(origin + hi * width, len(base))
    start -= start % mmap.PAGESIZE
    if end > start:
        base.madvise(mmap.MADV_DONTNEED, start, end - start)


def read(column: Any, lo: int, hi: int, dtype: Any = None) -> np.ndarray:
    """Rows ``lo:hi`` as an in-memory array (optionally cast), their mapped pages released.

    A ``Guarded`` spender column (``values`` + ``limit``) reads as ``-1`` beyond its limit.
    """
    values = getattr(column, "values", column)
    part = np.array(values[lo:hi], dtype=dtype)
    limit = getattr(column, "limit", None)
    if limit is not None:
        part[part >= limit] = -1
    release(values, lo, hi)
    return part


def release_view(view: Any) -> None:
    """Drop every mapped page of a chain index view (after random lookups into it)."""
    for column in vars(view).values():
        if isinstance(column, np.ndarray):
            release(column)
    for side in (view.forward, view.backward):
        for column in vars(side).values():
            release(column)
    for strings in (view.txids, view.addresses):
        for column in vars(strings).values():
            if isinstance(column, np.ndarray):
                release(column)


def windows(n: int, step: int = WINDOW) -> Iterator[tuple[int, int]]:
    for lo in range(0, n, step):
        yield lo, min(n, lo + step)


def compact(column: Any, dtype: Any, n: int | None = None) -> np.ndarray:
    """The first ``n`` rows of ``column`` as a compact in-memory array, read window by window."""
    n = len(column) if n is None else n
    out = np.empty(n, dtype=dtype)
    for lo, hi in windows(n):
        out[lo:hi] = read(column, lo, hi)
    return out


def counts(ptr: Any, n: int, dtype: Any = np.int32) -> np.ndarray:
    """``ptr[i + 1] - ptr[i]`` for ``i < n`` (a CSR pointer column), window by window."""
    out = np.empty(n, dtype=dtype)
    for lo, hi in windows(n):
        part = read(ptr, lo, hi + 1)
        out[lo:hi] = np.diff(part)
    return out


def gather(column: Any, ids: Any) -> np.ndarray:
    """``column[ids]`` without leaving mapped pages resident.

    Why: every fault on a mapped file maps a 64 KiB neighbourhood, so a few thousand scattered
    lookups make a whole column resident. Up to ``PREAD_MAX`` distinct rows are read with
    ``pread`` (nothing mapped); more are indexed and the mapping released afterwards.
    """
    values = getattr(column, "values", column)
    ids = np.asarray(ids, dtype=np.int64)
    name = getattr(values, "filename", None)
    if name is None or len(ids) > PREAD_MAX:
        out = np.array(values[ids])
        release(values)
    else:
        out = _pread(values, name, ids)
    limit = getattr(column, "limit", None)
    if limit is not None:
        out[out >= limit] = -1
    return out


def _pread(values: np.memmap, name: str, ids: np.ndarray) -> np.ndarray:
    width = values.itemsize * int(np.prod(values.shape[1:], dtype=np.int64))
    base = int(values.offset)
    unique, back = np.unique(ids, return_inverse=True)
    if len(unique) and (unique[0] < 0 or unique[-1] >= len(values)):
        raise IndexError("row outside the column")
    fd = os.open(name, os.O_RDONLY)
    try:
        data = b"".join(os.pread(fd, width, base + int(i) * width) for i in unique.tolist())
    finally:
        os.close(fd)
    rows = np.frombuffer(data, dtype=values.dtype).reshape((len(unique), *values.shape[1:]))
    return rows[back.reshape(-1)].reshape((*ids.shape, *values.shape[1:]))


def strings(column: Any, ids: Any) -> pa.Array:
    """``column.take(ids)`` for a mapped string column, touching only the rows asked for.

    Why not ``StringColumn.take``: Arrow's take over the mapped column reads every page of it
    (the whole address column resident for a handful of lookups).
    """
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    valid = ids >= 0
    safe = np.where(valid, ids, 0)
    start = gather(column.offsets, safe)
    length = np.where(valid, gather(column.offsets, safe + 1) - start, 0)
    data = _bytes(column.data, start, length)
    offsets = np.r_[0, np.cumsum(length)].astype(np.int64)
    out = pa.LargeStringArray.from_buffers(
        len(ids),
        pa.py_buffer(offsets),
        pa.py_buffer(data if len(data) else np.zeros(1, np.uint8)),
        pa.py_buffer(np.packbits(valid, bitorder="little")) if not valid.all() else None,
    )
    return out.cast(pa.string())


def _bytes(data: Any, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The concatenated byte ranges ``data[start:start + length]``."""
    name = getattr(data, "filename", None)
    if name is None or len(start) > PREAD_MAX:
        out = np.asarray(data[ranges(start, length)], dtype=np.uint8)
        release(data)
        return out
    fd = os.open(name, os.O_RDONLY)
    try:
        base = int(data.offset)
        parts = [os.pread(fd, n, base + s) for s, n in zip(start.tolist(), length.tolist(),
                                                            strict=True) if n]  # fmt: skip
    finally:
        os.close(fd)
    return np.frombuffer(b"".join(parts), dtype=np.uint8)


def txid_strings(view: Any, ids: Any) -> pa.Array:
    """Hex txids of transaction ids (null where negative), read with :func:`gather`."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    valid = ids >= 0
    rows = gather(view.txids.hashes, np.where(valid, ids, 0))
    return HexColumn(rows).take(np.where(valid, np.arange(len(ids)), -1))
