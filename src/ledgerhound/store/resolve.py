"""Input resolution in bulk: one DuckDB join per commit, never a per-input Python lookup.

Staged inputs are joined on ``(prev_txid, prev_vout)`` against every output (committed and
staged) to fill ``prev_value``, ``prev_address`` and ``prev_script_type``. Committed input parts
that still hold unresolved inputs are re-joined against the newly staged outputs and rewritten
copy-on-write (a new part in staging replaces the old one in the manifest), so a store built in
pieces, in any order, ends up equal to one built at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ledgerhound.store import addresses
from ledgerhound.store import manifest as mf
from ledgerhound.store.sql import connect, define_table, one, parquet_list, quote, run, write_query

if TYPE_CHECKING:
    from ledgerhound.store.staging import Staging

_OUT_COLS = "txid, vout, value, address, script_type"
_IN_COLS = "i.txid, i.vin, i.height, i.prev_txid, i.prev_vout, i.sequence, i.script_sig, i.witness"
_UNRESOLVED = "prev_txid IS NOT NULL AND prev_value IS NULL"
# values a source already supplied (bitcoin-etl, verbose RPC) are kept; the join fills the rest
_RESOLVED = """coalesce(i.prev_value, s.value) AS prev_value,
    CASE WHEN i.prev_value IS NULL THEN s.address ELSE i.prev_address END AS prev_address,
    CASE WHEN i.prev_value IS NULL THEN s.script_type ELSE i.prev_script_type END
      AS prev_script_type"""


@dataclass
class Finished:
    """Parts to move in (paths relative to the staging dir) and committed files they replace."""

    parts: dict[str, list[mf.Part]] = field(default_factory=dict)
    replaced: dict[str, set[str]] = field(default_factory=dict)
    resolved: int = 0
    new_addresses: int = 0


def finish(st: Staging, new: mf.Manifest, renumber: bool = False) -> Finished:
    """Resolve inputs and extend the addresses table for everything staged in ``st``
    (``renumber``: committed blocks changed chain, so address ids are derived again)."""
    con = connect(st.dir / "duckdb-tmp")
    try:
        committed = {t: [st.root / p.file for p in new.sorted_parts(t)] for t in new.parts}
        for table in ("outputs", "transactions"):
            define_table(con, f"c_{table}", table, committed[table])
            define_table(
                con, f"s_{table}", table, [st.dir / p.file for p in st.staged.parts[table]]
            )
        define_table(con, "c_addresses", "addresses", committed["addresses"])
        result = Finished(parts={t: list(ps) for t, ps in st.staged.parts.items() if t != "inputs"})
        result.parts["inputs"], result.resolved = _resolve_staged(con, st)
        result.parts["inputs"] += st.staged.direct_inputs
        result.resolved += st.staged.direct_resolved
        fixed, dead, resolved = _reresolve_committed(con, st, new)
        result.parts["inputs"] += fixed
        result.replaced["inputs"] = dead
        result.resolved += resolved
        from_index = st.index.addresses() if st.index is not None else None
        if from_index is not None:
            addr_parts, addr_dead, result.new_addresses = addresses.append_known(
                st, new, *from_index
            )
        else:
            addr_parts, addr_dead, result.new_addresses = addresses.update(con, st, new, renumber)
        result.parts["addresses"] = addr_parts
        result.replaced["addresses"] = addr_dead
        return result
    finally:
        con.close()


def _resolve_staged(con: duckdb.DuckDBPyConnection, st: Staging) -> tuple[list[mf.Part], int]:
    if not st.staged.raw_inputs:
        return [], 0
    run(
        con,
        f"""CREATE TEMP TABLE src AS
        SELECT o.txid, o.vout, min(o.value) AS value, min(o.address) AS address,
               min(o.script_type) AS script_type
        FROM (SELECT {_OUT_COLS} FROM c_outputs UNION ALL SELECT {_OUT_COLS} FROM s_outputs) o
        SEMI JOIN (SELECT DISTINCT prev_txid, prev_vout FROM read_parquet(
                     {parquet_list(st.staged.raw_inputs)}) WHERE prev_txid IS NOT NULL) k
          ON o.txid = k.prev_txid AND o.vout = k.prev_vout
        GROUP BY o.txid, o.vout""",
    )
    parts, resolved = [], 0
    for raw, staged in zip(st.staged.raw_inputs, st.staged.raw_parts, strict=True):
        sql = f"""SELECT {_IN_COLS}, {_RESOLVED}
                  FROM read_parquet({quote(str(raw))}, file_row_number=true) i
                  LEFT JOIN src s ON s.txid = i.prev_txid AND s.vout = i.prev_vout
                  ORDER BY i.file_row_number"""
        out = st.dir / staged.file
        staged.rows = write_query(con, sql, out, "inputs")
        staged.unresolved, done = _counts(con, out)
        resolved += done
        parts.append(staged)
    run(con, "DROP TABLE src")
    return parts, resolved


def _reresolve_committed(
    con: duckdb.DuckDBPyConnection, st: Staging, new: mf.Manifest
) -> tuple[list[mf.Part], set[str], int]:
    """Rewrite committed input parts whose unresolved inputs spend newly staged outputs."""
    pending = [p for p in new.parts["inputs"] if p.unresolved]
    if not pending or not st.staged.parts["outputs"]:
        return [], set(), 0
    paths = {str(st.root / p.file): p for p in pending}
    run(
        con,
        f"""CREATE TEMP TABLE src2 AS
        SELECT o.txid, o.vout, min(o.value) AS value, min(o.address) AS address,
               min(o.script_type) AS script_type
        FROM s_outputs o
        SEMI JOIN (SELECT prev_txid, prev_vout FROM read_parquet(
                {parquet_list(list(paths))}) WHERE {_UNRESOLVED}) k
          ON o.txid = k.prev_txid AND o.vout = k.prev_vout
        GROUP BY o.txid, o.vout""",
    )
    affected = run(
        con,
        f"""SELECT DISTINCT k.filename FROM read_parquet({parquet_list(list(paths))},
              filename=true) k SEMI JOIN src2 s ON s.txid = k.prev_txid AND s.vout = k.prev_vout
            WHERE k.{_UNRESOLVED} ORDER BY 1""",
    )
    fixed, dead, resolved = [], set(), 0
    for (filename,) in affected:
        old = paths[filename]
        stem = re.sub(r"-g\d+$", "", Path(old.file).stem)
        part = mf.Part(f"{Path(old.file).parent}/{stem}-g{new.generation}.parquet", 0, "",
                       old.min_height, old.max_height)  # fmt: skip
        sql = f"""SELECT {_IN_COLS}, {_RESOLVED}
                  FROM read_parquet({quote(filename)}, file_row_number=true) i
                  LEFT JOIN src2 s ON s.txid = i.prev_txid AND s.vout = i.prev_vout
                  ORDER BY i.file_row_number"""
        out = st.dir / part.file
        part.rows = write_query(con, sql, out, "inputs")
        part.unresolved, _ = _counts(con, out)
        resolved += old.unresolved - part.unresolved
        fixed.append(part)
        dead.add(old.file)
    run(con, "DROP TABLE src2")
    return fixed, dead, resolved


def _counts(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, int]:
    """(unresolved, resolved) non-coinbase inputs in one written part."""
    unresolved, resolved = one(
        con,
        f"""SELECT count(*) FILTER (WHERE {_UNRESOLVED}),
                   count(*) FILTER (WHERE prev_value IS NOT NULL)
            FROM read_parquet({quote(str(path))})""",
    )
    return int(unresolved), int(resolved)
