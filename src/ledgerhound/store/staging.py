"""One pending commit: new parts are written under ``<store>/staging/<id>/`` until committed.

:class:`Staging` filters out blocks the store already has (idempotence), writes each batch's rows
as Parquet parts, and on :meth:`commit` resolves inputs in bulk with DuckDB
(:mod:`ledgerhound.store.resolve`), moves the parts into ``tables/`` and atomically replaces the
manifest. :meth:`abort` deletes the staging directory, leaving every committed file untouched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ledgerhound.errors import CorruptDataError, StoreError
from ledgerhound.store import manifest as mf
from ledgerhound.store import resolve
from ledgerhound.store.batch import CHAIN_TABLES, ChainBatch
from ledgerhound.store.chainindex.commit import index_commit
from ledgerhound.store.chainindex.index import IndexWriter, recover
from ledgerhound.store.chainindex.stage import IndexStage
from ledgerhound.store.relink import relink
from ledgerhound.store.sql import write_table

STAGING = "staging"
TABLES_DIR = "tables"


@dataclass
class Staged:
    """What a staging area holds so far, in the order it arrived."""

    parts: dict[str, list[mf.Part]] = field(default_factory=lambda: {t: [] for t in CHAIN_TABLES})
    raw_inputs: list[Path] = field(default_factory=list)  # to resolve with DuckDB at commit
    raw_parts: list[mf.Part] = field(default_factory=list)  # ... and the parts they become
    direct_inputs: list[mf.Part] = field(default_factory=list)  # resolved from the index
    direct_resolved: int = 0
    block_hashes: set[str] = field(default_factory=set)
    origins: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {"blocks": 0, "transactions": 0, "outputs": 0, "inputs": 0}
    )
    skipped_blocks: int = 0


class Staging:
    def __init__(self, root: Path, manifest: mf.Manifest, name: str) -> None:
        self.root = root
        self.manifest = manifest
        self.dir = root / STAGING / name
        self.staged = Staged()
        self.index: IndexStage | None = None

    def _make_dirs(self) -> None:
        """Created with the first new block, so a no-op re-ingest touches no directory."""
        for table in (*CHAIN_TABLES, "addresses"):
            (self.dir / TABLES_DIR / table).mkdir(parents=True, exist_ok=True)
        (self.dir / "raw").mkdir(exist_ok=True)

    @property
    def block_count(self) -> int:
        return self.staged.counts["blocks"]

    def add(self, batch: ChainBatch) -> dict[str, int]:
        """Stage the blocks of ``batch`` the store does not have yet; return rows added."""
        keep = self._new_blocks(batch)
        skipped = int((~keep).sum())
        self.staged.skipped_blocks += skipped
        added = {"blocks": 0, "transactions": 0, "outputs": 0, "inputs": 0}
        if not keep.any():
            return added
        tables = _select_rows(batch, keep)
        self._make_dirs()
        hashes = tables["blocks"].column("hash").to_pylist()
        heights = [h for h in tables["blocks"].column("height").to_pylist() if h is not None]
        low, high = (min(heights), max(heights)) if heights else (None, None)
        batch_id = hashlib.sha256("".join(hashes).encode()).hexdigest()[:16]
        name = f"{_height_tag(low, high)}-{batch_id}.parquet"
        if self.index is None:
            self.index = IndexStage(self.root, self.manifest.generation,
                                    self.manifest.row_count("addresses"))  # fmt: skip
        indexed = self.index.add(tables)
        for table, rows in tables.items():
            if table != "inputs":
                self._write(table, rows, name, low, high)
            elif indexed is None:
                self._write_raw(rows, name, low, high)
            added[table] = rows.num_rows
            self.staged.counts[table] += rows.num_rows
        if indexed is not None:
            resolved, stale = indexed
            part = self._write("inputs", resolved, name, low, high, direct=True)
            part.unresolved, done = _resolution(resolved)
            self.staged.direct_resolved += done
            if stale.num_rows:
                self._write_raw(stale, name.replace(".parquet", "-stale.parquet"), low, high)
        self.staged.block_hashes.update(hashes)
        self.staged.origins.append(
            {"origin": batch.origin, "blocks": len(hashes), "min_height": low, "max_height": high}
        )
        return added

    def _write(self, table: str, rows: pa.Table, name: str, low, high, direct: bool = False):
        write_table(rows, self.dir / TABLES_DIR / table / name, table)
        part = mf.Part(f"{TABLES_DIR}/{table}/{name}", rows.num_rows, "", low, high)
        (self.staged.direct_inputs if direct else self.staged.parts[table]).append(part)
        return part

    def _write_raw(self, rows: pa.Table, name: str, low, high) -> None:
        """Inputs the commit resolves in bulk (backfills, stale blocks)."""
        path = self.dir / "raw" / name
        write_table(rows, path, "inputs")
        self.staged.raw_inputs.append(path)
        self.staged.raw_parts.append(mf.Part(f"{TABLES_DIR}/inputs/{name}", rows.num_rows, "",
                                             low, high))  # fmt: skip

    def _new_blocks(self, batch: ChainBatch) -> np.ndarray:
        seen: set[str] = set()
        keep = []
        for block_hash in batch.blocks.column("hash").to_pylist():
            fresh = block_hash not in self.manifest.block_hashes
            fresh = fresh and block_hash not in self.staged.block_hashes and block_hash not in seen
            keep.append(fresh)
            seen.add(block_hash)  # a block repeated inside one batch is kept once
        return np.array(keep, dtype=bool)

    def commit(self) -> tuple[mf.Manifest, dict[str, int]]:
        """Resolve, move the parts into ``tables/``, replace the manifest; return it + counts."""
        new = _copy_manifest(self.manifest)
        new.generation += 1
        relinked = relink(self, new)
        if relinked is not None and self.index is not None:
            self.index.abandon()  # the batches were indexed with the old chain: bulk path
            self._unresolved_to_bulk()
        renumber = relinked is not None and relinked.committed
        result = resolve.finish(self, new, renumber=renumber)
        if relinked is not None:
            for table, dead in relinked.dead.items():
                result.replaced[table] = result.replaced.get(table, set()) | dead
        index = self._index(new, result, renumber)
        moved: list[Path] = []
        listed = {p.file for parts in self.manifest.parts.values() for p in parts}
        clash = [p.file for parts in result.parts.values() for p in parts if p.file in listed]
        if clash:  # part names are unique by construction; never overwrite committed data
            raise StoreError(f"{self.root}: refusing to overwrite committed part {clash[0]}")
        try:
            for table, parts in result.parts.items():
                for part in parts:
                    src = self.dir / part.file
                    part.sha256 = mf.file_sha256(src)
                    dst = self.root / part.file
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(src, dst)
                    moved.append(dst)
                    new.parts[table].append(part)
            for table, dead in result.replaced.items():
                new.parts[table] = [p for p in new.parts[table] if p.file not in dead]
            new.block_hashes |= self.staged.block_hashes
            new.origins.extend(self.staged.origins)
            for table in {p.parent for p in moved}:
                mf.fsync_dir(table)
            mf.save(self.root, new)
        except BaseException:
            recover(self.root, self.manifest.generation)
            for path in moved:
                path.unlink(missing_ok=True)
            raise
        index.finish()
        self.index = None  # committed: nothing left to undo
        for dead in result.replaced.values():
            for file in dead:
                (self.root / file).unlink(missing_ok=True)
        self.abort()
        counts = dict(self.staged.counts)
        counts["addresses"] = result.new_addresses
        counts["resolved_inputs"] = result.resolved
        counts["skipped_blocks"] = self.staged.skipped_blocks
        counts["relinked_blocks"] = relinked.blocks if relinked is not None else 0
        return new, counts

    def _unresolved_to_bulk(self) -> None:
        """Inputs the index could not resolve may spend outputs of blocks a re-link just put
        on the main chain: those parts are resolved again by the bulk path."""
        keep = []
        for part in self.staged.direct_inputs:
            if not part.unresolved:
                keep.append(part)
                continue
            src = self.dir / part.file
            rows = pq.read_table(src, columns=["prev_txid", "prev_value"])
            self.staged.direct_resolved -= _resolution(rows)[1]
            raw = self.dir / "raw" / src.name
            os.replace(src, raw)
            self.staged.raw_inputs.append(raw)
            self.staged.raw_parts.append(part)
        self.staged.direct_inputs = keep

    def _index(self, new: mf.Manifest, result: resolve.Finished, relinked: bool) -> IndexWriter:
        """Append this commit to the chain index (or rebuild it), durable before the swap."""
        staged = {t: [self.dir / p.file for p in ps] for t, ps in result.parts.items()}
        final = {}
        for table, parts in new.parts.items():
            dead = result.replaced.get(table, set())
            final[table] = [self.root / p.file for p in parts if p.file not in dead]
            final[table] += staged.get(table, [])
        renumbered = new.addresses_epoch != self.manifest.addresses_epoch
        renumbered = renumbered or bool(result.replaced.get("inputs")) or relinked
        if self.index is not None and self.index.active and not renumbered:
            self.index.writer.save(new.generation)  # appended batch by batch already
            return self.index.writer
        try:
            return index_commit(self.root, self.manifest.generation,
                                self.manifest.row_count("addresses"), new.generation, staged,
                                final, renumbered, self.dir / "duckdb-tmp")  # fmt: skip
        except BaseException:
            recover(self.root, self.manifest.generation)
            raise

    def abort(self) -> None:
        """Forget everything staged: the staging directory and the index appends."""
        if self.index is not None:
            self.index.abandon()
            self.index = None
        if not self.dir.exists():
            return
        shutil.rmtree(self.dir, ignore_errors=True)
        try:
            (self.root / STAGING).rmdir()
        except OSError:
            pass


def _resolution(inputs: pa.Table) -> tuple[int, int]:
    """(unresolved, resolved) non-coinbase inputs of a table."""
    spends = pc.is_valid(inputs["prev_txid"])
    resolved = pc.is_valid(inputs["prev_value"])
    unresolved = pc.sum(pc.and_(spends, pc.invert(resolved))).as_py() or 0
    return int(unresolved), int(pc.sum(resolved).as_py() or 0)


def _height_tag(low: int | None, high: int | None) -> str:
    if low is None or high is None:
        return "hstale"
    return f"h{low:07d}-{high:07d}"


def _select_rows(batch: ChainBatch, keep: np.ndarray) -> dict[str, pa.Table]:
    """Rows of the kept blocks: rows are grouped by block, then by transaction, in order."""
    tx_counts = batch.blocks.column("tx_count").to_numpy()
    tx_keep = _expand(keep, tx_counts, batch.transactions.num_rows, batch, "transactions")
    txs = batch.transactions
    out_keep = _expand(tx_keep, txs.column("output_count").to_numpy(), batch.outputs.num_rows,
                       batch, "outputs")  # fmt: skip
    in_keep = _expand(tx_keep, txs.column("input_count").to_numpy(), batch.inputs.num_rows,
                      batch, "inputs")  # fmt: skip
    masks = {"blocks": keep, "transactions": tx_keep, "outputs": out_keep, "inputs": in_keep}
    if keep.all():  # the usual case: nothing to filter
        return {t: getattr(batch, t) for t in CHAIN_TABLES}
    return {t: getattr(batch, t).filter(pa.array(masks[t])) for t in CHAIN_TABLES}


def _expand(keep: np.ndarray, counts: np.ndarray, rows: int, batch: ChainBatch, what: str):
    if int(counts.sum()) != rows:
        raise CorruptDataError(
            f"{batch.origin or 'batch'}: {what} rows ({rows}) do not match the declared counts "
            f"({int(counts.sum())})",
            origin=batch.origin,
        )
    return np.repeat(keep, counts)


def _copy_manifest(old: mf.Manifest) -> mf.Manifest:
    return mf.Manifest(
        network=old.network,
        generation=old.generation,
        parts={t: list(ps) for t, ps in old.parts.items()},
        block_hashes=set(old.block_hashes),
        origins=list(old.origins),
        addresses_epoch=old.addresses_epoch,
        address_key_max=old.address_key_max,
    )
