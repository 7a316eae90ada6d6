"""Paths between seeds, exposure screening with the shipped severity policy, flow-graph export."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET

import pytest

from ledgerhound.errors import InvalidInputError, NotFoundError
from ledgerhound.trace import (
    Labels,
    find_paths,
    load_policy,
    screen,
    trace,
    write_csv,
    write_graphml,
)

from .chain import Chain


@pytest.fixture
def world():
    """T (terrorism_financing) pays X 10; clean C pays X 90; X pays Y 50 and exchange E 50."""
    c = Chain()
    cb_t = c.tx([], [("T", 10)], name="cbT")
    cb_c = c.tx([], [("C", 90)], name="cbC")
    t1 = c.tx([(cb_t, 0)], [("X", 10)], name="t1")
    t2 = c.tx([(cb_c, 0)], [("X", 90)], name="t2")
    c.tx([(t1, 0), (t2, 0)], [("Y", 50), ("E", 50)], name="t3")
    g = c.graph()
    labels = Labels.build(g, {"T": ["terrorism_financing"], "E": ["exchange"]})
    return g, labels, {n: g.txid(i) for i, n in enumerate(["cbT", "cbC", "t1", "t2", "t3"])}


def test_path_from_donor_wallet_to_exchange(world):
    g, labels, tx = world
    p = find_paths(g, ["T"], ["E"], labels)
    # haircut: T's 10 reach X in full; t3 sends 10 * 50/100 = 5 of them to E.
    assert p["connected"] and p["value_reaching_target"] == 5 and p["source_value"] == 10
    assert p["paths"] == [
        {
            "value": 5,
            "hops": 2,
            "steps": ["address:T", f"tx:{tx['t1']}", "address:X", f"tx:{tx['t3']}", "address:E"],
            "endpoint_output": f"{tx['t3']}:1",
        }
    ]
    assert not find_paths(g, ["C"], ["T"], labels)["connected"]
    assert find_paths(g, ["T"], ["E"], labels, hops=1)["connected"] is False


def test_widest_path_prefers_the_bigger_branch():
    c = Chain()
    f = c.tx([], [("A", 100)])
    split = c.tx([(f, 0)], [("M1", 70), ("M2", 30)])
    c.tx([(split, 0)], [("B", 70)])
    c.tx([(split, 1)], [("B", 30)])
    p = find_paths(c.graph(), ["A"], ["B"])
    assert [(r["value"], r["steps"][2]) for r in p["paths"]] == [
        (70, "address:M1"),
        (30, "address:M2"),
    ]
    assert p["value_reaching_target"] == 100


def test_screen_direct_indirect_ownership_and_unknown(world):
    g, labels, tx = world
    out = screen(g, ["X", "Y", "T", "E", "C", "nobody"], labels)
    by = {r["address"]: r for r in out["results"]}
    x = by["X"]
    assert (x["severity"], x["received_value"], x["spent_value"]) == ("severe", 100, 100)
    tf = [e for e in x["exposures"] if e["category"] == "terrorism_financing"]
    assert tf == [
        {
            "category": "terrorism_financing",
            "exposure_type": "direct",
            "direction": "incoming",
            "value": 10,
            "share": 0.1,
            "hops": 1,
            "counterparties": 1,
            "severity": "severe",
            "rule": 1,
            "explanation": {
                "value": 10,
                "hops": 1,
                "endpoint_output": f"{tx['cbT']}:0",
                "steps": ["address:T", f"tx:{tx['t1']}", "address:X"],
            },
        }
    ]
    ex = [e for e in x["exposures"] if e["category"] == "exchange"][0]
    assert (ex["direction"], ex["exposure_type"], ex["value"], ex["share"], ex["severity"]) == (
        "outgoing",
        "direct",
        50,
        0.5,
        "none",
    )
    # Y got 50 from X, of which 50 * 10/100 = 5 trace back to T two hops away: 10 % -> high.
    y = by["Y"]
    assert y["severity"] == "high"
    (e,) = y["exposures"]
    assert (e["exposure_type"], e["value"], e["share"], e["hops"]) == ("indirect", 5, 0.1, 2)
    assert (
        e["explanation"]["steps"][0] == "address:T" and e["explanation"]["steps"][-1] == "address:Y"
    )
    assert (
        by["T"]["severity"] == "severe" and by["T"]["exposures"][0]["exposure_type"] == "ownership"
    )
    # C only paid X; X is not tagged, and the flow continues to E two hops on: indirect exchange.
    assert by["C"]["severity"] == "none"
    assert by["nobody"] == {
        "address": "nobody",
        "found": False,
        "severity": "none",
        "note": "no outputs to this address in the loaded data",
        "exposures": [],
    }


def test_broker_customer_screens_at_one_percent():
    btc = 100_000_000
    c = Chain()
    funding = [c.tx([], [(f"cust{i}", btc)], name=f"cb{i}") for i in range(100)]
    deposits = c.tx([(f, 0) for f in funding], [("broker", 100 * btc)], name="deposits")
    c.tx([(deposits, 0)], [("exchange", 100 * btc)], name="payout")
    g = c.graph()
    labels = Labels.build(g, {"cust0": ["terrorism_financing"], "exchange": ["exchange"]})
    res = screen(g, ["exchange"], labels)["results"][0]
    (tf,) = [e for e in res["exposures"] if e["category"] == "terrorism_financing"]
    assert (tf["value"], tf["share"], tf["exposure_type"], tf["severity"]) == (
        btc,
        0.01,
        "indirect",
        "high",
    )


def test_custom_severity_policy_and_its_errors(tmp_path, world):
    g, labels, _ = world
    f = tmp_path / "p.yaml"
    f.write_text(
        "version: 1\nlevels: [alert, ok]\ndefault: ok\nrules:\n"
        "  - {category: exchange, direction: outgoing, min_share: 0.4, severity: alert}\n"
    )
    res = screen(g, ["X"], labels, policy=load_policy(f))["results"][0]
    assert res["severity"] == "alert"
    f.write_text(
        "version: 1\nlevels: [alert, ok]\ndefault: ok\nrules:\n"
        "  - {category: exchange, severity: alert, colour: red}\n"
    )
    with pytest.raises(InvalidInputError, match="rule 1: unknown key 'colour'"):
        load_policy(f)
    f.write_text("rules: [")
    with pytest.raises(InvalidInputError, match="not valid YAML"):
        load_policy(f)
    with pytest.raises(NotFoundError, match="severity policy"):
        load_policy(tmp_path / "missing.yaml")
    assert load_policy().levels == ("severe", "high", "medium", "low", "none")


def test_graphml_and_csv_export(tmp_path, world):
    g, labels, tx = world
    r = trace(g, ["T"], labels, policy="haircut")
    counts = write_graphml(r, tmp_path / "a.graphml")
    write_graphml(r, tmp_path / "b.graphml")
    assert (tmp_path / "a.graphml").read_bytes() == (tmp_path / "b.graphml").read_bytes()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    root = ET.parse(tmp_path / "a.graphml").getroot()
    assert len(root.findall(".//g:node", ns)) == counts["nodes"] == 6  # T X Y E t1 t3
    assert len(root.findall(".//g:edge", ns)) == counts["edges"] == 5
    write_csv(r, tmp_path / "f.csv")
    rows = list(csv.DictReader((tmp_path / "f.csv").open()))
    assert {(row["source"], row["target"], row["value"]) for row in rows} >= {
        (f"tx:{tx['t3']}", "address:E", "5"),
        (f"tx:{tx['t3']}", "address:Y", "5"),
    }
    with pytest.raises(InvalidInputError, match="cannot write"):
        write_csv(r, tmp_path / "no" / "such" / "dir.csv")
    assert not list(tmp_path.glob("**/*.partial"))


def test_bulk_screening_equals_one_by_one(world):
    """One walk for many addresses must give each address exactly its own answer."""
    g, labels, _ = world
    names = ["Y", "X", "nobody", "T", "E", "C", "Y"]
    bulk = screen(g, names, labels)["results"]
    alone = [screen(g, [n], labels)["results"][0] for n in names]
    assert bulk == alone
