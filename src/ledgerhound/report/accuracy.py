"""Turn ``docs/accuracy.md`` (written by ``make accuracy``) into the ``data/accuracy.json`` the
report cites as its measured error rates.

Why a shipped file: re-running the evaluation for every report would take minutes; the report
instead quotes the last measured figures, with the seeds they came from and the file's SHA-256.
Run: ``python -m ledgerhound.report.accuracy docs/accuracy.md OUT.json`` (``make accuracy``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

# The figures a reader of a report needs, per method used in it: (section, row) of accuracy.md.
CITED = (
    ("clustering", "pairwise_precision"),
    ("clustering", "pairwise_recall"),
    ("clustering", "false_merges"),
    ("coinjoin_detection", "any_coinjoin.precision"),
    ("coinjoin_detection", "any_coinjoin.recall"),
    ("tracing", "haircut.weighted_relative_error"),
    ("tracing", "haircut.over_attributed_share"),
    ("tracing", "fifo.weighted_relative_error"),
    ("tracing", "poison.over_attributed_share"),
    ("osint", "precision"),
    ("osint", "recall"),
)


def parse_markdown(text: str) -> dict[str, dict[str, dict[str, str]]]:
    """Section -> row -> {column: cell} from the accuracy page's tables."""
    sections: dict[str, dict[str, dict[str, str]]] = {}
    current, header = None, []
    for line in text.splitlines():
        if line.startswith("## "):
            current, header = line[3:].strip(), []
            sections[current] = {}
        elif current and line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not header:
                header = cells
            else:
                sections[current][cells[0]] = dict(zip(header[1:], cells[1:], strict=False))
    return sections


def build(markdown: Path) -> dict[str, Any]:
    data = markdown.read_bytes()
    sections = parse_markdown(data.decode("utf-8"))
    figures = []
    for section, row in CITED:
        cells = sections.get(section, {}).get(row)
        if cells:
            figures.append({"metric": section, "value": row, **cells})
    return {
        "source": "docs/accuracy.md (make accuracy: simulated scenarios, --size small)",
        "source_sha256": hashlib.sha256(data).hexdigest(),
        "note": "measured on simulated ground truth; real-world error rates may be higher",
        "figures": figures,
    }


def bundled() -> dict[str, Any] | None:
    """The shipped figures, or None when no accuracy run has been recorded."""
    try:
        text = resources.files("ledgerhound.report").joinpath("data", "accuracy.json").read_text()
    except (FileNotFoundError, OSError):
        return None
    return json.loads(text)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    src, dst = Path(args[0]), Path(args[1])
    dst.write_text(json.dumps(build(src), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
