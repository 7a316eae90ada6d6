"""How tainted value crosses one transaction: poison, haircut and FIFO.

Each policy answers the same question for one transaction: *value V_in enters through ordered
slots and leaves through ordered slots; the tainted part of what entered is known; how much of
each leaving slot is tainted?* Forward, the entering slots are the inputs and the leaving slots
are the outputs followed by the fee; backward it is the mirror (outputs+fee in, inputs out).

* poison -- every leaving slot is tainted in full once any entering value is tainted. An upper
  bound that over-states by design.
* haircut -- each leaving slot gets ``floor(T * w / V_in)`` of the tainted total ``T``; the few
  satoshis lost to flooring (< number of slots) are reported as ``rounding_residue``.
* FIFO -- the satoshis of the entering slots are laid end to end in slot order and the leaving
  slots take them in order; tainted satoshis are tracked as exact intervals, so FIFO conserves
  value exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

POLICIES = ("poison", "haircut", "fifo")

Intervals = tuple[tuple[int, int], ...]  # sorted, disjoint, half-open [start, end)


def muldiv(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Exact ``floor(a * b / c)`` for int64 arrays whose product overflows int64.

    Precondition (always true in tracing): ``0 <= a <= c`` and ``0 <= b <= MAX_MONEY``, so the
    quotient fits in int64.

    A float64 estimate is off by at most a couple of units; the remainder ``a*b - q*c`` is small,
    so computing it with wrapping int64 arithmetic is exact, and it corrects the estimate.
    """
    a, b, c = (np.asarray(x, dtype=np.int64) for x in (a, b, c))
    safe = np.where(c > 0, c, 1)
    if len(a) == 0 or float(a.max()) * float(b.max()) < 2.0**62:  # no overflow: plain ints
        return np.where(c > 0, a * b // safe, 0)
    q = np.floor(a.astype(np.float64) * b.astype(np.float64) / safe).astype(np.int64)
    with np.errstate(over="ignore"):
        r = a * b - q * safe
        for _ in range(4):
            low = r < 0
            q, r = q - low, r + safe * low
            high = r >= safe
            q, r = q + high, r - safe * high
    return np.where(c > 0, q, 0)


def total(intervals: Intervals) -> int:
    return sum(e - s for s, e in intervals)


def shift(intervals: Intervals, offset: int) -> list[tuple[int, int]]:
    return [(s + offset, e + offset) for s, e in intervals]


def cut(
    intervals: Sequence[tuple[int, int]], offsets: np.ndarray, weights: np.ndarray
) -> dict[int, Intervals]:
    """FIFO: split tx-space tainted intervals among leaving slots ``[offset, offset+weight)``.

    Returns slot position -> intervals relative to that slot's own start (only tainted slots).
    """
    ends = offsets + weights
    out: dict[int, list[tuple[int, int]]] = {}
    for s, e in sorted(intervals):
        k = int(np.searchsorted(ends, s, side="right"))
        while k < len(offsets) and offsets[k] < e:
            lo, hi = max(s, int(offsets[k])), min(e, int(ends[k]))
            if hi > lo:
                out.setdefault(k, []).append((lo - int(offsets[k]), hi - int(offsets[k])))
            k += 1
    return {k: merge(v) for k, v in out.items()}


def merge(intervals: Sequence[tuple[int, int]]) -> Intervals:
    """Sort and coalesce touching or overlapping intervals."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)
