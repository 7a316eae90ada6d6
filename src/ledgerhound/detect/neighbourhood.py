"""``--seed`` mode over the flow graph: the neighbourhood found with arrays, then small tables.

Why: on a 10M-transaction chain every SQL pass over ``outputs``/``inputs`` reads ~20 M rows
(1-2 s), and expanding two hops around the seeds then loading their coins, clusters and
spenders took ~15 such passes (40 s). The store's chain index (``<store>/index/``, the flow
graph ``trace`` walks: memory-mapped numpy CSR written at ingest) answers "transactions of an
address" and "addresses of a transaction" with array slices, so the neighbourhood and every
row the detectors need come from the graph in well under a second. The detectors then run on
*temp tables named like the store's views* (``transactions``, ``inputs``, ``transfers``), which
DuckDB resolves before the views: the same SQL, on the neighbourhood only.

Same rule as the SQL scope it replaces: addresses in more than ``MAX_EXPAND_DEGREE``
transactions are kept but not expanded through, nor are the other participants of transactions
with more than ``MAX_EXPAND_TX`` inputs + outputs; every output paying an address in scope is a
coin, so "received exactly once" stays true.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerhound.errors import NotFoundError
from ledgerhound.store.chainindex.runs import ranges as _ranges
from ledgerhound.trace.graph import FlowGraph


def address_ids(graph: FlowGraph, addresses: list[str]) -> np.ndarray:
    """Graph ids of ``addresses``; every one must be in the graph (one-line error otherwise)."""
    found = graph.find_addresses(pa.array(addresses, pa.string()))
    for address, a in zip(addresses, found, strict=True):
        if a < 0:
            raise NotFoundError(f"seed address {address!r} is not in the store")
    return np.unique(found).astype(np.int64)


def _received(graph: FlowGraph, addrs: np.ndarray) -> np.ndarray:
    """Output ids paying ``addrs``."""
    return graph.outputs_of(addrs)


def _inputs(graph: FlowGraph, txs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(spending tx, funding output id) of every input of ``txs`` whose funding output is known."""
    ptr = graph.backward.ptr
    slots = _ranges(ptr[txs], ptr[txs + 1] - ptr[txs])
    owner = np.repeat(txs, ptr[txs + 1] - ptr[txs])
    target = np.asarray(graph.backward.target[slots])
    keep = target >= 0
    return owner[keep], target[keep]


def _outputs(graph: FlowGraph, txs: np.ndarray) -> np.ndarray:
    starts = graph.out_ptr[txs]
    return _ranges(starts, graph.out_ptr[txs + 1] - starts)


def _expandable(graph: FlowGraph, addrs: np.ndarray, max_degree: int) -> np.ndarray:
    """Transactions touching those of ``addrs`` (paying or spending them) that are in at most
    ``max_degree`` distinct transactions."""
    outs = _received(graph, addrs)
    owner = graph.out_addr[outs]
    spent = graph.out_spent_tx[outs]
    pair_a = np.concatenate([owner, owner[spent >= 0]])
    pair_t = np.concatenate([graph.out_tx[outs], spent[spent >= 0]])
    pairs = np.unique(np.stack([pair_a, pair_t]), axis=1) if len(pair_a) else np.zeros((2, 0))
    ids, degree = np.unique(pairs[0], return_counts=True)
    quiet = ids[degree <= max_degree]
    return pairs[1][np.isin(pairs[0], quiet)].astype(np.int64)


def scope(graph: FlowGraph, seeds: np.ndarray, hops: int, max_degree: int, max_tx: int) -> tuple:
    """(scope transaction ids, scope address ids), the rule of the module docstring."""
    frontier = np.unique(seeds)
    txs = np.zeros(0, dtype=np.int64)
    addrs = np.zeros(0, dtype=np.int64)
    for _ in range(max(1, hops)):
        addrs = np.union1d(addrs, frontier)
        touched = _expandable(graph, frontier, max_degree)
        txs = np.union1d(txs, touched)
        small = txs[graph.tx_degree[txs] <= max_tx]
        _spender, funding = _inputs(graph, small)
        near = np.concatenate([graph.out_addr[_outputs(graph, small)], graph.out_addr[funding]])
        frontier = np.setdiff1d(near[near >= 0], addrs)
    return txs, np.union1d(addrs, frontier)


def take_strings(array: pa.Array, ids: np.ndarray) -> pa.Array:
    """``array[ids]`` (a graph's txid or address column) with null where the id is negative."""
    return array.take(np.asarray(ids, dtype=np.int64))


def coin_table(graph: FlowGraph, txs: np.ndarray, addrs: np.ndarray) -> pa.Table:
    """``coin`` rows: outputs of the scope transactions and every output paying its addresses."""
    outs = np.union1d(_outputs(graph, txs), _received(graph, addrs)).astype(np.int64)
    tx, spent = graph.out_tx[outs], graph.out_spent_tx[outs]
    height = graph.tx_height[tx].astype(np.int64)
    spent_height = np.where(spent >= 0, graph.tx_height[np.maximum(spent, 0)], -1)
    return pa.table({
        "txid": take_strings(graph.txids, tx),
        "vout": pa.array(graph.out_vout[outs], pa.int32()),
        "height": pa.array(height, mask=height < 0),
        "value": pa.array(graph.out_value[outs], pa.int64()),
        "address": take_strings(graph.addresses, graph.out_addr[outs]),
        "spent_by": take_strings(graph.txids, spent),
        "spent_height": pa.array(spent_height.astype(np.int64), mask=spent < 0),
    })  # fmt: skip


def transaction_tables(graph: FlowGraph, txs: np.ndarray) -> dict[str, pa.Table]:
    """``transactions`` and ``inputs`` rows of ``txs`` (the columns the detectors read)."""
    n_out = graph.out_ptr[txs + 1] - graph.out_ptr[txs]
    n_in = np.where(graph.tx_coinbase[txs], 1, graph.tx_degree[txs] - n_out)
    outs = _outputs(graph, txs)
    out_value = np.bincount(np.repeat(np.arange(len(txs)), n_out), graph.out_value[outs],
                            minlength=len(txs)).astype(np.int64)  # fmt: skip
    height = graph.tx_height[txs].astype(np.int64)
    transactions = pa.table({
        "txid": take_strings(graph.txids, txs),
        "height": pa.array(height, mask=height < 0),
        "input_count": pa.array(n_in, pa.int64()),
        "output_count": pa.array(n_out, pa.int64()),
        "output_value": pa.array(out_value, pa.int64()),
        "is_coinbase": pa.array(np.asarray(graph.tx_coinbase[txs], dtype=bool)),
    })  # fmt: skip
    spender, funding = _inputs(graph, txs)
    spender_height = graph.tx_height[spender].astype(np.int64)
    inputs = pa.table({
        "txid": take_strings(graph.txids, spender),
        "height": pa.array(spender_height, mask=spender_height < 0),
        "prev_txid": take_strings(graph.txids, graph.out_tx[funding]),
        "prev_vout": pa.array(graph.out_vout[funding], pa.int64()),
        "prev_value": pa.array(graph.out_value[funding], pa.int64()),
        "prev_address": take_strings(graph.addresses, graph.out_addr[funding]),
    })  # fmt: skip
    return {"transactions": transactions, "inputs": inputs}


def neighbourhood_txs(graph: FlowGraph, txs: np.ndarray, coin: pa.Table) -> np.ndarray:
    """Scope, the coins' creating and spending transactions, and the funders of the scope."""
    names = pa.concat_arrays([coin["txid"].combine_chunks(), coin["spent_by"].combine_chunks()])
    from ledgerhound.store.chainindex.keys import hex_to_hashes

    found = graph.find_txs(hex_to_hashes(pc.unique(pc.drop_null(names))))
    ids = found[found >= 0]
    _spender, funding = _inputs(graph, txs)
    return np.unique(np.concatenate([ids, txs, graph.out_tx[funding]])).astype(np.int64)


def cluster_table(graph: FlowGraph, clusters: Any, coin: pa.Table, inputs: pa.Table,
                  tagged: list[str]) -> pa.Table:  # fmt: skip
    """``addr_cluster`` for the coins', inputs' and tagged addresses (a cluster per address;
    an address the clustering has not seen is its own, numbered ``-graph id - 1``)."""
    names = pa.concat_arrays([coin["address"].combine_chunks(),
                              inputs["prev_address"].combine_chunks(),
                              pa.array(tagged, pa.string())])  # fmt: skip
    found = graph.find_addresses(pc.unique(pc.drop_null(names)))
    ids = np.unique(found[found >= 0]).astype(np.int64)
    own = -ids - 1
    cid = own if clusters is None else np.where(clusters[ids] >= 0, clusters[ids], own)
    return pa.table({"address": take_strings(graph.addresses, ids),
                     "cluster_id": pa.array(cid, pa.int64())})  # fmt: skip
