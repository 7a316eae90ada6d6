"""Clustering a simulated chain against its ground truth; incremental equals full; CLI."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ledgerhound.cluster.build import ClusterParams, build, cluster_dir
from ledgerhound.sources.blkfiles import read_block_batches
from ledgerhound.store import Store
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "scenario"
    result = run_cli("simulate", "--seed", "7", "--out", out, "--size", "small")
    assert result.exit_code == 0, result.stderr
    return out


def _labels(store: Store) -> dict[str, int]:
    con = store.connect()
    path = cluster_dir(store.root) / "clusters.parquet"
    rows = con.execute(
        f"SELECT a.address, c.cluster_id FROM read_parquet('{path}') c"
        " JOIN addresses a USING (address_id)"
    ).fetchall()
    return dict(rows)


def _truth(scenario: Path, name: str) -> list[dict]:
    with open(scenario / "truth" / name, newline="") as fh:
        return list(csv.DictReader(fh))


def test_no_false_merges_and_coinjoins_found(scenario, tmp_path):
    store = Store(tmp_path / "store")
    store.ingest(read_block_batches([scenario / "blocks"]))
    meta = build(store)
    assert meta["mode"] == "full (no previous build)"
    wallet = {r["address"]: r["wallet_id"] for r in _truth(scenario, "addresses.csv")}
    members = defaultdict(set)
    for address, cid in _labels(store).items():
        members[cid].add(wallet[address])
    merged = {cid: w for cid, w in members.items() if len(w) > 1}
    assert merged == {}, "a cluster mixes addresses of different true wallets"
    truth_cj = {r["txid"] for r in _truth(scenario, "coinjoins.csv")}
    found = pq.read_table(cluster_dir(store.root) / "coinjoins.parquet").column("txid")
    assert set(found.to_pylist()) <= truth_cj  # no false CoinJoin
    assert meta["coinjoins_excluded"] == len(found)


def test_incremental_build_equals_full_rebuild(scenario, tmp_path):
    batches = list(read_block_batches([scenario / "blocks"], batch_blocks=20))
    store = Store(tmp_path / "store")
    store.ingest(batches[:4])
    first = build(store)
    store.ingest(batches[4:])
    second = build(store)
    assert second["mode"] == "incremental"
    incremental = _labels(store)
    full = build(store, full=True)
    assert full["mode"] == "full (requested)"
    assert _labels(store) == incremental
    assert full["clusters"] == second["clusters"] and first["addresses"] < full["addresses"]


def test_guard_holds_merges_of_large_clusters(scenario, tmp_path):
    store = Store(tmp_path / "store")
    store.ingest(read_block_batches([scenario / "blocks"]))
    loose = build(store, ClusterParams(guard=0))
    strict = build(store, ClusterParams(guard=2))
    assert strict["held_merges"] > 0 and loose["held_merges"] == 0
    assert strict["clusters"] > loose["clusters"]
    held = pq.read_table(cluster_dir(store.root) / "held.parquet").to_pylist()
    assert all(h["size_a"] >= 2 and h["size_b"] >= 2 for h in held)


def test_cli_build_and_show(scenario, tmp_path):
    store = tmp_path / "store"
    assert run_cli("ingest", "blocks", scenario / "blocks", store=store).exit_code == 0
    built = run_cli("cluster", "build", "--json", store=store)
    assert built.exit_code == 0, built.stderr
    assert built.json["method"].startswith("multi-input")
    sizes = Counter(_labels(Store(store)).values())
    cid, size = sizes.most_common(1)[0]
    shown = run_cli("cluster", "show", str(cid), "--limit", "3", "--json", store=store)
    assert shown.exit_code == 0, shown.stderr
    info = shown.json
    assert info["size"] == size and len(info["addresses"]) == min(3, size)
    assert info["balance"] == info["received"] - info["sent"]
    by_address = run_cli("cluster", "show", info["addresses"][0], "--json", store=store)
    assert by_address.json["id"] == cid
    missing = run_cli("cluster", "show", "999999999", store=store)
    assert missing.exit_code == 3
    assert missing.stderr == "ledgerhound: error: no cluster with id 999999999\n"


def test_address_tx_and_export_gain_cluster_tags_and_coinjoin(scenario, tmp_path):
    store = tmp_path / "store"
    run_cli("ingest", "blocks", scenario / "blocks", store=store)
    run_cli("cluster", "build", store=store)
    assert (
        run_cli("tags", "import", scenario / "intel" / "tagpack.yaml", store=store).exit_code == 0
    )
    listed = run_cli("tags", "list", "--json", store=store).json["tags"]
    assert listed and all(t["valid"] for t in listed)  # checked against the store's regtest
    tagged = listed[0]["address"]
    info = run_cli("address", tagged, "--json", store=store)
    assert info.exit_code == 0, info.stderr
    assert info.json["cluster"]["size"] >= 1
    assert any(t["via"] == "address" and t["address"] == tagged for t in info.json["tags"])
    coinjoin_txid = _truth(scenario, "coinjoins.csv")[0]["txid"]
    tx = run_cli("tx", coinjoin_txid, "--json", store=store).json
    expected = _truth(scenario, "coinjoins.csv")[0]["protocol"]
    assert tx["coinjoin"]["protocol"] == expected
    assert tx["change"] is None  # a CoinJoin's "change" is meaningless: never annotated
    with_change = [r for r in _truth(scenario, "transactions.csv") if int(r["change_vout"]) >= 0]
    agree = 0
    for row in with_change[:20]:
        got = run_cli("tx", row["txid"], "--json", store=store).json["change"]
        agree += got is not None and got["index"] == int(row["change_vout"])
    assert agree >= 15  # a heuristic: most, not all, hand-checked against the simulated truth
    out = tmp_path / "addresses.csv"
    assert run_cli("export", "addresses", "--out", out, store=store).exit_code == 0
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(r["cluster_id"] != "" for r in rows)
    labels = _labels(Store(store))
    assert all(int(r["cluster_id"]) == labels[r["address"]] for r in rows)


def test_with_change_is_explicit_recorded_and_adds_merges(scenario, tmp_path):
    store = Store(tmp_path / "store")
    store.ingest(read_block_batches([scenario / "blocks"]))
    plain = build(store)
    merged = build(store, ClusterParams(with_change=True))
    assert "change" not in plain["heuristics"] and "change" in merged["heuristics"]
    assert merged["parameters"]["with_change"] is True
    assert merged["clusters"] <= plain["clusters"]
    again = build(store)  # back to co-spend only: parameters changed, so a full rebuild
    assert again["mode"] == "full (parameters changed)"
    assert again["clusters"] == plain["clusters"]
