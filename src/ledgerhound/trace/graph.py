"""The flow graph that tracing walks: the store's chain index seen as arrays.

:class:`FlowGraph` is :class:`ledgerhound.store.chainindex.view.ChainView` (dense ids, CSR slot
lists per direction, lookups over sorted runs); see that module for the layout. This module adds
the CSR helpers the engine uses.
"""

from __future__ import annotations

import numpy as np

from ledgerhound.store.chainindex.extend import COINBASE, FEE, MAX_MONEY, OUTSIDE
from ledgerhound.store.chainindex.view import ChainView, Guarded, Slots

FlowGraph = ChainView

__all__ = ["COINBASE", "FEE", "MAX_MONEY", "OUTSIDE", "FlowGraph", "Guarded", "Slots", "expand"]


def segment_sum(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Exact int64 sums of ``values[ptr[i]:ptr[i+1]]``."""
    cs = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
    return cs[ptr[1:]] - cs[ptr[:-1]]


def expand(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR expansion: (row position repeated per element, element index) for ``rows``."""
    starts = np.asarray(ptr[rows])
    counts = np.asarray(ptr[rows + 1]) - starts
    owner = np.repeat(np.arange(len(rows)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.repeat(starts, counts) + (np.arange(int(counts.sum())) - first)
