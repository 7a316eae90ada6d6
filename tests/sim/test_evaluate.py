"""Metric helpers: a perfect answer scores 1.0, a wrong one lower; the metric registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.sim import evaluate as ev
from ledgerhound.sources.blkfiles import read_block_batches
from ledgerhound.store import Store


def test_set_scores_perfect_and_wrong():
    assert ev.set_scores({1, 2, 3}, {1, 2, 3})["f1"] == 1.0
    s = ev.set_scores({1, 2, 3}, {1, 2, 4, 5})
    assert s["precision"] == 0.5 and s["recall"] == pytest.approx(2 / 3) and s["f1"] < 1
    assert (s["tp"], s["fp"], s["fn"]) == (2, 2, 1)
    assert ev.set_scores(set(), set())["f1"] == 1.0
    assert ev.set_scores({1}, set())["recall"] == 0.0


TRUTH = {"a": "E1", "b": "E1", "c": "E1", "d": "E2", "e": "E2", "f": "E3"}


def test_pairwise_perfect_merge_and_split():
    perfect = {k: {"E1": 7, "E2": 8, "E3": 9}[v] for k, v in TRUTH.items()}
    assert ev.pairwise_scores(TRUTH, perfect)["f1"] == 1.0
    merged = dict(perfect, d=7, e=7)  # a false merge of E1 and E2
    m = ev.pairwise_scores(TRUTH, merged)
    assert m["recall"] == 1.0 and m["precision"] < 1.0
    split = {"a": 1, "b": 1, "c": 2, "d": 3, "e": 3}  # E1 split; f unclustered
    s = ev.pairwise_scores(TRUTH, split)
    assert s["precision"] == 1.0 and s["recall"] == pytest.approx(2 / 4)
    assert ev.false_merges(TRUTH, merged) == [{"cluster": "7", "entities": {"E1": 3, "E2": 2}}]
    assert ev.false_merges(TRUTH, perfect) == []


@given(st.dictionaries(st.integers(0, 50), st.integers(0, 5), min_size=1), st.integers(1, 1000))
def test_pairwise_is_invariant_to_cluster_names(truth, shift):
    renamed = {k: v * 7 + shift for k, v in truth.items()}
    scores = ev.pairwise_scores(truth, renamed)
    assert scores["precision"] == scores["recall"] == 1.0


@given(st.dictionaries(st.integers(0, 30), st.integers(0, 4), min_size=2))
def test_everything_in_one_cluster_has_full_recall(truth):
    scores = ev.pairwise_scores(truth, dict.fromkeys(truth, 0))
    assert scores["recall"] == 1.0
    assert scores["precision"] <= 1.0


def test_registry_rejects_duplicate_names():
    @ev.metric("test_only_metric")
    def first(ctx):
        return {"score": 1.0}

    try:
        with pytest.raises(ValueError):
            ev.metric("test_only_metric")(lambda ctx: None)
    finally:
        del ev.METRICS["test_only_metric"]


def test_ingest_fidelity_drops_when_blocks_are_missing(scenario: Path, tmp_path: Path):
    store = Store(tmp_path / "partial")
    store.ingest(read_block_batches([scenario / "blocks" / "blk00000.dat"], network="regtest"))
    result = ev.ingest_fidelity(ev.EvalContext(scenario, store))
    assert result["score"] < 1.0 and not result["tip_hash_matches"]
    full = Store(tmp_path / "full")
    full.ingest(read_block_batches([scenario / "blocks"]))
    assert ev.ingest_fidelity(ev.EvalContext(scenario, full))["score"] == 1.0


def test_accuracy_page_tabulates_every_numeric_leaf():
    from ledgerhound.sim.accuracy import render

    reports = [
        {"seed": 1, "metrics": {"m": {"score": 1.0, "n": {"a": 2}, "ok": True, "note": "x"}}},
        {"seed": 2, "metrics": {"m": {"score": 0.5, "n": {"a": 4}, "ok": False}}},
    ]
    page = render("small", reports)
    assert "| score | 1.0000 | 0.5000 | 0.7500 |" in page
    assert "| n.a | 2 | 4 | 3.0 |" in page
    assert "| ok | yes | no |  |" in page and "note" not in page


def test_a_failing_metric_is_reported_not_fatal(scenario: Path):
    from tests.conftest import run_cli

    @ev.metric("test_broken_metric")
    def broken(ctx):
        raise RuntimeError("boom")

    try:
        report = ev.evaluate(scenario, ["ingest_fidelity", "test_broken_metric"])
        assert report["failed"] == ["test_broken_metric"]
        assert report["metrics"]["test_broken_metric"]["error"] == "RuntimeError: boom"
        assert report["metrics"]["ingest_fidelity"]["score"] == 1.0
        res = run_cli("evaluate", scenario, "--metric", "test_broken_metric")
        assert res.exit_code == 1 and "metrics failed: test_broken_metric" in res.stderr
    finally:
        del ev.METRICS["test_broken_metric"]
