"""The addresses table: dense int64 ids in order of first appearance ``(height, tx_index, vout)``
on the main chain.

Why main chain only: an address paid only in a stale block never received money on the ledger,
and numbering it would make ids depend on when the stale block arrived (it has no height to
sort by); left out, ids grow by appending as the chain grows, in any split of the ingest. The
stale block's rows stay in ``outputs`` with their address strings.

In the normal case (new blocks above everything committed) new addresses are appended with the
next ids, so existing ids never change. When staged rows interleave with committed ones (a
backfill below the store's tip) the whole table is
rebuilt in one DuckDB query and ``addresses_epoch`` is bumped: ids then equal those of a store
built at once from the same blocks, which is the property the store guarantees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ledgerhound.store import manifest as mf
from ledgerhound.store.sql import define_table, one, quote, run, write_query, write_table

if TYPE_CHECKING:
    from ledgerhound.store.staging import Staging

_KEY = "(o.height::BIGINT << 40) + (t.tx_index::BIGINT << 20) + o.vout::BIGINT"


def _first_seen_sql(outputs: str, transactions: str) -> str:
    return f"""SELECT o.address, min({_KEY}) AS key, min(o.height) AS first_height
               FROM {outputs} o JOIN {transactions} t
                 ON t.txid = o.txid AND t.height = o.height
               WHERE o.address IS NOT NULL AND o.height IS NOT NULL GROUP BY o.address"""


def update(
    con: duckdb.DuckDBPyConnection, st: Staging, new: mf.Manifest, renumber: bool = False
) -> tuple[list[mf.Part], set[str], int]:
    """Stage the addresses first seen in ``st``; return (parts, replaced files, new count).
    ``renumber``: committed rows changed chain (a re-link), so the table is derived again."""
    if renumber:
        return _rebuild(con, st, new)
    if not st.staged.parts["outputs"]:
        return [], set(), 0
    run(con, "CREATE TEMP TABLE s_first AS " + _first_seen_sql("s_outputs", "s_transactions"))
    (low,) = one(con, "SELECT min(key) FROM s_first")
    if low is None:
        return [], set(), 0
    committed = new.row_count("addresses")
    if committed and low <= new.address_key_max:
        return _rebuild(con, st, new)
    sql = f"""SELECT {committed} + row_number() OVER (ORDER BY key, address) - 1 AS address_id,
                     address, first_height
              FROM s_first ANTI JOIN c_addresses USING (address)
              ORDER BY address_id"""
    parts, added = _write(con, st, new, sql, committed)
    (key_max,) = one(con, "SELECT max(key) FROM s_first ANTI JOIN c_addresses USING (address)")
    if key_max is not None:
        new.address_key_max = max(new.address_key_max, int(key_max))
    return parts, set(), added


def append_known(
    st: Staging, new: mf.Manifest, table: pa.Table, key_max: int
) -> tuple[list[mf.Part], set[str], int]:
    """Stage addresses the chain index has numbered already (its ids continue the table's)."""
    if not table.num_rows:
        return [], set(), 0
    first_id = int(table["address_id"][0].as_py())
    name = f"tables/addresses/a{first_id:010d}-g{new.generation}.parquet"
    write_table(table, st.dir / name, "addresses")
    heights = table["first_height"]
    new.address_key_max = max(new.address_key_max, key_max)
    part = mf.Part(name, table.num_rows, "", pc.min(heights).as_py(), pc.max(heights).as_py())
    return [part], set(), table.num_rows


def _rebuild(
    con: duckdb.DuckDBPyConnection, st: Staging, new: mf.Manifest
) -> tuple[list[mf.Part], set[str], int]:
    old_count = new.row_count("addresses")
    for table in ("outputs", "transactions"):
        paths = [st.root / p.file for p in new.parts[table]]
        paths += [st.dir / p.file for p in st.staged.parts[table]]
        define_table(con, f"all_{table}", table, paths)
    run(con, "CREATE TEMP TABLE all_first AS " + _first_seen_sql("all_outputs", "all_transactions"))
    sql = """SELECT row_number() OVER (ORDER BY key, address) - 1 AS address_id,
                    address, first_height
             FROM all_first ORDER BY address_id"""
    new.addresses_epoch += 1
    parts, total = _write(con, st, new, sql, 0)
    (top,) = one(con, "SELECT max(key) FROM all_first")
    new.address_key_max = int(top) if top is not None else -1
    dead = {p.file for p in new.parts["addresses"]}
    return parts, dead, total - old_count


def _write(
    con: duckdb.DuckDBPyConnection, st: Staging, new: mf.Manifest, sql: str, first_id: int
) -> tuple[list[mf.Part], int]:
    name = f"tables/addresses/a{first_id:010d}-g{new.generation}.parquet"
    rows = write_query(con, sql, st.dir / name, "addresses")
    if rows == 0:
        (st.dir / name).unlink()
        return [], 0
    part = quote(str(st.dir / name))
    low, high = one(con, f"SELECT min(first_height), max(first_height) FROM read_parquet({part})")
    return [mf.Part(name, rows, "", low, high)], rows
