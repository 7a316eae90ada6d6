"""GraphSense TagPack YAML: read with validation (errors by file and line), and write.

Schema: graphsense-lib ``tagpack/conf/tagpack_schema.yaml``. Header fields are inherited by every
tag; ``label``, ``source``, ``currency`` and ``confidence`` are mandatory per tag after
inheritance; ``address`` and ``tx_hash`` are mutually exclusive (tx tags are skipped with a note:
ledgerhound attributes addresses). Older public packs omit ``confidence``; the caller chooses the
default (``unknown`` unless told otherwise) and each such pack is reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ledgerhound.attribution.tag import Tag, check_address, normalize_address
from ledgerhound.attribution.taxonomy import CONCEPTS, CONFIDENCE_LEVELS
from ledgerhound.errors import InvalidInputError

HEADER_ONLY = {"title", "creator", "description", "owner", "is_public", "tags"}
TAG_FIELDS = {
    "label", "source", "currency", "network", "confidence", "context", "is_cluster_definer",
    "lastmod", "category", "abuse", "address", "tx_hash", "actor", "concepts", "tag_type",
}  # fmt: skip


@dataclass
class TagPackResult:
    tags: list[Tag] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file:line: message", not fatal
    title: str = ""


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present
    """Safe loader that records the 1-based line of every mapping as ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_tagpack(
    path: Path, default_confidence: str = "unknown", network: str = "mainnet"
) -> TagPackResult:
    """Read one TagPack; raise InvalidInputError ``file:line: ...`` on a malformed pack."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: cannot read TagPack: {exc}", file=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InvalidInputError(f"{where}: not valid YAML ({exc})", file=str(path)) from None
    if not isinstance(doc, dict):
        raise InvalidInputError(f"{path}:1: a TagPack must be a YAML mapping", file=str(path))
    for key in ("title", "creator", "tags"):
        if key not in doc:
            raise InvalidInputError(f"{path}:1: TagPack header lacks mandatory {key!r}")
    if not isinstance(doc["tags"], list):
        raise InvalidInputError(f"{path}:{doc['__line__']}: 'tags' must be a list")
    header = {k: v for k, v in doc.items() if k not in HEADER_ONLY and k != "__line__"}
    result = TagPackResult(title=str(doc["title"]))
    if "confidence" not in header and any("confidence" not in t for t in doc["tags"]):
        result.problems.append(f"{path}: confidence missing; defaulted to {default_confidence!r}")
        header["confidence"] = default_confidence
    for item in doc["tags"]:
        tag = _read_tag(path, header, item, result, network)
        if tag is not None:
            result.tags.append(tag)
    return result


def _fail(path: Path, line: int, message: str) -> InvalidInputError:
    return InvalidInputError(f"{path}:{line}: {message}", file=str(path), line=line)


def _read_tag(
    path: Path, header: dict, item: Any, result: TagPackResult, network: str
) -> Tag | None:
    if not isinstance(item, dict):
        raise _fail(path, 0, f"tag must be a mapping, got {type(item).__name__}")
    line = item.get("__line__", 0)
    merged = {**header, **{k: v for k, v in item.items() if k != "__line__"}}
    unknown = sorted(set(merged) - TAG_FIELDS - {"lastmod", "__line__"})
    if unknown:
        result.problems.append(f"{path}:{line}: unknown field(s) ignored: {', '.join(unknown)}")
    if ("address" in merged) == ("tx_hash" in merged):
        raise _fail(path, line, "a tag needs exactly one of 'address' and 'tx_hash'")
    if "tx_hash" in merged:
        result.problems.append(f"{path}:{line}: transaction tag skipped (address tags only)")
        return None
    for key in ("label", "source", "currency", "confidence"):
        if merged.get(key) in (None, ""):
            raise _fail(path, line, f"tag lacks mandatory {key!r}")
    confidence = str(merged["confidence"]).strip()
    if confidence not in CONFIDENCE_LEVELS:
        raise _fail(path, line, f"unknown confidence {confidence!r}")
    concepts = _concepts(path, line, merged)
    currency = str(merged["currency"]).strip().upper()
    address = normalize_address(str(merged["address"]))
    valid, reason = check_address(currency, address, network)
    if valid is False:
        result.problems.append(f"{path}:{line}: invalid {currency} address {address}: {reason}")
    return Tag(
        address=address, currency=currency, label=str(merged["label"]).strip(),
        source=str(merged["source"]).strip(), confidence=confidence,
        category=merged.get("category"), abuse=merged.get("abuse"), concepts=concepts,
        actor=merged.get("actor"), is_cluster_definer=bool(merged.get("is_cluster_definer")),
        lastmod=str(merged["lastmod"]) if merged.get("lastmod") else None,
        context=_context(merged.get("context")), tagpack=str(path), line=line,
        valid=valid, invalid_reason=reason,
    )  # fmt: skip


def _concepts(path: Path, line: int, merged: dict) -> tuple[str, ...]:
    named = [merged.get("category"), merged.get("abuse"), *(merged.get("concepts") or [])]
    for concept in named:
        if concept is not None and concept not in CONCEPTS:
            raise _fail(path, line, f"unknown concept {concept!r} (not in the concept taxonomy)")
    return tuple(merged.get("concepts") or ())


def _context(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    import json

    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def write_tagpack(
    tags: Iterable[Tag], out: Path, title: str, creator: str, description: str = ""
) -> int:
    """Write ``tags`` as a valid TagPack (fields common to all tags lifted into the header)."""
    rows = [_tag_fields(t) for t in sorted(tags, key=lambda t: (t.address, t.label, t.source))]
    common = {}
    if rows:
        common = {k: v for k, v in rows[0].items() if k != "address" and all(
            r.get(k) == v for r in rows)}  # fmt: skip
    doc: dict[str, Any] = {"title": title, "creator": creator}
    if description:
        doc["description"] = description
    doc.update(common)
    doc["tags"] = [{k: v for k, v in r.items() if k not in common} for r in rows]
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    out.write_text(text, encoding="utf-8")
    return len(rows)


def _tag_fields(tag: Tag) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "address": tag.address, "currency": tag.currency, "label": tag.label,
        "source": tag.source, "confidence": tag.confidence,
    }  # fmt: skip
    optional = {
        "category": tag.category, "abuse": tag.abuse, "actor": tag.actor,
        "lastmod": tag.lastmod, "context": tag.context,
        "concepts": list(tag.concepts) or None,
        "is_cluster_definer": tag.is_cluster_definer or None,
    }  # fmt: skip
    fields.update({k: v for k, v in optional.items() if v is not None})
    return fields
