"""Change-based merge edges for ``cluster build --with-change`` (off by default).

Each transaction's combined change annotation (``cluster.change``) at or above a confidence
threshold links the transaction's first input address to the change output's address. This is
a heuristic on top of a heuristic: its precision is measured in ``docs/accuracy.md`` and every
build that uses it records so in its metadata. The context is an in-memory index of the store's
transactions, so it is capped (``MAX_TRANSACTIONS``); larger stores need a bulk implementation.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import numpy as np

from ledgerhound.cluster import change
from ledgerhound.cluster.txshape import TxShape
from ledgerhound.errors import InvalidInputError

MAX_TRANSACTIONS = 2_000_000

_SHAPES_SQL = {
    "txs": """SELECT txid, height, tx_index, version, locktime, is_coinbase FROM transactions
              WHERE height IS NOT NULL ORDER BY height, tx_index""",
    "ins": """SELECT i.txid, i.prev_value, i.prev_address, i.prev_script_type, i.prev_txid,
                     i.prev_vout FROM inputs i WHERE i.height IS NOT NULL ORDER BY i.txid, i.vin""",
    "outs": """SELECT txid, value, address, script_type FROM outputs WHERE height IS NOT NULL
               ORDER BY txid, vout""",
}


def _group(rows: list[tuple]) -> dict[str, list[tuple]]:
    grouped: dict[str, list[tuple]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row[1:])
    return grouped


def store_shapes(con: duckdb.DuckDBPyConnection) -> Iterator[TxShape]:
    """Every main-chain transaction of the store as a TxShape, in chain order."""
    count = con.execute("SELECT count(*) FROM transactions").fetchone()[0]
    if count > MAX_TRANSACTIONS:
        raise InvalidInputError(
            f"--with-change works on stores of up to {MAX_TRANSACTIONS:,} transactions "
            f"(this one has {count:,})"
        )
    ins = _group(con.execute(_SHAPES_SQL["ins"]).fetchall())
    outs = _group(con.execute(_SHAPES_SQL["outs"]).fetchall())
    for tx in con.execute(_SHAPES_SQL["txs"]).fetchall():
        yield change.shape_from_rows(tx, ins.get(tx[0], []), outs.get(tx[0], []))


def change_edges(
    con: duckdb.DuckDBPyConnection, min_confidence: int, mainnet: bool, history_from: int | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(src, dst, txids)`` address-id edges from confident change annotations."""
    shapes = list(store_shapes(con))
    index = change.ShapeIndex(shapes, history_from=history_from)
    ids = dict(con.execute("SELECT address, address_id FROM addresses").fetchall())
    src, dst, txids = [], [], []
    for tx in shapes:
        first = next((a for a in tx.input_addresses if a is not None), None)
        if first is None:
            continue
        note = change.annotate(tx, index, mainnet=mainnet)
        target = tx.output_addresses[note.index] if note is not None else None
        if note is None or note.confidence < min_confidence or target is None:
            continue
        src.append(ids[first])
        dst.append(ids[target])
        txids.append(tx.txid)
    return np.array(src, dtype=np.int32), np.array(dst, dtype=np.int32), txids
