"""Fixtures for the OSINT tests: the real OFAC address lists and the labelled corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

OSINT = Path(__file__).parent.parent / "data" / "osint"
OFAC = OSINT / "ofac"
CORPUS = OSINT / "corpus"


def ofac(asset: str) -> list[str]:
    return (OFAC / f"sanctioned_addresses_{asset}.txt").read_text().split()


@pytest.fixture(scope="session")
def labels() -> dict:
    return json.loads((OSINT / "labels.json").read_text(encoding="utf-8"))
