"""``ledgerhound trace|path|screen`` over a simulated scenario with imported intel."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tracecli")
    scenario, store = root / "scenario", root / "store"
    assert run_cli("simulate", "--seed", "3", "--out", scenario, "--size", "small").exit_code == 0
    assert run_cli("ingest", "blocks", scenario / "blocks", store=store).exit_code == 0
    assert run_cli("cluster", "build", store=store).exit_code == 0
    intel = scenario / "intel"
    assert (
        run_cli("tags", "import", intel / "tagpack.yaml", intel / "sdn.xml", store=store).exit_code
        == 0
    )
    return scenario, store


def _donation(scenario: Path) -> dict:
    with open(scenario / "truth" / "donations.csv", newline="") as fh:
        return next(csv.DictReader(fh))


def test_trace_json_contract_graphml_and_determinism(case, tmp_path):
    scenario, store = case
    d = _donation(scenario)
    seed = f"{d['txid']}:{d['vout']}"
    graphml = tmp_path / "flows.graphml"
    args = ("trace", seed, "--hops", "8", "--json")
    first = run_cli(*args, "--format", "graphml", "--out", graphml, store=store)
    assert first.exit_code == 0, first.stderr
    doc = first.json
    assert doc["parameters"]["policy"] == "haircut" and doc["heuristic"] is True
    assert doc["data_fingerprint"] == run_cli("stats", "--json", store=store).json["fingerprint"]
    assert doc["totals"]["seed_value"] == int(d["sats"])
    for endpoint in doc["endpoints"]:
        assert {"address", "cluster_id", "value", "hops", "stop_reason", "tags"} <= set(endpoint)
        if endpoint["stop_reason"] == "service":  # stopped by a tag on it or on its cluster
            assert endpoint["tags"] and {t["via"] for t in endpoint["tags"]} <= {
                "address",
                "cluster",
            }
    assert sum(e["value"] for e in doc["endpoints"]) <= int(d["sats"])
    nodes = [n for n in ET.parse(graphml).iter() if n.tag.endswith("node")]
    assert nodes
    again = run_cli(*args, store=store)
    assert again.stdout == run_cli(*args, store=store).stdout  # byte-identical answers


def test_policies_and_backward_direction(case):
    scenario, store = case
    d = _donation(scenario)
    seed = f"{d['txid']}:{d['vout']}"
    for policy in ("poison", "haircut", "fifo"):
        doc = run_cli("trace", seed, "--policy", policy, "--json", store=store).json
        assert doc["parameters"]["policy"] == policy
    back = run_cli("trace", d["address"], "--direction", "backward", "--hops", "2", "--json",
                   store=store).json  # fmt: skip
    assert back["parameters"]["direction"] == "backward" and back["endpoints"]


def test_screen_sanctioned_address_is_severe(case, tmp_path):
    scenario, store = case
    sanctioned = re.findall(
        r"<idNumber>([^<]+)</idNumber>", (scenario / "intel" / "sdn.xml").read_text()
    )
    listing = tmp_path / "addresses.txt"
    listing.write_text(sanctioned[0] + "\n")
    result = run_cli("screen", "--file", listing, "--json", store=store)
    assert result.exit_code == 0, result.stderr
    [row] = result.json["results"]
    assert row["severity"] == "severe" and "sanction" in row["own_categories"]


def test_path_between_a_donation_and_where_it_went(case):
    scenario, store = case
    d = _donation(scenario)
    seed = f"{d['txid']}:{d['vout']}"
    doc = run_cli("trace", seed, "--hops", "8", "--json", store=store).json
    reached = max((e for e in doc["endpoints"] if e["address"]), key=lambda e: e["value"])
    found = run_cli("path", seed, reached["address"], "--hops", "8", "--json", store=store)
    assert found.exit_code == 0, found.stderr
    assert found.json["paths"]


def test_trace_errors_are_one_line(case):
    _, store = case
    unknown = run_cli("trace", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", store=store)
    assert unknown.exit_code == 3 and unknown.stderr.count("\n") == 1
    bad = run_cli("trace", "cluster:1", "--policy", "magic", store=store)
    assert bad.exit_code == 4
    assert bad.stderr == "ledgerhound: error: policy must be poison, haircut or fifo, not 'magic'\n"


def test_tracing_from_a_service_address_warns(case):
    scenario, store = case
    exchange = re.findall(r"- address: (\S+)", (scenario / "intel" / "tagpack.yaml").read_text())
    doc = None
    for address in exchange:
        result = run_cli("trace", address, "--hops", "1", "--json", store=store)
        if result.exit_code == 0:
            doc = result.json
            break
    assert doc is not None
    assert doc["warnings"] and "attributed to a service (exchange)" in doc["warnings"][0]


def test_session_caches_graph_and_cluster_labels(case):
    import numpy as np

    from ledgerhound.store import Store
    from ledgerhound.trace.session import GRAPH_DIR, open_session

    _, store_dir = case
    first = open_session(Store(store_dir))
    cached = list((store_dir / GRAPH_DIR).glob("clusters-*.npy"))
    assert len(cached) == 1
    second = open_session(Store(store_dir))
    assert np.array_equal(np.asarray(first.labels.clusters), np.asarray(second.labels.clusters))
    assert first.labels.categories == second.labels.categories
