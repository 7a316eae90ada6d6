"""Co-spend edges and CoinJoin candidates, read from the store with DuckDB in bounded memory.

Edges come in chain order (height, tx_index, vin) because union-by-size and the collapse guard
depend on order; the same order in a full and an incremental build gives the same clusters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import numpy as np
import pyarrow as pa

from ledgerhound.cluster import coinjoin
from ledgerhound.cluster.txshape import TxShape

Position = tuple[int, int]  # (height, tx_index) of the last transaction processed
BATCH_ROWS = 1_000_000

CANDIDATES_SQL = """
WITH equal_outputs AS (
    SELECT DISTINCT txid FROM outputs GROUP BY txid, value HAVING count(*) > 1
)
SELECT t.txid, t.height, t.tx_index
FROM transactions t JOIN equal_outputs USING (txid)
WHERE t.height IS NOT NULL AND t.input_count > 1
  AND (t.height > ? OR (t.height = ? AND t.tx_index > ?))
ORDER BY t.height, t.tx_index
"""


def coinjoin_verdicts(con: duckdb.DuckDBPyConnection, after: Position, mainnet: bool) -> pa.Table:
    """Run the CoinJoin detectors on multi-input txs with equal-valued outputs after ``after``."""
    candidates = con.execute(CANDIDATES_SQL, [after[0], after[0], after[1]]).fetchall()
    rows: dict[str, list] = {
        k: [] for k in ("txid", "height", "protocol", "confidence", "rule", "evidence")
    }
    for start in range(0, len(candidates), 10_000):
        chunk = candidates[start : start + 10_000]
        for shape in _shapes(con, [c[0] for c in chunk], {c[0]: c[1] for c in chunk}):
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


COINJOIN_SCHEMA = pa.schema(
    [("txid", pa.string()), ("height", pa.int32()), ("protocol", pa.string()),
     ("confidence", pa.int32()), ("rule", pa.string()), ("evidence", pa.string())]
)  # fmt: skip


def _shapes(
    con: duckdb.DuckDBPyConnection, txids: list[str], heights: dict[str, int]
) -> Iterator[TxShape]:
    con.register("_want", pa.table({"txid": txids}))
    ins = con.execute(
        "SELECT txid, prev_value, prev_address FROM inputs WHERE txid IN (SELECT txid FROM _want)"
        " ORDER BY txid, vin"
    ).fetchall()
    outs = con.execute(
        "SELECT txid, value, address, script_type FROM outputs"
        " WHERE txid IN (SELECT txid FROM _want) ORDER BY txid, vout"
    ).fetchall()
    con.unregister("_want")
    by_in: dict[str, list] = {}
    for txid, value, address in ins:
        by_in.setdefault(txid, []).append((value, address))
    by_out: dict[str, list] = {}
    for txid, value, address, kind in outs:
        by_out.setdefault(txid, []).append((value, address, kind))
    for txid in txids:
        i, o = by_in.get(txid, []), by_out.get(txid, [])
        yield TxShape(
            txid, heights[txid], False,
            tuple(v for v, _ in i), tuple(a for _, a in i),
            tuple(v for v, _, _ in o), tuple(a for _, a, _ in o), tuple(k for _, _, k in o),
        )  # fmt: skip


EDGES_SQL = """
SELECT t.height, t.tx_index, a.address_id::INTEGER AS address_id, i.txid
FROM inputs i
JOIN transactions t ON t.txid = i.txid
JOIN addresses a ON a.address = i.prev_address
WHERE i.prev_address IS NOT NULL AND t.input_count > 1 AND t.height IS NOT NULL
  AND (t.height > ? OR (t.height = ? AND t.tx_index > ?))
  AND i.txid NOT IN (SELECT txid FROM _excluded)
ORDER BY t.height, t.tx_index, i.vin
"""


def cospend_edges(
    con: duckdb.DuckDBPyConnection, after: Position, excluded: list[str]
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, Position]]:
    """Batches of ``(src, dst, txids, last_position)``: each tx's first input address to the rest.

    ``txids`` names the transaction of each edge (to report merges held by the collapse guard).
    """
    con.register("_excluded", pa.table({"txid": pa.array(excluded, pa.string())}))
    reader = con.sql(EDGES_SQL, params=[after[0], after[0], after[1]]).to_arrow_reader(BATCH_ROWS)
    carry: tuple[str, int] | None = None  # (txid, root address) of a tx cut by a batch boundary
    for batch in reader:
        txid = batch.column("txid").to_numpy(zero_copy_only=False)
        addr = batch.column("address_id").to_numpy().astype(np.int32)
        starts = np.flatnonzero(np.r_[True, txid[1:] != txid[:-1]])
        group = np.cumsum(np.r_[True, txid[1:] != txid[:-1]]) - 1
        root = addr[starts][group]
        if carry is not None and txid[0] == carry[0]:
            root[group == 0] = carry[1]
        keep = root != addr
        last = len(txid) - 1
        carry = (txid[last], int(root[last]))
        heights = batch.column("height").to_numpy()
        indexes = batch.column("tx_index").to_numpy()
        position = (int(heights[last]), int(indexes[last]))
        yield root[keep], addr[keep], txid[keep], position
    con.unregister("_excluded")
