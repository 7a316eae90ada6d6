"""Sorted runs: an on-disk lookup index that grows by appending, never by rebuilding.

Why not a hash table or a key-value server: a lookup index over a billion keys must open in
milliseconds and cost nothing until used. Each commit adds one *run* -- ``keys`` (uint64,
sorted) and ``values`` (int64) as two ``.npy`` files, memory-mapped on open -- and lookups
binary-search every run (``numpy.searchsorted``, vectorised over many keys at once). Runs are
merged geometrically (a new run absorbs the runs before it while they are no larger than twice
its size), so there are O(log n) runs and each pair is rewritten O(log n) times in total: the
log-structured merge of LSM trees, without a server.

Keys may repeat: for ``address id -> output ids`` every output of an address is one pair, and
within a key values stay in insertion order (older runs first, stable merges), which is chain
order. For hashed keys (txids, address strings) repeats are collisions; callers verify.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MERGE_RATIO = 2


@dataclass
class Run:
    keys: np.ndarray  # uint64 or int64, sorted
    values: np.ndarray  # int64
    name: str = ""  # file stem in the run directory; "" for an in-memory run


@dataclass
class SortedRuns:
    """A list of runs; read-only views unless :meth:`add` is called by the one writer."""

    runs: list[Run] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(r.keys) for r in self.runs)

    @classmethod
    def from_pairs(cls, keys: np.ndarray, values: np.ndarray) -> SortedRuns:
        """One in-memory run (stable sort: equal keys keep the order of ``values``)."""
        order = np.argsort(keys, kind="stable")
        return cls([Run(np.ascontiguousarray(keys[order]), np.asarray(values[order], np.int64))])

    @classmethod
    def open(cls, directory: Path, names: list[str], dtype: str) -> SortedRuns:
        runs = []
        for name in names:
            keys = np.load(directory / f"{name}.keys.npy", mmap_mode="r", allow_pickle=False)
            vals = np.load(directory / f"{name}.vals.npy", mmap_mode="r", allow_pickle=False)
            if keys.dtype != np.dtype(dtype) or len(keys) != len(vals):
                raise ValueError(f"run {name} is malformed")
            runs.append(Run(keys, vals, name))
        return cls(runs)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.runs]

    # --- reading -------------------------------------------------------------------------
    def bounds(self, keys: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per run, ``(left, right)`` positions of every key (vectorised binary search; the
        keys are searched in sorted order, which keeps the probes cache-friendly)."""
        keys = np.asarray(keys)
        order = np.argsort(keys, kind="stable")
        out = []
        for run in self.runs:
            k = keys[order].astype(run.keys.dtype, copy=False)
            left = np.empty(len(k), dtype=np.int64)
            right = np.empty(len(k), dtype=np.int64)
            left[order] = np.searchsorted(run.keys, k, "left")
            right[order] = np.searchsorted(run.keys, k, "right")
            out.append((left, right))
        return out

    def count(self, keys: np.ndarray) -> np.ndarray:
        """Number of pairs per key, over all runs."""
        total = np.zeros(len(keys), dtype=np.int64)
        for left, right in self.bounds(keys):
            total += right - left
        return total

    def candidates(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All ``(query position, value)`` pairs whose key equals a query key."""
        owners, values = [], []
        for run, (left, right) in zip(self.runs, self.bounds(keys), strict=True):
            n = right - left
            if not n.any():
                continue
            owners.append(np.repeat(np.arange(len(keys)), n))
            values.append(np.asarray(run.values[ranges(left, n)], dtype=np.int64))
        if not owners:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(owners), np.concatenate(values)

    def values_of(self, keys: np.ndarray) -> np.ndarray:
        """Every value stored under any of ``keys``, run by run (chain order within a key when
        a single key is asked for)."""
        _owner, values = self.candidates(keys)
        return values

    # --- writing (one writer) -------------------------------------------------------------
    def add(self, keys: np.ndarray, values: np.ndarray, directory: Path, stem: str) -> list[str]:
        """Append a run from unsorted pairs, merging geometrically; return file stems that
        are no longer referenced (the caller deletes them after its commit)."""
        new = SortedRuns.from_pairs(keys, values).runs[0]
        dropped: list[str] = []
        while self.runs and len(self.runs[-1].keys) <= MERGE_RATIO * max(len(new.keys), 1):
            older = self.runs.pop()
            if older.name:
                dropped.append(older.name)
            new = _merge(older, new)
        new.name = stem
        _save_run(new, directory)
        self.runs.append(Run(*_load_run(directory, stem), stem))
        return dropped


def _merge(older: Run, newer: Run) -> Run:
    keys = np.concatenate((np.asarray(older.keys), np.asarray(newer.keys)))
    values = np.concatenate((np.asarray(older.values), np.asarray(newer.values)))
    order = np.argsort(keys, kind="stable")  # older pairs first within a key
    return Run(keys[order], values[order])


def _save_run(run: Run, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for part, array in (("keys", run.keys), ("vals", run.values)):
        path = directory / f"{run.name}.{part}.npy"
        tmp = path.with_suffix(".partial")
        with open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)


def _load_run(directory: Path, stem: str) -> tuple[np.ndarray, np.ndarray]:
    keys = np.load(directory / f"{stem}.keys.npy", mmap_mode="r", allow_pickle=False)
    vals = np.load(directory / f"{stem}.vals.npy", mmap_mode="r", allow_pickle=False)
    return keys, vals


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for every (s, n), vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(np.asarray(starts, dtype=np.int64) - np.cumsum(lengths) + lengths, lengths)
    return shift + np.arange(total, dtype=np.int64)
