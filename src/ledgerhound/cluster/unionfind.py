"""Union-find over dense int32 address ids: 8 bytes of RAM per address, edges streamed.

The compiled ``_unionfind`` does the work; the pure-Python functions below are the readable
reference (used when the extension is not built, and in tests to check the compiled one).
Union by size, ties to the smaller id, path halving: the result depends only on edge order, so
an incremental build (old edges, then new ones) equals a full rebuild over the same order.
"""

from __future__ import annotations

import numpy as np

try:  # pragma: no cover - exercised through NATIVE
    from ledgerhound.cluster import _unionfind as _native
except ImportError:  # pragma: no cover
    _native = None

NATIVE = _native is not None
MAX_ADDRESSES = 2**31 - 1


class UnionFind:
    """Parent and size arrays (numpy, or np.memmap for chains larger than RAM)."""

    def __init__(self, parent: np.ndarray, size: np.ndarray) -> None:
        if parent.dtype != np.int32 or size.dtype != np.int32 or parent.shape != size.shape:
            raise TypeError("parent and size must be int32 arrays of one shape")
        self.parent = parent
        self.size = size

    @classmethod
    def singletons(cls, n: int) -> UnionFind:
        if n > MAX_ADDRESSES:
            raise ValueError(f"{n} addresses exceed the int32 id space ({MAX_ADDRESSES})")
        return cls(np.arange(n, dtype=np.int32), np.ones(n, dtype=np.int32))

    def grow(self, n: int) -> None:
        """Add singleton ids up to ``n`` (new addresses since the last build)."""
        old = len(self.parent)
        if n > old:
            self.parent = np.concatenate([self.parent, np.arange(old, n, dtype=np.int32)])
            self.size = np.concatenate([self.size, np.ones(n - old, dtype=np.int32)])

    def unite(self, src: np.ndarray, dst: np.ndarray, guard: int = 0) -> np.ndarray:
        """Union each edge; return indexes of edges held by the collapse guard (not merged)."""
        src = np.ascontiguousarray(src, dtype=np.int32)
        dst = np.ascontiguousarray(dst, dtype=np.int32)
        if _native is not None:
            held = _native.unite(self.parent, self.size, src, dst, int(guard))
        else:
            held = _unite_py(self.parent, self.size, src, dst, guard)
        return np.asarray(held, dtype=np.int64)

    def labels(self) -> np.ndarray:
        """Cluster id per address: the smallest address id in its cluster (order-independent)."""
        out = np.empty_like(self.parent)
        if _native is not None:
            _native.flatten(self.parent)
            _native.canonical(self.parent, out)
            return out
        roots = np.array([_find(self.parent, i) for i in range(len(self.parent))], dtype=np.int32)
        self.parent[:] = roots
        first = np.full(len(roots), -1, dtype=np.int32)
        for i, r in enumerate(roots):
            if first[r] < 0:
                first[r] = i
        out[:] = first[roots]
        return out


def _find(parent: np.ndarray, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = int(parent[x])
    return x


def _unite_py(
    parent: np.ndarray, size: np.ndarray, src: np.ndarray, dst: np.ndarray, guard: int
) -> list[int]:
    held = []
    n = len(parent)
    for i, (u, v) in enumerate(zip(src.tolist(), dst.tolist(), strict=True)):
        if not (0 <= u < n and 0 <= v < n):
            raise IndexError(f"edge {i} refers to address id outside 0..{n - 1}")
        ru, rv = _find(parent, u), _find(parent, v)
        if ru == rv:
            continue
        if guard > 0 and size[ru] >= guard and size[rv] >= guard:
            held.append(i)
            continue
        if size[ru] < size[rv] or (size[ru] == size[rv] and rv < ru):
            ru, rv = rv, ru
        parent[rv] = ru
        size[ru] += size[rv]
    return held
