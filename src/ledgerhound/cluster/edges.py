"""Co-spend edges and CoinJoin candidates, read from the memory-mapped chain index in windows.

Why the index and not SQL over ``inputs``: the edge query joined every input with
``transactions`` and ``addresses`` on strings, which held hash tables of every txid and address
(hundreds of bytes per transaction) and sorted all inputs. The index already has transactions in
chain order, each one's inputs in ``vin`` order (its backward slots) and integer address ids, so
a window of transactions is a few array operations and memory stays that of one window plus
one compact address-id column.

Edges come in chain order (height, tx_index, vin) because union-by-size and the collapse guard
depend on order; the same order in a full and an incremental build gives the same clusters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from ledgerhound.cluster import coinjoin
from ledgerhound.cluster.columns import (
    compact,
    gather,
    read,
    strings,
    txid_strings,
    windows,
)
from ledgerhound.cluster.outside import OutsideInputs
from ledgerhound.cluster.txshape import TxShape
from ledgerhound.store.chainindex.runs import ranges

Position = tuple[int, int]  # (height, tx_index) of the last transaction processed
WINDOW = 1 << 18  # transactions per window
SHAPES = 10_000  # CoinJoin candidates judged per batch
Edges = Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (src, dst, tx) batches

COINJOIN_SCHEMA = pa.schema(
    [("txid", pa.string()), ("height", pa.int32()), ("protocol", pa.string()),
     ("confidence", pa.int32()), ("rule", pa.string()), ("evidence", pa.string())]
)  # fmt: skip


def first_after(view: Any, after: Position) -> int:
    """Id of the first transaction after ``after`` (ids are chain order, tx_index dense)."""
    if after[0] < 0:
        return 0
    lo, hi = np.searchsorted(view.tx_height, [after[0], after[0] + 1])
    return int(min(hi, lo + after[1] + 1))


def _window(view: Any, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Output pointer, input count and input-slot pointer of transactions ``lo..hi-1``."""
    out_ptr = read(view.out_ptr, lo, hi + 1)
    n_in = read(view.tx_degree, lo, hi) - np.diff(out_ptr)
    return out_ptr, n_in, read(view.backward.ptr, lo, hi + 1)


def _equal_outputs(view: Any, out_ptr: np.ndarray) -> np.ndarray:
    """Per transaction of the window: does it have two outputs of one value?"""
    value = read(view.out_value, int(out_ptr[0]), int(out_ptr[-1]))
    owner = np.repeat(np.arange(len(out_ptr) - 1), np.diff(out_ptr))
    order = np.lexsort((value, owner))
    same = (owner[order][1:] == owner[order][:-1]) & (value[order][1:] == value[order][:-1])
    hit = np.zeros(len(out_ptr) - 1, dtype=bool)
    hit[owner[order][1:][same]] = True
    return hit


def coinjoin_verdicts(view: Any, start: int, mainnet: bool, types: list[str],
                      outside: OutsideInputs) -> pa.Table:  # fmt: skip
    """Run the CoinJoin detectors on multi-input txs with equal-valued outputs from ``start``."""
    found = []
    for lo, hi in windows(view.tx_count - start, WINDOW):
        out_ptr, n_in, _ = _window(view, start + lo, start + hi)
        cand = np.flatnonzero((n_in > 1) & _equal_outputs(view, out_ptr)) + start + lo
        found.append(cand)
    candidates = np.concatenate(found) if found else np.zeros(0, np.int64)
    rows: dict[str, list] = {k: [] for k in COINJOIN_SCHEMA.names}
    for first in range(0, len(candidates), SHAPES):
        for shape in shapes(view, candidates[first : first + SHAPES], types, outside):
            verdict = coinjoin.detect(shape, mainnet=mainnet)
            if verdict is None:
                continue
            for key, value in (
                ("txid", shape.txid), ("height", shape.height), ("protocol", verdict.protocol),
                ("confidence", verdict.confidence), ("rule", verdict.rule),
                ("evidence", json.dumps(verdict.evidence, sort_keys=True)),
            ):  # fmt: skip
                rows[key].append(value)
    return pa.table(rows, schema=COINJOIN_SCHEMA)


def input_slots(view: Any, txs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(owner position in txs, vin, funding output or COINBASE/OUTSIDE)`` of every input."""
    txs = np.asarray(txs, dtype=np.int64)
    ptr = view.backward.ptr
    start = gather(ptr, txs)
    n = gather(ptr, txs + 1) - start - 1  # the last slot is hidden value
    owner = np.repeat(np.arange(len(txs)), n)
    vin = np.arange(len(owner)) - np.repeat(np.cumsum(n) - n, n)
    return owner, vin, gather(view.backward.target, ranges(start, n))


def shapes(view: Any, txs: np.ndarray, types: list[str],
           outside: OutsideInputs) -> Iterator[TxShape]:  # fmt: skip
    """The :class:`TxShape` of each of ``txs`` (inputs resolved through the index)."""
    txs = np.asarray(txs, dtype=np.int64)
    owner, vin, funding = input_slots(view, txs)
    known = funding >= 0
    f = np.where(known, funding, 0)
    values = [v if ok else None for v, ok in zip(gather(view.out_value, f).tolist(),
                                                 known.tolist(), strict=True)]  # fmt: skip
    in_addr = np.where(known, gather(view.out_addr, f), -1)
    in_text = strings(view.addresses, in_addr).to_pylist()
    if len(outside):
        for k in np.flatnonzero(~known).tolist():
            _fill_outside(outside, int(txs[owner[k]]), int(vin[k]), k, values, in_text)
    o_start = gather(view.out_ptr, txs)
    o_count = gather(view.out_ptr, txs + 1) - o_start
    outs = ranges(o_start, o_count)
    o_value = gather(view.out_value, outs).tolist()
    o_text = strings(view.addresses, gather(view.out_addr, outs)).to_pylist()
    o_type = [types[k] for k in gather(view.out_type, outs).tolist()]
    heights = gather(view.tx_height, txs).tolist()
    i_bounds = np.searchsorted(owner, np.arange(len(txs) + 1))
    o_bounds = np.r_[0, np.cumsum(o_count)]
    for i, txid in enumerate(txid_strings(view, txs).to_pylist()):
        a, b, c, d = i_bounds[i], i_bounds[i + 1], o_bounds[i], o_bounds[i + 1]
        yield TxShape(txid, heights[i], False, tuple(values[a:b]), tuple(in_text[a:b]),
                      tuple(o_value[c:d]), tuple(o_text[c:d]), tuple(o_type[c:d]))  # fmt: skip


def _fill_outside(outside: OutsideInputs, tx: int, vin: int, k: int, values: list,
                  texts: list) -> None:  # fmt: skip
    """Input ``k`` (of ``tx`` at ``vin``) from the source's report of its spent output."""
    rows = outside.of(tx, tx + 1)
    hit = rows[outside.vin[rows] == vin]
    if len(hit):
        value = int(outside.value[hit[0]])
        values[k] = None if value < 0 else value
        texts[k] = outside.address[int(hit[0])].as_py()


def cospend_edges(view: Any, start: int, excluded: np.ndarray, outside: OutsideInputs) -> Edges:
    """Batches of ``(src, dst, tx)``: each multi-input tx's first input address to the rest.

    ``excluded``: sorted transaction ids left out (CoinJoins); ``tx`` names the transaction of
    each edge (to report merges held by the collapse guard).
    """
    addr = compact(view.out_addr, np.int32)
    for lo, hi in windows(view.tx_count - start, WINDOW):
        lo, hi = lo + start, hi + start
        _, n_in, ptr = _window(view, lo, hi)
        funding = read(view.backward.target, int(ptr[0]), int(ptr[-1]))
        owner = np.repeat(np.arange(lo, hi), np.diff(ptr))
        slot = np.arange(len(funding)) - (ptr[owner - lo] - ptr[0])
        keep = (slot < np.diff(ptr)[owner - lo] - 1) & (n_in[owner - lo] > 1)
        keep &= ~np.isin(owner, excluded)
        a = np.where(funding >= 0, addr[np.maximum(funding, 0)], -1)
        rows = outside.of(lo, hi)
        if len(rows):
            at = ptr[outside.tx[rows] - lo] - ptr[0] + outside.vin[rows]
            a[at] = outside.addr[rows]
        keep &= a >= 0
        a, owner = a[keep], owner[keep]
        if not len(a):
            continue
        first = np.r_[True, owner[1:] != owner[:-1]]
        root = a[first][np.cumsum(first) - 1]
        edge = root != a
        yield root[edge], a[edge], owner[edge]
