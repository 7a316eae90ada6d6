"""The chain index's part in a store commit: append when the commit extends the chain, else
rebuild from the parts; either way durable before the manifest swap.

A commit *extends* the index when the index of the previous generation exists and mirrors the
store (same address count), no address ids were renumbered, no committed input part was
re-resolved, and every new main-chain block lies above the highest indexed height -- the case of
a ``blocks/`` directory read once, of RPC following the tip, and of every checkpoint of either.
Anything else (a backfill below the tip, blocks whose parents came in a later run) rebuilds the
index from the store's parts in bounded windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ledgerhound.store.chainindex.feed import define_views, feed, lowest_main_height
from ledgerhound.store.chainindex.index import IndexWriter, recover
from ledgerhound.store.sql import connect


def index_commit(root: Path, old_generation: int, old_addresses: int, new_generation: int,
                 staged: dict[str, Sequence[Path]], final: dict[str, Sequence[Path]],
                 renumbered: bool, temp_dir: Path) -> IndexWriter:  # fmt: skip
    """Write the index for ``new_generation``; the caller calls ``finish()`` after its swap."""
    committed = recover(root, old_generation) if old_generation else None
    if committed is not None and max(committed.lengths["addr_off"] - 1, 0) != old_addresses:
        committed = None
    con = connect(temp_dir)
    try:
        define_views(con, staged)
        low = lowest_main_height(con)
        extends = committed is not None and not renumbered
        extends = extends and (low is None or low > committed.max_height)
        if extends:
            writer = IndexWriter(root, committed)
            feed(con, writer, after=committed.max_height)
        else:
            define_views(con, final)
            writer = IndexWriter(root, committed, rebuild=True)
            feed(con, writer, after=-1)
    finally:
        con.close()
    writer.save(new_generation)
    return writer


def build_index(root: Path, generation: int, parts: dict[str, Sequence[Path]],
                temp_dir: Path) -> None:  # fmt: skip
    """(Re)build the index of a committed store that has none (made by an older ledgerhound)."""
    con = connect(temp_dir)
    try:
        define_views(con, parts)
        writer = IndexWriter(root, None, rebuild=True)
        feed(con, writer, after=-1)
    finally:
        con.close()
    writer.save(generation)
    writer.finish()
