"""Export a store table to CSV, Parquet or JSON Lines, streamed by DuckDB ``COPY``.

The format follows the file extension. Binary columns (scripts, witnesses) become lowercase hex
in CSV and JSON Lines (a witness is a list of hex strings in JSONL, space-separated in CSV) and
stay binary in Parquet. The file is written to ``<out>.tmp`` and renamed, so a failed export
never leaves a half-written file under the requested name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb

from ledgerhound.errors import InvalidInputError
from ledgerhound.store import manifest as mf
from ledgerhound.store.queries import open_views
from ledgerhound.store.sql import quote, run

EXPORT_TABLES = ("addresses", "transactions", "outputs", "inputs")
FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}
_COPY_OPTIONS = {
    "csv": "FORMAT csv, HEADER true",
    "parquet": "FORMAT parquet, COMPRESSION zstd",
    "jsonl": "FORMAT json",
}

ADDRESSES_SQL = """
WITH s AS (
  SELECT address, count(DISTINCT txid) AS tx_count,
         coalesce(sum(value) FILTER (WHERE direction = 'in'), 0)::BIGINT AS received,
         coalesce(sum(value) FILTER (WHERE direction = 'out'), 0)::BIGINT AS sent,
         max(height) AS last_height
  FROM transfers GROUP BY address),
t AS (SELECT height, strftime(to_timestamp(timestamp), '%Y-%m-%dT%H:%M:%SZ') AS time
      FROM blocks WHERE in_main_chain)
SELECT a.address_id, a.address, {cluster_column} AS cluster_id,
       coalesce(s.tx_count, 0)::BIGINT AS tx_count,
       coalesce(s.received, 0) AS received, coalesce(s.sent, 0) AS sent,
       coalesce(s.received, 0) - coalesce(s.sent, 0) AS balance,
       a.first_height, f.time AS first_seen, s.last_height, l.time AS last_seen
FROM addresses a LEFT JOIN s USING (address)
LEFT JOIN t f ON f.height = a.first_height
LEFT JOIN t l ON l.height = s.last_height
{cluster_join}
ORDER BY a.address_id
"""


def _table_sql(table: str, fmt: str, clusters: Path | None = None) -> str:
    if table == "addresses":
        if clusters is None:
            return ADDRESSES_SQL.format(cluster_column="NULL::INTEGER", cluster_join="")
        join = f"LEFT JOIN read_parquet({quote(str(clusters))}) c USING (address_id)"
        return ADDRESSES_SQL.format(cluster_column="c.cluster_id", cluster_join=join)
    if fmt == "parquet" or table == "transactions":
        return f"SELECT * FROM {table}"
    if table == "outputs":
        return """SELECT txid, vout, height, value, script_type, address, address_derived,
                         lower(hex(script)) AS script FROM outputs"""
    witness = "list_transform(witness, lambda w: lower(hex(w)))"
    if fmt == "csv":
        witness = f"array_to_string({witness}, ' ')"
    return f"""SELECT txid, vin, height, prev_txid, prev_vout, sequence,
                      lower(hex(script_sig)) AS script_sig, {witness} AS witness,
                      prev_value, prev_address, prev_script_type FROM inputs"""


def export(
    root: Path, manifest: mf.Manifest, table: str, out: Path, clusters: Path | None = None
) -> dict[str, Any]:
    """Stream ``table`` to ``out``; ``clusters`` (address_id -> cluster_id Parquet) adds
    ``cluster_id`` to the addresses export (null when no clustering is given)."""
    if table not in EXPORT_TABLES:
        raise InvalidInputError(
            f"cannot export {table!r} (choose from {', '.join(EXPORT_TABLES)})", table=table
        )
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise InvalidInputError(
            f"{out}: unsupported export format {out.suffix or '(no extension)'!r} "
            "(use .csv, .parquet or .jsonl)",
            path=str(out),
        )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InvalidInputError(f"cannot write {out}: directory {parent} does not exist "
                                "or is not writable", path=str(out))  # fmt: skip
    tmp = out.with_name(out.name + ".tmp")
    con = open_views(root, manifest)
    try:
        run(
            con,
            f"COPY ({_table_sql(table, fmt, clusters)}) TO {quote(str(tmp))} "
            f"({_COPY_OPTIONS[fmt]})",
        )
        os.replace(tmp, out)
    except (OSError, duckdb.IOException) as exc:
        tmp.unlink(missing_ok=True)
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise InvalidInputError(f"cannot write {out}: {reason}", path=str(out)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    rows = manifest.row_count(table)
    return {"table": table, "path": str(out), "format": fmt, "rows": rows}
