"""Persistent cases: seeds, notes, findings and seized-asset records, one folder per case.

A case lives in ``<store>/cases/<name>/`` as ``case.json`` plus the audit log. Every change goes
through :func:`record`, which writes the case and appends an audit entry in one step, so the log
covers everything done to the case. Names are restricted so that no path can leave the folder.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledgerhound.cases import audit
from ledgerhound.errors import ConflictError, InvalidInputError, NotFoundError
from ledgerhound.store import layout

CASES_DIR = layout.CASES
CASE_FILE = "case.json"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Kinds of seized assets, as in the 2020 seizures (accounts, domains, social pages).
SEIZURE_KINDS = ("crypto_account", "website", "social_page", "other")


def cases_root(store_root: Path) -> Path:
    return layout.cases_dir(store_root)


def check_name(name: str) -> str:
    if not NAME_RE.match(name) or ".." in name:
        raise InvalidInputError(
            f"case name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    return name


def case_dir(store_root: Path, name: str) -> Path:
    return cases_root(store_root) / check_name(name)


def load(store_root: Path, name: str) -> dict[str, Any]:
    path = case_dir(store_root, name) / CASE_FILE
    if not path.exists():
        raise NotFoundError(f"no case named {name!r} (create it with: ledgerhound case new)")
    return json.loads(path.read_text(encoding="utf-8"))


def _save(store_root: Path, case: dict[str, Any]) -> None:
    path = case_dir(store_root, case["name"]) / CASE_FILE
    path.write_text(json.dumps(case, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def record(store_root: Path, case: dict[str, Any], command: str, params: dict[str, Any]) -> dict:
    """Save ``case`` and log ``command``; the entry's hash becomes the case's audit head."""
    folder = case_dir(store_root, case["name"])
    entry = audit.append(folder, command, params, {k: v for k, v in case.items() if k != "audit"})
    case["audit"] = {"entries": entry["seq"], "head": entry["hash"]}
    _save(store_root, case)
    return entry


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new(store_root: Path, name: str, title: str = "") -> dict[str, Any]:
    folder = case_dir(store_root, name)
    if (folder / CASE_FILE).exists():
        raise ConflictError(f"case {name!r} already exists")
    folder.mkdir(parents=True, exist_ok=True)
    case = {
        "name": name,
        "title": title,
        "created": now(),
        "seeds": [],
        "notes": [],
        "findings": [],
        "seizures": [],
        "reports": [],
    }
    record(store_root, case, "case new", {"name": name, "title": title})
    return case


def list_cases(store_root: Path) -> list[dict[str, Any]]:
    root = cases_root(store_root)
    if not root.is_dir():
        return []
    rows = []
    for path in sorted(root.glob(f"*/{CASE_FILE}")):
        case = json.loads(path.read_text(encoding="utf-8"))
        rows.append(
            {
                "name": case["name"],
                "title": case.get("title", ""),
                "seeds": len(case["seeds"]),
                "seizures": len(case["seizures"]),
                "reports": len(case.get("reports", [])),
            }
        )
    return rows


def add_seed(store_root: Path, name: str, address: str, source: str = "") -> dict[str, Any]:
    case = load(store_root, name)
    if any(s["address"] == address for s in case["seeds"]):
        raise ConflictError(f"{address} is already a seed of case {name!r}")
    case["seeds"].append({"address": address, "source": source, "added": now()})
    record(store_root, case, "case add-seed", {"address": address, "source": source})
    return case


def note(store_root: Path, name: str, text: str) -> dict[str, Any]:
    case = load(store_root, name)
    case["notes"].append({"text": text, "time": now()})
    record(store_root, case, "case note", {"text": text})
    return case


def seize(store_root: Path, name: str, kind: str, ref: str, detail: str = "") -> dict[str, Any]:
    """Record a seized asset (an exchange account, a website, a social-media page)."""
    if kind not in SEIZURE_KINDS:
        raise InvalidInputError(f"seizure kind must be one of {', '.join(SEIZURE_KINDS)}")
    case = load(store_root, name)
    case["seizures"].append({"kind": kind, "ref": ref, "detail": detail, "time": now()})
    record(store_root, case, "case seize", {"kind": kind, "ref": ref, "detail": detail})
    return case


def verify(store_root: Path, name: str) -> dict[str, Any]:
    case = load(store_root, name)
    head = (case.get("audit") or {}).get("head")
    result = audit.verify_entries(audit.read_log(case_dir(store_root, name)), head)
    return {"case": name, **result}


def export(store_root: Path, name: str) -> dict[str, Any]:
    """The whole case with its audit log and the verification verdict, as one JSON document."""
    case = load(store_root, name)
    return {
        "case": case,
        "audit_log": audit.read_log(case_dir(store_root, name)),
        "verification": verify(store_root, name),
    }
