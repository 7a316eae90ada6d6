"""Scenario output: determinism, truth consistency, intel and posts, the CLI."""

from __future__ import annotations

import csv
import hashlib
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import yaml

from ledgerhound.errors import InvalidInputError
from ledgerhound.sim.scenario import Options, parse_size, simulate
from ledgerhound.sources.blkfiles import read_block_batches
from ledgerhound.store import Store
from tests.conftest import run_cli


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def rows(scenario: Path, table: str) -> list[dict[str, str]]:
    with open(scenario / "truth" / f"{table}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def store(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = Store(tmp_path_factory.mktemp("store") / "s")
    s.ingest(read_block_batches([scenario / "blocks"]))
    return s


def test_same_seed_same_bytes_other_seed_other_bytes(scenario: Path, tmp_path: Path):
    simulate(Options(seed=11, out=tmp_path / "again", size=3000, xor=True))
    assert digest(tmp_path / "again") == digest(scenario)
    simulate(Options(seed=12, out=tmp_path / "other", size=3000, xor=True))
    other = digest(tmp_path / "other")
    assert other["blocks/blk00000.dat"] != digest(scenario)["blocks/blk00000.dat"]


def test_script_mix_and_behaviours_are_present(scenario: Path):
    types = Counter(r["script_type"] for r in rows(scenario, "addresses"))
    for t in (
        "pubkeyhash",
        "scripthash",
        "witness_v0_keyhash",
        "witness_v0_scripthash",
        "witness_v1_taproot",
        "pubkey",
    ):
        assert types[t] > 0, t
    kinds = Counter(r["kind"] for r in rows(scenario, "transactions"))
    for k in (
        "payment",
        "exchange_sweep",
        "exchange_withdrawal",
        "donation",
        "peel_hop",
        "coinjoin",
        "campaign_cashout",
        "hub_redistribution",
        "broker_deposit",
    ):
        assert kinds[k] > 0, k
    protocols = {r["protocol"] for r in rows(scenario, "coinjoins")}
    assert {"wasabi1", "wasabi2", "whirlpool", "whirlpool_tx0", "joinmarket"} <= protocols


def test_truth_agrees_with_the_chain(scenario: Path, store: Store):
    con = store.connect()
    try:
        txids = {r[0] for r in con.execute("SELECT txid FROM transactions").fetchall()}
        outs = {
            (t, v): (val, a)
            for t, v, val, a in con.execute(
                "SELECT txid, vout, value, address FROM outputs"
            ).fetchall()
        }
        addrs = {r[0] for r in con.execute("SELECT DISTINCT address FROM outputs").fetchall()}
    finally:
        con.close()
    assert {r["txid"] for r in rows(scenario, "transactions")} <= txids
    for r in rows(scenario, "coinjoins"):
        assert r["txid"] in txids
    donations = rows(scenario, "donations")
    assert donations
    for d in donations:
        assert outs[(d["txid"], int(d["vout"]))] == (int(d["sats"]), d["address"])
    truth_addrs = {r["address"] for r in rows(scenario, "addresses")}
    assert addrs - {None} <= truth_addrs
    for r in rows(scenario, "transactions"):  # the true change output belongs to the actor
        if int(r["change_vout"]) >= 0:
            assert (r["txid"], int(r["change_vout"])) in outs


def test_campaign_funds_and_donation_sizes(scenario: Path):
    funds = rows(scenario, "campaign_funds")
    reached = {(f["campaign"], f["service_kind"]) for f in funds}
    assert ("alqassam-2019", "broker") in reached and ("alqassam-2019", "exchange") in reached
    assert any(k == "hub" for _, k in reached)
    cashouts = Counter()
    for c in rows(scenario, "cashouts"):
        cashouts[(c["campaign"], c["service_entity"])] += int(c["sats"])
    assert {(f["campaign"], f["service_entity"]): int(f["sats"]) for f in funds} == dict(cashouts)
    usd = sorted(
        float(d["usd"]) for d in rows(scenario, "donations") if d["channel"] != "storefront"
    )
    assert 100 <= usd[len(usd) // 2] <= 250 and usd[-1] < 2500


def test_intel_tagpack_and_sdn(scenario: Path):
    entity = {r["address"]: r for r in rows(scenario, "addresses")}
    pack = yaml.safe_load((scenario / "intel" / "tagpack.yaml").read_text(encoding="utf-8"))
    assert pack["title"] and pack["creator"] and pack["tags"]
    assert all(entity[t["address"]]["entity_kind"] == "exchange" for t in pack["tags"])
    root = ET.parse(scenario / "intel" / "sdn.xml").getroot()
    ids = [el.text for el in root.iter() if el.tag.endswith("idNumber")]
    xbt = [i for i in ids if not i.startswith("0x")]
    assert xbt and all(entity[a]["entity_id"] == "hub:transfer" for a in xbt)


def test_posts_publish_campaign_addresses_among_decoys(scenario: Path):
    osint = rows(scenario, "osint")
    campaign = {r["address"] for r in osint if r["is_campaign_address"] == "true"}
    decoys = {r["address"] for r in osint if r["is_campaign_address"] == "false"}
    assert campaign and decoys and not campaign & decoys
    texts = ""
    for export in sorted((scenario / "posts" / "telegram").glob("*/result.json")):
        data = json.loads(export.read_text(encoding="utf-8"))
        assert data["type"] == "public_channel" and data["messages"]
        texts += " ".join(m["text"] for m in data["messages"])
        assert (export.parent / "messages.html").is_file()
    texts += "".join(p.read_text(encoding="utf-8") for p in (scenario / "posts" / "web").glob("*"))
    assert all(a in texts for a in campaign | decoys)
    assert any("\u0600" <= ch <= "\u06ff" for ch in texts)  # Arabic text present


def test_parse_size():
    assert parse_size("small") == 3000 and parse_size("25_000") == 25000
    with pytest.raises(InvalidInputError):
        parse_size("huge")
    with pytest.raises(InvalidInputError):
        parse_size("10")


def test_cli_simulate_and_evaluate(tmp_path: Path, scenario: Path):
    out = tmp_path / "s"
    res = run_cli("simulate", "--out", out, "--seed", "3", "--size", "1500", "--json")
    assert res.exit_code == 0, res.stderr
    assert res.json["transactions"] > 1000 and res.json["tx_per_s"] > 0
    again = run_cli("simulate", "--out", out)
    assert again.exit_code == 4 and again.stderr.count("\n") == 1 and "not empty" in again.stderr
    assert not (tmp_path / ".s.partial").exists()
    report = run_cli("evaluate", out, "--json")
    assert report.exit_code == 0, report.stderr
    assert report.json["metrics"]["ingest_fidelity"]["score"] == 1.0
    human = run_cli("evaluate", scenario, "--metric", "ingest_fidelity")
    assert "ingest_fidelity" in human.stdout and "score: 1.0" in human.stdout
    missing = run_cli("evaluate", tmp_path / "nope")
    assert missing.exit_code == 3 and "no blocks/ directory" in missing.stderr
    bad = run_cli("evaluate", out, "--metric", "nonsense")
    assert bad.exit_code == 4 and "unknown metric" in bad.stderr


def test_unwritable_or_file_out_is_one_line_error(tmp_path: Path):
    target = tmp_path / "file"
    target.write_text("x")
    res = run_cli("simulate", "--out", target)
    assert res.exit_code == 4 and "is a file" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("simulate", "--out", target / "sub")  # parent is a file: cannot create
    assert res.exit_code == 4 and "cannot write" in res.stderr and "Traceback" not in res.stderr


def test_coinjoin_truth_has_the_published_shapes(scenario: Path):
    for cj in rows(scenario, "coinjoins"):
        ins, outs, equal = int(cj["inputs"]), int(cj["outputs"]), int(cj["equal"])
        if cj["protocol"] == "wasabi1":
            assert 10 <= equal <= ins and abs(int(cj["denomination"]) - 10**7) <= 500_000
        elif cj["protocol"] == "wasabi2":
            assert ins >= 50
        elif cj["protocol"] == "whirlpool":
            assert ins == outs == equal == 5
        elif cj["protocol"] == "joinmarket":
            assert equal >= 3 and outs - equal <= equal
    kinds = Counter(r["kind"] for r in rows(scenario, "transactions"))
    assert kinds["equal_payout"] > 0  # the distractor exists


def test_broker_deposits_mix_campaign_and_customer_funds(scenario: Path, store: Store):
    """The over-attribution trap: campaign sats are a minority of each broker deposit."""
    via_broker = [c for c in rows(scenario, "cashouts") if c["from_entity"] == "broker:msb"]
    assert via_broker
    con = store.connect()
    try:
        for c in via_broker:
            (total,) = con.execute(
                "SELECT sum(value) FROM outputs WHERE txid = ?", [c["txid"]]
            ).fetchone()
            assert int(c["sats"]) < total
    finally:
        con.close()


def test_exchanges_reuse_deposit_and_hot_addresses(scenario: Path, store: Store):
    roles = {r["address"]: r["role"] for r in rows(scenario, "addresses")}
    con = store.connect()
    try:
        counts = con.execute(
            "SELECT address, count(*) FROM outputs WHERE address IS NOT NULL GROUP BY 1"
        ).fetchall()
    finally:
        con.close()
    reused = Counter(roles.get(a) for a, n in counts if n > 1)
    assert reused["deposit"] > 0 and reused["hot"] > 0
