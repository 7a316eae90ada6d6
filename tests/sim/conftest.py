"""One small simulated scenario per test session (generation takes about a second)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerhound.sim.scenario import Options, simulate


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "scenario"
    simulate(Options(seed=11, out=out, size=3000, xor=True))
    return out
