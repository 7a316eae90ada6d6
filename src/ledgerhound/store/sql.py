"""DuckDB plumbing shared by ingest, queries and export: bounded connections and table views.

Every connection gets a ``memory_limit`` and a ``temp_directory`` so joins and sorts over a large
store spill to disk instead of growing without bound.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ledgerhound.errors import StoreError
from ledgerhound.store.schema import arrow_schema


def _default_memory_limit() -> str:
    """A quarter of physical memory (at least 1 GB), or ``LEDGERHOUND_DUCKDB_MEMORY``.

    Why not a fixed 1 GB: some DuckDB operators (string-keyed joins and aggregates while
    resolving millions of inputs) cannot spill everything, and a 10M-transaction commit ran out
    at 1 GB. A quarter leaves room for the rest of the process on any machine.
    """
    configured = os.environ.get("LEDGERHOUND_DUCKDB_MEMORY")
    if configured:
        return configured
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return "1GB"
    return f"{max(1, total // 4 // 2**30)}GB"


MEMORY_LIMIT = _default_memory_limit()
THREADS = 2
COMPRESSION = "zstd"
FETCH_ROWS = 65_536


def connect(
    temp_dir: Path | None = None, memory_limit: str = MEMORY_LIMIT
) -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB connection with bounded memory and a spill directory."""
    con = duckdb.connect(":memory:")
    spill = temp_dir or spill_dir()
    run(con, f"SET memory_limit = '{memory_limit}'")
    run(con, f"SET temp_directory = {quote(str(spill))}")
    run(con, f"SET threads = {THREADS}")
    run(con, "SET preserve_insertion_order = true")
    return con


def spill_dir() -> Path:
    return Path(tempfile.gettempdir()) / "ledgerhound-duckdb"


@contextmanager
def resource_errors(what: str) -> Iterator[None]:
    """Turn DuckDB running out of memory or spill space into one line naming the remedy."""
    try:
        yield
    except duckdb.OutOfMemoryException as exc:
        raise StoreError(
            f"{what}: DuckDB ran out of memory (memory_limit {MEMORY_LIMIT}); raise it with "
            f"LEDGERHOUND_DUCKDB_MEMORY or free disk space for spilling in {spill_dir()}",
            duckdb=str(exc).splitlines()[0],
        ) from None
    except duckdb.IOException as exc:
        raise StoreError(
            f"{what}: DuckDB could not read or spill data ({str(exc).splitlines()[0][:160]})",
            spill_dir=str(spill_dir()),
        ) from None


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    """Execute and fetch everything (DuckDB refuses new work while a result is unfinished)."""
    return con.execute(sql, params or []).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    """The single row of an aggregate query."""
    return run(con, sql, params)[0]


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def parquet_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(quote(str(p)) for p in paths) + "]"


def define_table(
    con: duckdb.DuckDBPyConnection, name: str, table: str, paths: Sequence[Path]
) -> None:
    """Make ``name`` a view over ``paths`` (Parquet parts of ``table``), or an empty typed table.

    A registered empty table would shadow a later view of the same name: it is dropped first."""
    con.unregister(name)
    if paths:
        run(
            con,
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({parquet_list(paths)})",
        )
    else:
        con.register(name, arrow_schema(table).empty_table())


def write_query(
    con: duckdb.DuckDBPyConnection, sql: str, path: Path, table: str, params: list | None = None
) -> int:
    """Stream the rows of ``sql`` into a Parquet file with ``table``'s exact schema; return rows."""
    schema = arrow_schema(table)
    reader = con.sql(sql, params=params or None).to_arrow_reader(FETCH_ROWS)
    rows = 0
    with pq.ParquetWriter(path, schema, compression=COMPRESSION) as writer:
        for batch in reader:
            table_batch = pa.Table.from_batches([batch]).cast(schema)
            writer.write_table(table_batch)
            rows += table_batch.num_rows
    return rows


def write_table(table: pa.Table, path: Path, name: str) -> None:
    """Write an in-memory table with ``name``'s exact schema (metadata included)."""
    pq.write_table(table.cast(arrow_schema(name)), path, compression=COMPRESSION)


def arrow_table(result) -> pa.Table:
    """A DuckDB query result as a pyarrow Table (DuckDB renamed the method across versions)."""
    for name in ("to_arrow_table", "fetch_arrow_table", "arrow"):
        fn = getattr(result, name, None)
        if fn is not None:
            return fn()
    raise RuntimeError("this DuckDB cannot return Arrow tables")
