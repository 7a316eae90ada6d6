"""Loading the Bitcoin Core / BIP vectors copied into tests/data/vectors (see its PROVENANCE.md)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors"
BLOCK_413567 = Path(__file__).resolve().parents[1] / "data" / "bitcoin" / "block413567.raw"


@cache
def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


def tx_rows(name: str) -> list[list[Any]]:
    """Test rows of tx_valid.json / tx_invalid.json (comment rows are 1-element string lists)."""
    return [row for row in load(name) if isinstance(row[0], list)]
