"""Feed the chain index from the store's Parquet parts, in chain order and bounded windows.

Why windows: one commit may hold a whole chain (a single ``ingest`` of a ``blocks/``
directory); reading it as height ranges of ~``WINDOW_TXS`` transactions keeps memory flat while
every window is appended in chain order. Only main-chain blocks are indexed: a stale block's
transactions did not move money (those that also made it into the main chain are indexed there).
The index numbers addresses exactly like the store's ``addresses`` table, so an ``address_id``
means the same thing in SQL and in the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from ledgerhound.store.chainindex.index import IndexWriter
from ledgerhound.store.sql import arrow_table, define_table, one, run

WINDOW_TXS = 250_000


def define_views(con: duckdb.DuckDBPyConnection, parts: dict[str, Sequence[Path]]) -> None:
    for table in ("blocks", "transactions", "outputs", "inputs", "addresses"):
        define_table(con, f"ix_{table}", table, list(parts.get(table, [])))


def lowest_main_height(con: duckdb.DuckDBPyConnection) -> int | None:
    (low,) = one(con, "SELECT min(height) FROM ix_blocks WHERE in_main_chain")
    return None if low is None else int(low)


def feed(con: duckdb.DuckDBPyConnection, writer: IndexWriter, after: int) -> None:
    """Append every main-chain block above height ``after`` and every address the views add."""
    blocks = run(
        con,
        f"""SELECT height, tx_count FROM ix_blocks WHERE in_main_chain AND height > {after}
            ORDER BY height""",
    )
    for lo, hi in _windows(blocks):
        _window(con, writer, lo, hi)
    rest = _arrow(
        con,
        f"""SELECT address FROM ix_addresses
                           WHERE address_id >= {_addr_count(writer)} ORDER BY address_id""",
    )
    if len(rest):
        writer.append(_empty_txs(), _empty_outputs(), _empty_inputs(), rest["address"])


def _windows(blocks: list[tuple]) -> list[tuple[int, int]]:
    out, lo, count = [], None, 0
    for height, tx_count in blocks:
        lo = height if lo is None else lo
        count += tx_count
        if count >= WINDOW_TXS:
            out.append((lo, height))
            lo, count = None, 0
    if lo is not None:
        out.append((lo, blocks[-1][0]))
    return out


def _window(con: duckdb.DuckDBPyConnection, writer: IndexWriter, lo: int, hi: int) -> None:
    run(con, f"""CREATE OR REPLACE TEMP TABLE w_tx AS
        SELECT DISTINCT t.txid, t.height, t.tx_index FROM ix_transactions t
        SEMI JOIN (SELECT hash FROM ix_blocks WHERE in_main_chain AND height BETWEEN {lo} AND {hi})
          b ON t.block_hash = b.hash
        WHERE t.height BETWEEN {lo} AND {hi}""")  # fmt: skip
    txs = _arrow(con, "SELECT * FROM w_tx")
    outputs = _arrow(con, f"""SELECT DISTINCT o.txid, o.vout, o.value, o.address,
        o.script_type FROM ix_outputs o SEMI JOIN w_tx w ON o.txid = w.txid AND o.height = w.height
        WHERE o.height BETWEEN {lo} AND {hi}""")  # fmt: skip
    inputs = _arrow(con, f"""SELECT DISTINCT i.txid, i.vin, i.prev_txid, i.prev_vout, i.prev_value
        FROM ix_inputs i SEMI JOIN w_tx w ON i.txid = w.txid AND i.height = w.height
        WHERE i.height BETWEEN {lo} AND {hi}""")  # fmt: skip
    start = _addr_count(writer)
    # ids follow first appearance, so the window's new addresses are the ids up to the last one
    # first seen in it (first_height is monotone in the id: Parquet statistics prune the scan)
    (top,) = one(
        con,
        f"""SELECT max(address_id) FROM ix_addresses
        WHERE first_height BETWEEN {lo} AND {hi} AND address_id >= {start}""",
    )
    top = start - 1 if top is None else int(top)
    new = _arrow(
        con,
        f"""SELECT address FROM ix_addresses
        WHERE address_id BETWEEN {start} AND {top} ORDER BY address_id""",
    )
    writer.append(txs, outputs, inputs, new["address"])


def _addr_count(writer: IndexWriter) -> int:
    return max(writer.state.lengths["addr_off"] - 1, 0)


def _arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    return arrow_table(con.sql(sql))


def _empty_txs() -> pa.Table:
    return pa.table({"txid": pa.array([], pa.string()), "height": pa.array([], pa.int32()),
                     "tx_index": pa.array([], pa.int32())})  # fmt: skip


def _empty_outputs() -> pa.Table:
    return pa.table({"txid": pa.array([], pa.string()), "vout": pa.array([], pa.int32()),
                     "value": pa.array([], pa.int64()), "address": pa.array([], pa.string()),
                     "script_type": pa.array([], pa.string())})  # fmt: skip


def _empty_inputs() -> pa.Table:
    return pa.table({"txid": pa.array([], pa.string()), "vin": pa.array([], pa.int32()),
                     "prev_txid": pa.array([], pa.string()), "prev_vout": pa.array([], pa.int64()),
                     "prev_value": pa.array([], pa.int64())})  # fmt: skip
