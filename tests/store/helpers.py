"""Comparing stores: file hashes (atomicity) and sorted table contents (order independence)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ledgerhound.store import Store
from ledgerhound.store.schema import TABLES


def file_state(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``root`` -> (sha256, mtime_ns)."""
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def table_rows(store: Store) -> dict[str, list[tuple]]:
    """All tables, rows sorted, independent of part files and their order."""
    con = store.connect()
    try:
        out = {}
        for table in TABLES:
            cols = ", ".join(c.name for c in TABLES[table])
            rows = con.execute(f"SELECT {cols} FROM {table}").fetchall()
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        con.close()
