"""Append-only, hash-chained audit log of every command run against a case.

Why a hash chain: each entry carries the SHA-256 of the previous entry, so editing, reordering or
deleting any entry breaks every later link and :func:`verify` names the first broken one. The
head hash is also kept in ``case.json``, so truncating the tail is detected too. Wall-clock
times belong here (when, who), never in the reproducible report.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledgerhound.errors import CorruptDataError

LOG_FILE = "audit.jsonl"
GENESIS = "0" * 64


def canonical(data: Any) -> str:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def _who() -> str:
    try:
        return os.environ.get("LEDGERHOUND_USER") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "unknown"


def read_log(case_dir: Path) -> list[dict[str, Any]]:
    path = case_dir / LOG_FILE
    if not path.exists():
        return []
    entries = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            raise CorruptDataError(f"{path}:{n}: audit entry is not JSON", line=n) from None
    return entries


def append(
    case_dir: Path, command: str, parameters: dict[str, Any], result: Any = None
) -> dict[str, Any]:
    """Add one entry (when, who, command, parameters, result fingerprint) and return it."""
    entries = read_log(case_dir)
    prev = entries[-1]["hash"] if entries else GENESIS
    entry: dict[str, Any] = {
        "seq": len(entries) + 1,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "user": _who(),
        "command": command,
        "parameters": parameters,
        "result_sha256": hashlib.sha256(canonical(result).encode("utf-8")).hexdigest(),
        "prev": prev,
    }
    entry["hash"] = entry_hash(entry)
    with (case_dir / LOG_FILE).open("a", encoding="utf-8") as fh:
        fh.write(canonical(entry) + "\n")
    return entry


def verify_entries(entries: list[dict[str, Any]], head: str | None = None) -> dict[str, Any]:
    """Check every link; ``head`` (from case.json) also catches a truncated tail."""
    prev = GENESIS
    for n, entry in enumerate(entries, 1):
        problem = None
        if entry.get("seq") != n:
            problem = f"entry {n}: sequence number {entry.get('seq')!r}, expected {n}"
        elif entry.get("prev") != prev:
            problem = f"entry {n}: previous-hash link broken (entry removed or reordered)"
        elif entry_hash(entry) != entry.get("hash"):
            problem = f"entry {n}: content does not match its hash (entry edited)"
        if problem:
            return {"ok": False, "entries": len(entries), "first_bad": n, "problem": problem}
        prev = entry["hash"]
    if head is not None and head != prev:
        return {
            "ok": False,
            "entries": len(entries),
            "first_bad": len(entries) + 1,
            "problem": "log head differs from the case record (entries removed at the end)",
        }
    return {"ok": True, "entries": len(entries), "head": prev}
