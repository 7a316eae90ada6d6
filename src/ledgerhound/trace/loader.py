"""Build a FlowGraph from a ledgerhound store (DuckDB views over its Parquet tables).

Why only these columns: the flow graph needs ids, values, addresses and the spend links; reading
nothing else keeps memory to a few tens of bytes per output even on large stores.
"""

from __future__ import annotations

from typing import Any

from ledgerhound.store.sql import arrow_table
from ledgerhound.trace.graph import FlowGraph

_SQL = {
    "transactions": "SELECT txid, height, tx_index FROM transactions",
    "outputs": "SELECT txid, vout, value, address FROM outputs",
    "inputs": "SELECT txid, vin, prev_txid, prev_vout, prev_value FROM inputs",
}


def graph_from_store(store: Any) -> FlowGraph:
    """The flow graph of everything in ``store`` (a :class:`ledgerhound.store.Store`)."""
    con = store.connect()
    try:
        tables = {name: arrow_table(con.sql(sql)) for name, sql in _SQL.items()}
    finally:
        con.close()
    return FlowGraph.from_arrow(tables["transactions"], tables["outputs"], tables["inputs"])
