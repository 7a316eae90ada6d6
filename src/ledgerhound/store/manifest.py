"""``manifest.json``: the one file that says which Parquet parts make up the store.

Part files are immutable; a commit writes new parts and then atomically replaces the manifest
(tmp file + fsync + ``os.replace``), so readers see either the old or the new store, never a mix.
Readers only read parts listed here. Two hashes are kept:

* ``fingerprint`` identifies the *data*: a sha256 over the network, the schema version, the
  sorted block hashes, the row counts and the unresolved-input count. Every row is a function of
  the blocks (whose hashes commit to their transactions through the verified merkle root) and
  of which of them are present, so two stores with the same blocks have the same fingerprint
  however the blocks were split into runs, ordered or checkpointed. Findings and caches carry it.
* ``digest`` covers the whole manifest (every part file's sha256, generation, origins): an
  edited or corrupted manifest is refused on load.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledgerhound.errors import StoreError
from ledgerhound.store.schema import SCHEMA_VERSION, TABLES

FORMAT = "ledgerhound-store"
MANIFEST = "manifest.json"


@dataclass
class Part:
    """One committed Parquet file of one table."""

    file: str  # relative to the store root, POSIX separators
    rows: int
    sha256: str
    min_height: int | None = None
    max_height: int | None = None
    unresolved: int = 0  # inputs parts only: non-coinbase inputs without a resolved prev_value

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "rows": self.rows,
            "sha256": self.sha256,
            "min_height": self.min_height,
            "max_height": self.max_height,
            "unresolved": self.unresolved,
        }


def _part_key(part: Part) -> tuple:
    low = part.min_height if part.min_height is not None else 2**31
    return (low, part.file)


@dataclass
class Manifest:
    network: str | None = None
    generation: int = 0
    parts: dict[str, list[Part]] = field(default_factory=lambda: {t: [] for t in TABLES})
    block_hashes: set[str] = field(default_factory=set)
    origins: list[dict[str, Any]] = field(default_factory=list)
    addresses_epoch: int = 0  # bumped when a backfill renumbers address ids
    address_key_max: int = -1  # largest first-appearance key among assigned address ids

    def sorted_parts(self, table: str) -> list[Part]:
        """Parts in height order, so plain scans return rows in chain order."""
        if table == "addresses":  # named by first id
            return sorted(self.parts[table], key=lambda p: p.file)
        return sorted(self.parts[table], key=_part_key)

    def row_count(self, table: str) -> int:
        return sum(p.rows for p in self.parts[table])

    def unresolved_inputs(self) -> int:
        return sum(p.unresolved for p in self.parts["inputs"])

    def height_range(self) -> tuple[int | None, int | None]:
        lows = [p.min_height for p in self.parts["blocks"] if p.min_height is not None]
        highs = [p.max_height for p in self.parts["blocks"] if p.max_height is not None]
        return (min(lows) if lows else None, max(highs) if highs else None)

    def content(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "network": self.network,
            "generation": self.generation,
            "addresses_epoch": self.addresses_epoch,
            "address_key_max": self.address_key_max,
            "row_counts": {t: self.row_count(t) for t in TABLES},
            "parts": {t: [p.to_json() for p in self.sorted_parts(t)] for t in TABLES},
            "block_hashes": sorted(self.block_hashes),
            "origins": self.origins,
        }

    @property
    def fingerprint(self) -> str:
        """The data's identity (see the module docstring): independent of ingest history."""
        data = {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "network": self.network,
            "row_counts": {t: self.row_count(t) for t in TABLES},
            "unresolved_inputs": self.unresolved_inputs(),
            "block_hashes": sorted(self.block_hashes),
        }
        return _sha256_json(data)

    @property
    def digest(self) -> str:
        """sha256 over the whole manifest content (parts, generation, origins)."""
        return _sha256_json(self.content())

    def to_json(self) -> str:
        data = self.content()
        data["fingerprint"] = self.fingerprint
        data["digest"] = self.digest
        return json.dumps(data, sort_keys=True, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError("not a ledgerhound manifest")
            if data["schema_version"] != SCHEMA_VERSION:
                raise StoreError(
                    f"{where}: store schema version {data['schema_version']} is not supported "
                    f"(this ledgerhound reads version {SCHEMA_VERSION})",
                    path=str(where),
                )
            parts = {t: [Part(**p) for p in data["parts"].get(t, [])] for t in TABLES}
            manifest = cls(
                network=data["network"],
                generation=data["generation"],
                parts=parts,
                block_hashes=set(data["block_hashes"]),
                origins=data["origins"],
                addresses_epoch=data["addresses_epoch"],
                address_key_max=data["address_key_max"],
            )
        except StoreError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"{where}: unreadable store manifest ({exc})", path=str(where)
            ) from None
        if "digest" not in data:  # written before the fingerprint named the data alone
            intact = data.get("fingerprint") == manifest.digest
        else:
            intact = data["digest"] == manifest.digest
            intact = intact and data.get("fingerprint") == manifest.fingerprint
        if not intact:
            raise StoreError(
                f"{where}: manifest fingerprint does not match its content (edited or corrupt)",
                path=str(where),
            )
        return manifest


def _sha256_json(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def load(root: Path) -> Manifest | None:
    """The committed manifest, or ``None`` for a store that has never been written."""
    path = root / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}", path=str(path)) from None
    return Manifest.from_json(text, path)


def save(root: Path, manifest: Manifest) -> None:
    """Commit: write a tmp file, fsync it, ``os.replace`` it over manifest.json, fsync the dir."""
    tmp = root / (MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(manifest.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / MANIFEST)
    fsync_dir(root)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
