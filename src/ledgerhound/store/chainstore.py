"""``Store``: the store directory as one object -- ingest (atomic, idempotent, incremental),
queries and export.

Layout::

    <store>/manifest.json                      committed parts, counts, block hashes, fingerprint
    <store>/tables/<table>/h<lo>-<hi>-<id>.parquet   immutable parts, partitioned by height range
    <store>/staging/<n>/                       uncommitted parts (removed on failure)
    <store>/.lock                              flock held by the one writer
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ledgerhound.errors import ConflictError, NotFoundError, StoreError
from ledgerhound.store import export as export_mod
from ledgerhound.store import manifest as mf
from ledgerhound.store import queries
from ledgerhound.store.batch import ChainBatch
from ledgerhound.store.chainindex.commit import build_index
from ledgerhound.store.chainindex.index import INDEX_DIR, load_state, open_view
from ledgerhound.store.chainindex.view import ChainView
from ledgerhound.store.lock import LOCK_NAME, WriterLock
from ledgerhound.store.staging import STAGING, TABLES_DIR, Staging

Progress = Callable[[int, int], None]  # (blocks seen, transactions added) per batch
_STORE_ENTRIES = {mf.MANIFEST, LOCK_NAME, STAGING, TABLES_DIR, INDEX_DIR}
_COUNTS = ("blocks", "transactions", "outputs", "inputs", "addresses")


class Store:
    """A chain store directory. Reads see the last committed manifest; one writer at a time."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.root = Path(path)

    # --- writing --------------------------------------------------------------------------
    def ingest(
        self,
        batches: Iterable[ChainBatch],
        progress: Progress | None = None,
        checkpoint_blocks: int | None = None,
    ) -> dict[str, Any]:
        """Add the blocks of ``batches`` the store lacks; all-or-nothing per commit.

        One commit at the end by default; with ``checkpoint_blocks`` a commit every N new
        blocks, so an interrupted run keeps its finished checkpoints and a re-run resumes.
        """
        created = self._prepare_root()
        lock = WriterLock(self.root)
        totals: dict[str, Any] = dict.fromkeys(
            (*_COUNTS, "resolved_inputs", "skipped_blocks", "relinked_blocks", "commits"), 0
        )
        try:
            lock.acquire()
            try:
                self._run(batches, progress, checkpoint_blocks, totals)
            finally:
                lock.release()
        finally:
            if created and not totals["commits"]:
                shutil.rmtree(self.root, ignore_errors=True)
        manifest = mf.load(self.root)
        totals["unresolved_inputs"] = manifest.unresolved_inputs() if manifest else 0
        totals["fingerprint"] = manifest.fingerprint if manifest else None
        return totals

    def _run(self, batches, progress, checkpoint_blocks, totals) -> None:
        if (self.root / STAGING).exists():  # left by a killed writer
            shutil.rmtree(self.root / STAGING, ignore_errors=True)
        manifest = mf.load(self.root) or mf.Manifest()
        staging: Staging | None = None
        try:
            for batch in batches:
                self._check_network(manifest, batch)
                with self._store_io():
                    if staging is None:
                        name = f"{os.getpid()}-{manifest.generation}"
                        staging = Staging(self.root, manifest, name)
                    added = staging.add(batch)
                if progress is not None:
                    progress(batch.block_count, added["transactions"])
                if checkpoint_blocks and staging.block_count >= checkpoint_blocks:
                    with self._store_io():
                        manifest = self._commit(staging, totals)
                    staging = None
            if staging is not None:
                with self._store_io():
                    self._commit(staging, totals)
                staging = None
        except BaseException:
            if staging is not None:
                staging.abort()
            raise

    @contextmanager
    def _store_io(self) -> Iterator[None]:
        """Disk errors while writing the store (full, read-only, ...) become one StoreError line."""
        try:
            yield
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise StoreError(
                f"cannot write store at {self.root}: {reason}", path=str(self.root)
            ) from exc
        except duckdb.OutOfMemoryException as exc:
            first = str(exc).splitlines()[0]
            raise StoreError(
                f"ingest into {self.root} ran out of memory ({first}); nothing was written. "
                "Commit in smaller steps (--checkpoint-blocks N) or raise "
                "LEDGERHOUND_DUCKDB_MEMORY",
                path=str(self.root),
            ) from exc
        except duckdb.IOException as exc:
            first = str(exc).splitlines()[0]
            raise StoreError(
                f"cannot write store at {self.root}: {first}", path=str(self.root)
            ) from exc

    @staticmethod
    def _commit(staging: Staging, totals: dict[str, Any]) -> mf.Manifest:
        if not staging.block_count:
            totals["skipped_blocks"] += staging.staged.skipped_blocks
            staging.abort()
            return staging.manifest
        manifest, counts = staging.commit()
        for key, value in counts.items():
            totals[key] += value
        totals["commits"] += 1
        return manifest

    def _check_network(self, manifest: mf.Manifest, batch: ChainBatch) -> None:
        if manifest.network is None:
            manifest.network = batch.network
        elif batch.network != manifest.network:
            source = batch.origin or "the input"
            raise ConflictError(
                f"{source} is {batch.network} data but the store {self.root} holds "
                f"{manifest.network}",
                store_network=manifest.network,
                input_network=batch.network,
            )

    def _prepare_root(self) -> bool:
        """Create the store directory if needed; return whether this call created it."""
        root = self.root
        if root.exists() and not root.is_dir():
            raise StoreError(f"store path {root} is not a directory", path=str(root))
        if root.is_dir():
            foreign = sorted(p.name for p in root.iterdir() if p.name not in _STORE_ENTRIES)
            if foreign and not (root / mf.MANIFEST).exists():
                raise StoreError(
                    f"{root} is not a ledgerhound store (no manifest.json) and is not empty",
                    path=str(root),
                )
            return False
        try:
            root.mkdir(parents=True)
        except OSError as exc:
            raise StoreError(
                f"cannot write store at {root}: {exc.strerror}", path=str(root)
            ) from None
        return True

    # --- reading --------------------------------------------------------------------------
    def manifest(self) -> mf.Manifest:
        manifest = mf.load(self.root)
        if manifest is None:
            raise StoreError(
                f"no store at {self.root} (create one with `ledgerhound ingest`)",
                path=str(self.root),
            )
        return manifest

    def chain_index(self) -> ChainView:
        """The chain index of the committed store, memory-mapped (built once if missing).

        Written at every ingest commit, so this normally only maps files; a store written by
        an older ledgerhound gets its index built here, under the writer lock.
        """
        for _attempt in range(3):  # a commit between reading the manifest and its state
            manifest = self.manifest()
            state = load_state(self.root, manifest.generation)
            if state is not None:
                return open_view(self.root, state)
            if mf.load(self.root).generation == manifest.generation:
                break
        lock = WriterLock(self.root)
        lock.acquire()
        try:
            manifest = self.manifest()
            if load_state(self.root, manifest.generation) is None:
                parts = {t: [self.root / p.file for p in manifest.sorted_parts(t)]
                         for t in manifest.parts}  # fmt: skip
                with self._store_io():
                    build_index(self.root, manifest.generation, parts, self.root / STAGING)
        finally:
            lock.release()
        return open_view(self.root, load_state(self.root, manifest.generation))

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with views ``blocks``, ..., ``addresses`` and ``transfers``."""
        return queries.open_views(self.root, self.manifest())

    def stats(self) -> dict[str, Any]:
        return queries.stats(self.root, self.manifest())

    def block(self, ref: str | int, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        return queries.block(self.root, self.manifest(), str(ref), offset, limit)

    def tx(self, txid: str) -> dict[str, Any]:
        """A transaction; on the main chain its height comes from the chain index, so only the
        parts of that height are read (a stale block's transaction is searched for in full)."""
        manifest = self.manifest()
        state = load_state(self.root, manifest.generation)
        height = None
        if state is not None:
            view = open_view(self.root, state)
            try:
                t = view.tx_id(queries.parse_txid(txid))
                height = int(view.tx_height[t])
            except NotFoundError:
                height = None
        return queries.tx(self.root, manifest, txid, height)

    def address(self, address: str) -> dict[str, Any]:
        return queries.address(self.root, self.manifest(), address)

    def export(
        self, table: str, out: str | os.PathLike[str], clusters: Path | None = None
    ) -> dict[str, Any]:
        return export_mod.export(self.root, self.manifest(), table, Path(out), clusters)
