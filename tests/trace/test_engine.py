"""Stop rules, levels, seeds, errors and determinism of the trace engine."""

from __future__ import annotations

import json
import random

import numpy as np
import pyarrow as pa
import pytest

from ledgerhound.errors import CorruptDataError, InvalidInputError, NotFoundError
from ledgerhound.trace import FlowGraph, Labels, trace

from .chain import Chain


def reasons(result) -> dict[str, str]:
    return {e["node"]: e["stop_reason"] for e in result.endpoints()}


@pytest.fixture
def peel():
    """A peel chain S -> P1 -> P2 -> P3 -> P4, each hop paying 10 to a shop address Ki."""
    c = Chain()
    prev = c.tx([], [("S", 100)], height=10)
    for i in range(1, 5):
        prev = c.tx([(prev, 0)], [(f"P{i}", 100 - 10 * i), (f"K{i}", 10)], height=10 + i)
    return c.graph()


def test_hop_limit(peel):
    r = trace(peel, ["S"], hops=2)
    assert reasons(r) == {
        "address:P2": "hop_limit",
        "address:K1": "unspent",
        "address:K2": "unspent",
    }
    assert {e["node"]: e["hops"] for e in r.endpoints()}["address:P2"] == 2
    assert trace(peel, ["S"], hops=0).endpoints()[0]["stop_reason"] == "hop_limit"


def test_min_value_stops_small_flows(peel):
    r = trace(peel, ["S"], min_value=75)
    # P1 (90) and P2 (80) carry on; P3 (70) is spent but below 75.  K1 (10) is unspent, and
    # "unspent" is checked before the min-value pruning.
    assert reasons(r)["address:P3"] == "below_min_value"
    assert reasons(r)["address:K1"] == "unspent"
    assert "address:P4" not in reasons(r)


def test_stop_at_service_by_default_and_custom_categories(peel):
    labels = Labels.build(peel, {"P2": ["exchange"], "K1": ["scam"]})
    r = trace(peel, ["S"], labels)
    assert reasons(r)["address:P2"] == "service"
    assert reasons(r)["address:K1"] == "unspent"  # scam is not a stop category by default
    r = trace(peel, ["S"], labels, stop_at=("abuse",))
    assert reasons(r)["address:K1"] == "stop_category"
    assert reasons(r)["address:P4"] == "unspent"  # exchange no longer stops the flow
    assert r.to_dict()["totals"]["by_category"]["scam"] == 10


def test_max_degree_stops_at_hubs():
    c = Chain()
    f = c.tx([], [("S", 100)])
    hub_in = c.tx([(f, 0)], [("H", 100)])
    for i in range(5):  # H receives 5 more outputs: degree 6
        c.tx([], [("H", 1)], name=f"dust{i}")
    c.tx([(hub_in, 0)], [("Z", 100)])
    g = c.graph()
    assert reasons(trace(g, ["S"], max_degree=5)) == {"address:H": "max_degree"}
    assert reasons(trace(g, ["S"], max_degree=6)) == {"address:Z": "unspent"}


def test_time_window(peel):
    r = trace(peel, ["S"], until=12)
    assert reasons(r)["address:P2"] == "time_window"
    with pytest.raises(NotFoundError, match="height window"):
        trace(peel, ["S"], since=11)
    # Backward from P3 (height 13): P2 was created at 12 (inside), P1 at 11 (outside).
    r = trace(peel, ["P3"], direction="backward", since=12)
    assert reasons(r) == {"address:P1": "time_window"}


def test_cluster_level_aggregates_endpoints_and_seeds_by_cluster():
    c = Chain()
    f = c.tx([], [("S", 100)])
    c.tx([(f, 0)], [("E1", 30), ("E2", 30), ("Z", 40)])
    g = c.graph()
    clusters = np.full(len(g.addresses), -1, dtype=np.int64)
    clusters[g.address_id("E1")] = clusters[g.address_id("E2")] = 7
    clusters[g.address_id("S")] = 3
    via_columns = Labels.cluster_array(g, ["E2", "E1", "S", "elsewhere"], [7, 7, 3, 9])
    assert np.array_equal(via_columns, clusters)
    labels = Labels.build(g, {}, clusters=clusters, cluster_categories={7: ["exchange"]})
    r = trace(g, [3], labels, level="cluster")
    rows = {(e["node"], e["stop_reason"]): (e["value"], e["outputs"]) for e in r.endpoints()}
    assert rows == {("cluster:7", "service"): (60, 2), ("address:Z", "unspent"): (40, 1)}
    assert trace(g, ["cluster:3"], labels).totals()["seed_value"] == 100
    with pytest.raises(InvalidInputError, match="cluster"):
        trace(g, ["S"], level="cluster")


def test_bad_parameters_and_seeds_are_one_line_errors(peel):
    with pytest.raises(InvalidInputError, match="policy must be"):
        trace(peel, ["S"], policy="lifo")
    with pytest.raises(InvalidInputError, match="direction must be"):
        trace(peel, ["S"], direction="sideways")
    with pytest.raises(NotFoundError, match="address nope"):
        trace(peel, ["nope"])
    with pytest.raises(NotFoundError, match="transaction"):
        trace(peel, ["ab" * 32 + ":0"])
    txid = peel.txid(0)
    with pytest.raises(NotFoundError, match="does not exist"):
        trace(peel, [f"{txid}:5"])
    with pytest.raises(InvalidInputError, match="no seed"):
        trace(peel, [])
    with pytest.raises(InvalidInputError, match="unknown trace parameter 'depth'"):
        trace(peel, ["S"], depth=3)


def test_stop_at_accepts_a_comma_separated_string(peel):
    labels = Labels.build(peel, {"K1": ["scam"], "K2": ["exchange"]})
    r = trace(peel, ["S"], labels, stop_at="abuse, service")
    assert reasons(r)["address:K1"] == "stop_category" and reasons(r)["address:K2"] == "service"
    assert r.params["stop_at"] == ["abuse", "service"]


def _shuffled(table: pa.Table, rng: random.Random) -> pa.Table:
    idx = list(range(table.num_rows))
    rng.shuffle(idx)
    return table.take(pa.array(idx))


def test_same_inputs_give_byte_identical_output_whatever_the_row_order(peel):
    c = Chain()
    prev = c.tx([], [("S", 100)])
    for i in range(1, 5):
        prev = c.tx([(prev, 0)], [(f"P{i}", 100 - 10 * i), (f"K{i}", 10)])
    tables = c.tables()
    docs = set()
    for seed in range(4):
        rng = random.Random(seed)
        g = FlowGraph.from_arrow(*(_shuffled(t, rng) for t in tables))
        docs.add(json.dumps(trace(g, ["S"], fingerprint="fp").to_dict(), sort_keys=True))
    assert len(docs) == 1
    assert json.loads(docs.pop())["data_fingerprint"] == "fp"


def test_corrupt_tables_are_reported_not_traced():
    c = Chain()
    f = c.tx([], [("S", 100)])
    c.tx([(f, 0)], [("A", 100)])
    c.tx([(f, 0)], [("B", 100)])  # double spend
    with pytest.raises(CorruptDataError, match="spent by two inputs"):
        c.graph()
    c = Chain()
    f = c.tx([], [("S", 100)])
    c.tx([(f, 0)], [("A", 101)])
    with pytest.raises(CorruptDataError, match="spends more than its inputs"):
        c.graph()
    c = Chain()
    f = c.tx([], [("S", 100)])
    txs, outs, ins = c.tables()
    with pytest.raises(CorruptDataError, match="not in the table"):
        FlowGraph.from_arrow(txs.slice(0, 0), outs, ins)


def test_multi_chunk_tables_give_the_same_graph():
    """Tables read from Parquet arrive in many chunks; ids must not depend on chunking."""
    c = Chain()
    prev = c.tx([], [("S", 100)])
    for i in range(1, 6):
        prev = c.tx([(prev, 0)], [(f"P{i}", 100 - 10 * i), ("S", 5), (f"K{i}", 5)])
    tables = c.tables()
    chunked = [pa.concat_tables([t.slice(k, 2) for k in range(0, t.num_rows, 2)]) for t in tables]
    assert chunked[1]["address"].num_chunks > 1
    one = trace(FlowGraph.from_arrow(*tables), ["S"]).to_dict()
    many = trace(FlowGraph.from_arrow(*chunked), ["S"]).to_dict()
    assert one == many and one["totals"]["returned_to_seed"] > 0


def test_height_window_from_dates():
    from ledgerhound.trace.seeds import height_window

    blocks = pa.table(
        {
            "height": pa.array([0, 1, 2, 3, None], pa.int32()),
            # 2020-01-01, -02, -03 (one header a little behind its parent), -04; a stale block
            "timestamp": [1577836800, 1577923200, 1577923100, 1578096000, 1600000000],
        }
    )
    assert height_window(blocks, "2020-01-02", "2020-01-03") == (1, 2)
    assert height_window(blocks, 5, "7") == (5, 7)
    assert height_window(blocks) == (None, None)
    with pytest.raises(InvalidInputError, match="neither a block height nor an ISO date"):
        height_window(blocks, "last tuesday")
    with pytest.raises(NotFoundError, match="no block in the store has a time after"):
        height_window(blocks, "2021-01-01")
