"""One simulated case (seed 1, small), ingested, clustered and tagged once per test session."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_cli


@dataclass
class SimCase:
    scenario: Path
    store: Path

    def truth(self, name: str) -> list[dict[str, str]]:
        with (self.scenario / "truth" / f"{name}.csv").open() as fh:
            return list(csv.DictReader(fh))

    def entity_of(self) -> dict[str, dict[str, str]]:
        return {r["address"]: r for r in self.truth("addresses")}


@pytest.fixture(scope="session")
def sim_case(tmp_path_factory) -> SimCase:
    root = tmp_path_factory.mktemp("simcase")
    scenario, store = root / "case", root / "store"
    steps = [
        (["simulate", "--seed", "1", "--size", "small", "--out", scenario], None),
        (["ingest", "blocks", scenario / "blocks"], store),
        (["cluster", "build"], store),
        (
            ["tags", "import", scenario / "intel" / "tagpack.yaml", scenario / "intel" / "sdn.xml"],
            store,
        ),
    ]
    for args, st in steps:
        r = run_cli(*args, store=st)
        assert r.exit_code == 0, r.stderr
    return SimCase(scenario, store)
