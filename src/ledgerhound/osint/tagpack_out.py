"""Findings as a GraphSense TagPack (YAML), so other tools can import what was seen where.

Every tag is ``confidence: web_crawl`` (20 of 100 in the GraphSense scale) and ``tag_type:
mention``: a post showing an address is evidence that someone *published* it, not that they
control it. The post (URL, or file plus message id / line) is the tag's ``source``; the
solicitation verdict and its cues go in ``context``. No ``abuse`` category is asserted.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ledgerhound import __version__
from ledgerhound.errors import InvalidInputError

LABEL_SOLICITATION = "osint: address in a solicitation post"
LABEL_STOREFRONT = "osint: address on a suspected scam storefront"
LABEL_MENTION = "osint: address mentioned in a post"


def to_tagpack(result: dict[str, Any], title: str = "ledgerhound osint extract") -> dict[str, Any]:
    """One tag per distinct (address, network, label, source): the TagPack duplicate key."""
    tags: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for item in result["items"]:
        verdict = result["sources"][item["post"]]
        tag = _tag(item, verdict)
        key = (tag["address"], tag["network"], tag["label"], tag["source"])
        tags.setdefault(key, tag)
    return {
        "title": title,
        "creator": f"ledgerhound {__version__}",
        "description": "Addresses extracted from open sources by ledgerhound osint extract; "
        "checksum-validated; solicitation verdicts are heuristic (see context.cues).",
        "is_public": False,
        "confidence": "web_crawl",
        "tag_type": "mention",
        "tags": list(tags.values()),
    }


def _tag(item: dict[str, Any], verdict: dict[str, Any]) -> dict[str, Any]:
    if verdict["solicitation"]:
        label = LABEL_SOLICITATION
    elif verdict["scam_storefront"]:
        label = LABEL_STOREFRONT
    else:
        label = LABEL_MENTION
    context = {
        "solicitation": verdict["solicitation"],
        "score": verdict["score"],
        "cues": verdict["cues"],
        "scam_indicators": verdict["scam_indicators"],
        "author": item["author"],
        "date": item["date"],
        "as_found": item["as_found"],
    }
    tag: dict[str, Any] = {
        "address": item["address"],
        "currency": "BTC" if item["chain"].startswith("BTC") else item["chain"],
        "network": item["chain"],
        "label": label,
        "source": _source(item),
        "context": json.dumps(context, ensure_ascii=False, sort_keys=True),
    }
    lastmod = str(item["date"] or "")[:10]
    if len(lastmod) == 10 and lastmod[4] == "-" and lastmod[7] == "-":
        tag["lastmod"] = lastmod
    return tag


def _source(item: dict[str, Any]) -> str:
    if item["url"]:
        return str(item["url"])
    src = item["source"]
    parts = [f"{key}={src[key]}" for key in ("message_id", "post_id", "line") if key in src]
    return str(src["file"]) + ("#" + "&".join(parts) if parts else "")


def write_tagpack(result: dict[str, Any], out: Path) -> int:
    """Write atomically (temp file + rename): never a half-written pack. Returns the tag count."""
    pack = to_tagpack(result)
    text = yaml.safe_dump(pack, sort_keys=False, allow_unicode=True, width=100)
    directory = out.parent if str(out.parent) else Path(".")
    if not directory.is_dir():
        raise InvalidInputError(f"{out}: directory {directory} does not exist", file=str(out))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(pack["tags"])
