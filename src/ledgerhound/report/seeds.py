"""Where an investigation starts: the given seed addresses, or those published in posts.

Addresses from posts are taken through the OSINT intake (checksummed, with the post they came
from); solicitation posts come first, then the score, then the address, so the order and thus the
report are stable. Only addresses the store holds can be traced; the others are listed as such.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledgerhound.errors import InvalidInputError, NotFoundError


def _relative(file: str, base: Path) -> str:
    """A source path relative to the posts folder, so reports do not depend on where it lives."""
    try:
        return Path(file).resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return Path(file).name


def from_posts(posts: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Seed candidates from posts, solicitation ones first; plus the intake's summary."""
    from ledgerhound.osint import extract

    if not posts.exists():
        raise InvalidInputError(f"{posts}: no such file or folder")
    doc = extract([str(posts)])
    base = posts if posts.is_dir() else posts.parent
    best: dict[str, dict[str, Any]] = {}
    for item in doc["items"]:
        if not item.get("valid"):
            continue
        src = item.get("source") or {}
        row = {
            "address": item["address"],
            "origin": "posts",
            "chain": item.get("chain"),
            "solicitation": bool(item.get("solicitation")),
            "score": int(item.get("score") or 0),
            "source_file": _relative(src.get("file", ""), base),
            "message_id": src.get("message_id"),
            "chat": src.get("chat"),
            "date": item.get("date"),
            "context": item.get("context") or "",
        }
        old = best.get(row["address"])
        if old is None or _rank(row) < _rank(old):
            best[row["address"]] = row
    return sorted(best.values(), key=_rank), doc["summary"]


def _rank(row: dict[str, Any]) -> tuple:
    return (not row["solicitation"], -row["score"], row["address"], row["source_file"],
            str(row["message_id"]))  # fmt: skip


def given(addresses: list[str]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for a in addresses:
        a = a.strip()
        if a and a not in seen:
            seen[a] = {"address": a, "origin": "given"}
    return list(seen.values())


def resolve(index: dict[str, int], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark which seeds the store holds; fail when none does (nothing to investigate)."""
    for row in rows:
        row["in_store"] = row["address"] in index
    if not any(r["in_store"] for r in rows):
        raise NotFoundError("none of the seed addresses occurs in the store's transactions")
    return rows
