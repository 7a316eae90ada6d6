"""The persistent chain index: column files + sorted runs under ``<store>/index/``.

Layout::

    index/state-g<N>.json          lengths, run names and column directory of generation N
    index/<dir>/<column>.bin       append-only columns (see ``columns``)
    index/<dir>/runs/<stem>.*.npy  sorted runs (see ``runs``)
    index/journal.npy              outputs whose spender an uncommitted append wrote in place

Why per-generation state files: the manifest swap commits the store; the index state for the
new generation is written just before it, so a reader always finds the state of the manifest it
read, and a writer killed at any point leaves an index that the next writer cuts back (columns
truncated to the committed lengths, in-place spends undone from the journal, newer states and
unreferenced runs deleted). Spends written in place are also invisible to readers until
committed: a reader treats a spender id at or beyond its committed transaction count as unspent.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc

from ledgerhound.store.chainindex import columns as colmod
from ledgerhound.store.chainindex.columns import HexColumn, StringColumn
from ledgerhound.store.chainindex.extend import Chunk, extend
from ledgerhound.store.chainindex.keys import string_parts
from ledgerhound.store.chainindex.runs import SortedRuns
from ledgerhound.store.chainindex.view import ChainView, Guarded

FORMAT = "ledgerhound-chainindex/1"
INDEX_DIR = "index"
JOURNAL = "journal.npy"
TIMES = "journal-times.json"  # (atime, mtime) of committed column files before this writer
RUN_SETS = ("tx", "addr", "addr_out")
RUN_DTYPES = {"tx": "uint64", "addr": "uint64", "addr_out": "int64"}
# column -> (dtype, width); ``*_ptr`` columns hold one leading 0 (length = transactions + 1)
COLUMNS: dict[str, tuple[str, int]] = {
    "tx_hash": ("uint8", 32),
    "tx_height": ("int32", 0),
    "tx_degree": ("int64", 0),
    "tx_in_value": ("int64", 0),
    "tx_coinbase": ("bool", 0),
    "out_ptr": ("int64", 0),
    "out_tx": ("int64", 0),
    "out_vout": ("int32", 0),
    "out_value": ("int64", 0),
    "out_addr": ("int64", 0),
    "out_spent_tx": ("int64", 0),
    "out_spend_offset": ("int64", 0),
    "out_offset": ("int64", 0),
    "out_type": ("uint8", 0),  # index into State.script_types
    **{
        f"{s}_{k}": ("int64", 0)
        for s in ("fwd", "bwd")
        for k in ("ptr", "weight", "offset", "target")
    },
    "addr_off": ("int64", 0),
    "addr_dat": ("uint8", 0),
}
_PTRS = ("out_ptr", "fwd_ptr", "bwd_ptr", "addr_off")


@dataclass
class State:
    """What generation N of the index holds."""

    generation: int = 0
    directory: str = "g0"
    lengths: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))
    runs: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in RUN_SETS})
    max_height: int = -1  # highest main-chain height indexed
    run_seq: int = 0
    script_types: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        data = {"format": FORMAT, "generation": self.generation, "directory": self.directory,
                "lengths": self.lengths, "runs": self.runs, "max_height": self.max_height,
                "run_seq": self.run_seq, "script_types": self.script_types}  # fmt: skip
        return json.dumps(data, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> State:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError("not a chain index state")
        return cls(data["generation"], data["directory"], data["lengths"], data["runs"],
                   data["max_height"], data["run_seq"], data["script_types"])  # fmt: skip


def state_path(root: Path, generation: int) -> Path:
    return root / INDEX_DIR / f"state-g{generation}.json"


def load_state(root: Path, generation: int) -> State | None:
    """The index state committed with manifest generation ``generation``, if there is one."""
    try:
        return State.from_json(state_path(root, generation).read_text())
    except (OSError, ValueError, KeyError):
        return None


def open_view(root: Path, state: State) -> ChainView:
    """The index of ``state`` memory-mapped read-only (spends beyond it read as unspent)."""
    base = root / INDEX_DIR / state.directory
    cols = {name: colmod.map_column(base / f"{name}.bin", dtype, state.lengths[name], width)
            for name, (dtype, width) in COLUMNS.items()}  # fmt: skip
    for name in _PTRS:
        if len(cols[name]) == 0:
            cols[name] = np.zeros(1, dtype=np.int64)
    runs = {k: SortedRuns.open(base / "runs", state.runs[k], RUN_DTYPES[k]) for k in RUN_SETS}
    n_tx = state.lengths["tx_height"]
    return ChainView.assemble(
        cols, HexColumn(cols["tx_hash"]), StringColumn(cols["addr_off"], cols["addr_dat"]),
        runs["tx"], runs["addr"], runs["addr_out"], spent=Guarded(cols["out_spent_tx"], n_tx),
    )  # fmt: skip


class IndexWriter:
    """Appends to the index on behalf of the store's one writer (it holds the store lock)."""

    def __init__(self, root: Path, committed: State | None, rebuild: bool = False) -> None:
        self.root = root
        self.index = root / INDEX_DIR
        self.committed = committed
        old = committed or State()
        if rebuild or committed is None:
            self.state = State(generation=old.generation, directory=f"g{old.generation}-new",
                               run_seq=old.run_seq)  # fmt: skip
            shutil.rmtree(self.index / self.state.directory, ignore_errors=True)
        else:
            self.state = State.from_json(old.to_json())
        self.dir = self.index / self.state.directory
        (self.dir / "runs").mkdir(parents=True, exist_ok=True)
        self.dropped: list[str] = []
        self.journal: list[np.ndarray] = []
        self.times: dict[str, list[int]] = {}

    def view(self) -> ChainView:
        return open_view(self.root, self.state)

    def append(self, txs: Any, outputs: Any, inputs: Any, new_addresses: Any) -> Chunk:
        """Index one chunk of main-chain transactions in chain order."""
        prior = (
            self.view()
            if self.state.lengths["tx_height"] or self.state.lengths["addr_off"]
            else None
        )
        chunk = extend(prior, txs, outputs, inputs, new_addresses)
        chunk.columns["out_type"] = self._type_codes(outputs, chunk)
        self._write_columns(chunk)
        self._apply_spends(chunk)
        for name, pairs in (("tx", chunk.tx_run), ("addr", chunk.addr_run),
                            ("addr_out", chunk.addr_out_run)):  # fmt: skip
            if pairs is not None and len(pairs[0]):
                self._add_run(name, *pairs)
        heights = chunk.columns["tx_height"]
        if len(heights):
            self.state.max_height = max(self.state.max_height, int(heights.max()))
        return chunk

    def _type_codes(self, outputs: Any, chunk: Chunk) -> np.ndarray:
        """Script type per output as a code into ``state.script_types`` (grown as needed)."""
        if "script_type" not in outputs.column_names or not len(chunk.out_order):
            return np.zeros(len(chunk.out_order), dtype=np.uint8)
        enc = pc.dictionary_encode(outputs["script_type"].combine_chunks().take(chunk.out_order))
        table = self.state.script_types
        for name in enc.dictionary.to_pylist():
            if name not in table:
                table.append(name)
        if len(table) > 255:
            raise ValueError("more than 255 script types")
        mapping = np.array([table.index(n) for n in enc.dictionary.to_pylist()], dtype=np.uint8)
        return mapping[enc.indices.to_numpy(zero_copy_only=False)]

    def _write_columns(self, chunk: Chunk) -> None:
        cols = dict(chunk.columns)
        cols["tx_hash"] = chunk.hashes
        offsets, data = string_parts(chunk.new_addresses)
        start = self._last("addr_off")
        cols["addr_off"], cols["addr_dat"] = start + offsets, data
        for name, array in cols.items():
            if name in _PTRS and self.state.lengths[name]:
                array = array[1:]  # the leading entry equals the last committed one
            dtype, width = COLUMNS[name]
            array = np.asarray(array, dtype=dtype)
            itemsize = np.dtype(dtype).itemsize * max(width, 1)
            self._touch(self.dir / f"{name}.bin")
            colmod.append_column(
                self.dir / f"{name}.bin", self.state.lengths[name] * itemsize, array
            )
            self.state.lengths[name] += len(array)

    def _last(self, name: str) -> int:
        n = self.state.lengths[name]
        if not n:
            return 0
        return int(colmod.map_column(self.dir / f"{name}.bin", "int64", n)[n - 1])

    def _apply_spends(self, chunk: Chunk) -> None:
        if chunk.spent is None:
            return
        outs, spender, offsets = chunk.spent
        self.journal.append(outs)
        _save_npy(self.index / JOURNAL, np.concatenate(self.journal))
        n = self.state.lengths["out_spent_tx"]
        for name, values in (("out_spent_tx", spender), ("out_spend_offset", offsets)):
            self._touch(self.dir / f"{name}.bin")
            mm = np.memmap(self.dir / f"{name}.bin", dtype="int64", mode="r+", shape=(n,))
            mm[outs] = values
            mm.flush()
            del mm

    def _touch(self, path: Path) -> None:
        """Record a committed file's times before its first change, so that a failed commit
        leaves it exactly as it was (content and times)."""
        key = str(path.relative_to(self.index))
        if key in self.times or not path.exists() or self.committed is None:
            return
        st = path.stat()
        self.times[key] = [st.st_atime_ns, st.st_mtime_ns]
        tmp = self.index / (TIMES + ".partial")
        tmp.write_text(json.dumps(self.times, sort_keys=True))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.index / TIMES)

    def _add_run(self, name: str, keys: np.ndarray, values: np.ndarray) -> None:
        runs = SortedRuns.open(self.dir / "runs", self.state.runs[name], RUN_DTYPES[name])
        self.state.run_seq += 1
        stem = f"{name}-{self.state.run_seq:08d}"
        self.dropped += runs.add(
            np.asarray(keys, RUN_DTYPES[name]), values, self.dir / "runs", stem
        )
        self.state.runs[name] = runs.names

    def save(self, generation: int) -> None:
        """Make the index durable as generation ``generation`` (before the manifest swap)."""
        for name in COLUMNS:
            colmod.sync(self.dir / f"{name}.bin")
        self.state.generation = generation
        final = f"g{generation}" if self.state.directory.endswith("-new") else self.state.directory
        if final != self.state.directory:
            shutil.rmtree(self.index / final, ignore_errors=True)
            os.replace(self.dir, self.index / final)
            self.state.directory, self.dir = final, self.index / final
        path = state_path(self.root, generation)
        tmp = path.with_suffix(".partial")
        tmp.write_text(self.state.to_json())
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def finish(self) -> None:
        """After the manifest swap: forget the journal, older states and unreferenced files."""
        (self.index / JOURNAL).unlink(missing_ok=True)
        (self.index / TIMES).unlink(missing_ok=True)
        cleanup(self.root, self.state)


def cleanup(root: Path, keep: State) -> None:
    """Delete every index file that ``keep`` does not reference."""
    index = root / INDEX_DIR
    if not index.is_dir():
        return
    for path in index.iterdir():
        if path.name.startswith("state-g") and path.name != state_path(root, keep.generation).name:
            path.unlink(missing_ok=True)
        elif path.is_dir() and path.name != keep.directory:
            shutil.rmtree(path, ignore_errors=True)
    referenced = {f"{stem}.{part}.npy" for names in keep.runs.values() for stem in names
                  for part in ("keys", "vals")}  # fmt: skip
    runs = index / keep.directory / "runs"
    if runs.is_dir():
        for path in runs.iterdir():
            if path.name not in referenced:
                path.unlink(missing_ok=True)


def recover(root: Path, generation: int) -> State | None:
    """Cut the index back to what manifest generation ``generation`` committed (after a killed
    writer); returns that state, or None when the index must be rebuilt."""
    state = load_state(root, generation)
    index = root / INDEX_DIR
    if state is None:
        if index.exists():
            shutil.rmtree(index, ignore_errors=True)
        return None
    base = index / state.directory
    journal = index / JOURNAL
    if journal.exists():
        outs = np.load(journal, allow_pickle=False)
        n, n_tx = state.lengths["out_spent_tx"], state.lengths["tx_height"]
        outs = outs[outs < n]
        if len(outs):
            spent = np.memmap(base / "out_spent_tx.bin", dtype="int64", mode="r+", shape=(n,))
            offs = np.memmap(base / "out_spend_offset.bin", dtype="int64", mode="r+", shape=(n,))
            undo = outs[np.asarray(spent[outs]) >= n_tx]
            spent[undo], offs[undo] = -1, 0
            spent.flush()
            offs.flush()
            del spent, offs
        journal.unlink()
    for name, (dtype, width) in COLUMNS.items():
        path = base / f"{name}.bin"
        size = state.lengths[name] * np.dtype(dtype).itemsize * max(width, 1)
        if path.exists() and path.stat().st_size != size:
            with open(path, "r+b") as fh:
                fh.truncate(size)
    _restore_times(index)
    cleanup(root, state)
    return state


def _restore_times(index: Path) -> None:
    path = index / TIMES
    if not path.exists():
        return
    try:
        times = json.loads(path.read_text())
    except ValueError:
        times = {}
    for name, (atime, mtime) in times.items():
        target = index / name
        if target.exists():
            os.utime(target, ns=(atime, mtime))
    path.unlink()


def _save_npy(path: Path, array: np.ndarray) -> None:
    tmp = path.with_suffix(".partial")
    with open(tmp, "wb") as fh:
        np.save(fh, array, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
