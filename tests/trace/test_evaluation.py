"""The `tracing` evaluate metric on a real simulated scenario (blk files -> store -> trace)."""

from __future__ import annotations

import pytest

from ledgerhound.sim.evaluate import evaluate
from ledgerhound.sim.scenario import Options, simulate


@pytest.mark.slow
def test_tracing_metric_on_small_scenario(tmp_path):
    simulate(Options(seed=5, out=tmp_path / "scn", size=3000))
    report = evaluate(tmp_path / "scn", only=["tracing"])["metrics"]["tracing"]
    if report.get("status") == "not available yet":
        pytest.skip("this scenario has no campaign cash-outs")
    for policy in ("haircut", "fifo", "poison"):
        r = report[policy]
        assert r["per_service"], policy
        assert r["over_attributed_sats"] == 0
    # haircut must meet the goal: <= 1 % relative error per service
    assert all(row["relative_error"] <= 0.01 for row in report["haircut"]["per_service"])
    assert report["score"] >= 0.99
