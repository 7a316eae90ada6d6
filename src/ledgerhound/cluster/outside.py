"""Inputs whose funding output is not in the store, with what the source said about them.

Why: the chain index knows an input's value and address only through the output it spends. A
store that starts above genesis, fed by a source that reports the spent output (RPC verbosity
3, enriched ETL exports), has inputs whose ``prev_value``/``prev_address`` the ``inputs`` table
holds although the index marks them ``OUTSIDE``; co-spend clustering and the detectors count
them as the SQL over the table did. A store built from genesis has none, and finding that out
is one pass over the input slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ledgerhound.cluster.columns import read, windows
from ledgerhound.store.chainindex.extend import OUTSIDE


@dataclass
class OutsideInputs:
    """Source-reported spent outputs, sorted by (tx, vin); ``addr`` is -1 without an id."""

    tx: np.ndarray  # int64 spending transaction id
    vin: np.ndarray  # int64 input index
    value: np.ndarray  # int64 prev_value, -1 when null
    addr: np.ndarray  # int64 address id of prev_address, -1 when null or not numbered
    address: pa.Array  # prev_address strings (null when unknown)

    @classmethod
    def empty(cls) -> OutsideInputs:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z, pa.array([], pa.string()))

    def __len__(self) -> int:
        return len(self.tx)

    def of(self, lo: int, hi: int) -> np.ndarray:
        """Row positions of the inputs of transactions ``lo..hi-1``."""
        return np.arange(*np.searchsorted(self.tx, [lo, hi]))


def outside_slots(view: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(tx, vin)`` of every input whose funding output the index lacks (coinbase excluded)."""
    txs, vins = [], []
    ptr_col, target_col = view.backward.ptr, view.backward.target
    for lo, hi in windows(view.tx_count):
        ptr = read(ptr_col, lo, hi + 1)
        target = read(target_col, int(ptr[0]), int(ptr[-1]))
        hit = target == OUTSIDE
        hit[ptr[1:] - ptr[0] - 1] = False  # each transaction's trailing hidden-value slot
        pos = np.flatnonzero(hit)
        if len(pos):
            tx = np.searchsorted(ptr, pos + ptr[0], side="right") - 1
            txs.append(tx + lo)
            vins.append(pos + ptr[0] - ptr[tx])
    if not txs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(txs).astype(np.int64), np.concatenate(vins).astype(np.int64)


def load_outside(store: Any, view: Any) -> OutsideInputs:
    """The ``inputs`` rows of :func:`outside_slots` that carry a value or an address."""
    tx, vin = outside_slots(view)
    if not len(tx):
        return OutsideInputs.empty()
    want = pa.table({"txid": view.txids.take(tx), "vin": pa.array(vin, pa.int32()),
                     "tx": pa.array(tx, pa.int64())})  # fmt: skip
    con = store.connect()
    try:
        con.register("_outside", want)
        rows = con.execute(
            "SELECT w.tx, w.vin, coalesce(i.prev_value, -1) AS value, i.prev_address AS address "
            "FROM inputs i JOIN _outside w ON w.txid = i.txid AND w.vin = i.vin "
            "WHERE i.height IS NOT NULL AND (i.prev_value IS NOT NULL OR i.prev_address IS NOT "
            "NULL) ORDER BY w.tx, w.vin"
        ).fetch_arrow_table()
    finally:
        con.close()
    address = rows["address"].combine_chunks().cast(pa.string())
    return OutsideInputs(
        rows["tx"].to_numpy().astype(np.int64), rows["vin"].to_numpy().astype(np.int64),
        rows["value"].to_numpy().astype(np.int64), view.find_addresses(address), address,
    )  # fmt: skip
