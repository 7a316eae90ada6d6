"""One entry point for every tag source: TagPack YAML, OFAC SDN XML, plain address lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ledgerhound.attribution import tagstore
from ledgerhound.attribution.addresslist import read_address_list
from ledgerhound.attribution.ofac import sdn_tags
from ledgerhound.attribution.tag import Tag
from ledgerhound.attribution.tagpack import read_tagpack
from ledgerhound.errors import InvalidInputError

FORMATS = ("auto", "tagpack", "ofac", "list")


@dataclass
class ListFields:
    """What a plain address list cannot say about itself."""

    label: str | None = None
    category: str | None = None
    source: str | None = None
    confidence: str = "unknown"
    currency: str = "BTC"


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    imported: int = 0
    invalid: int = 0
    total: int = 0
    problems: list[str] = field(default_factory=list)


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "tagpack"
    if suffix == ".xml":
        return "ofac"
    return "list"


def read_tags(
    path: Path, fmt: str = "auto", fields: ListFields | None = None,
    default_confidence: str = "unknown", network: str = "mainnet",
) -> tuple[list[Tag], list[str]]:  # fmt: skip
    """Tags and non-fatal problems from one file; malformed files raise InvalidInputError."""
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file", file=str(path))
    kind = detect_format(path) if fmt == "auto" else fmt
    if kind == "tagpack":
        result = read_tagpack(path, default_confidence, network)
        return result.tags, result.problems
    if kind == "ofac":
        return sdn_tags(path, network)
    f = fields or ListFields()
    missing = [n for n in ("label", "category", "source") if getattr(f, n) is None]
    if missing:
        flags = " ".join(f"--{n}" for n in missing)
        raise InvalidInputError(f"{path}: a plain address list needs {flags}", file=str(path))
    return read_address_list(
        path, label=f.label, category=f.category, source=f.source,
        confidence=f.confidence, currency=f.currency, network=network,
    )  # fmt: skip


def import_files(
    store: Path, paths: list[Path], fmt: str = "auto", fields: ListFields | None = None,
    default_confidence: str = "unknown",
) -> ImportReport:  # fmt: skip
    """Read every file first (all-or-nothing), then replace their tags in the store at once.

    Bitcoin addresses are checked against the store's network (mainnet before any ingest).
    """
    report = ImportReport()
    network = store_network(store)
    tags: list[Tag] = []
    for path in paths:
        got, problems = read_tags(path, fmt, fields, default_confidence, network)
        tags.extend(got)
        report.problems.extend(problems)
        report.files.append(str(path))
    saved = tagstore.save_tags(store, tags)
    report.imported = saved["imported"]
    report.total = saved["total"]
    report.invalid = sum(1 for t in tags if t.valid is False)
    return report


def store_network(store: Path) -> str:
    """The network of the chain store at ``store`` (its manifest), or mainnet if there is none."""
    import json

    manifest = store / "manifest.json"
    if manifest.exists():
        return json.loads(manifest.read_text()).get("network") or "mainnet"
    return "mainnet"
