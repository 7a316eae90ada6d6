"""Each policy on hand-built graphs; every expected number is worked out in the comments."""

from __future__ import annotations

import pytest

from ledgerhound.trace import Labels, trace

from .chain import Chain


def ends(result) -> dict[tuple[str, str], int]:
    return {(e["node"], e["stop_reason"]): e["value"] for e in result.endpoints()}


@pytest.fixture
def split_merge():
    """S(100) -> t1: A 60, B 39, fee 1.  A(60) + X(100, clean) -> t2: E 80, Y 75, fee 5."""
    c = Chain()
    f = c.tx([], [("S", 100)])
    t1 = c.tx([(f, 0)], [("A", 60), ("B", 39)])
    cb = c.tx([], [("X", 100)])
    c.tx([(t1, 0), (cb, 0)], [("E", 80), ("Y", 75)])
    g = c.graph()
    return g, Labels.build(g, {"E": ["exchange"]})


def test_poison_forward_flags_every_output_in_full(split_merge):
    g, labels = split_merge
    r = trace(g, ["S"], labels, policy="poison")
    assert ends(r) == {
        ("address:B", "unspent"): 39,
        ("address:E", "service"): 80,
        ("address:Y", "unspent"): 75,
    }
    t = r.totals()
    assert t["fee"] == 1 + 5 and t["endpoint_value"] == 194 > t["seed_value"] == 100
    assert r.to_dict()["policy_note"].startswith("poison (upper bound)")


def test_haircut_forward_by_hand(split_merge):
    g, labels = split_merge
    r = trace(g, ["S"], labels, policy="haircut")
    # t2: tainted 60 of 160 in.  E: 60*80/160 = 30; Y: floor(60*75/160 = 28.125) = 28;
    # fee: floor(60*5/160 = 1.875) = 1; residue 60 - 59 = 1.  t1's fee 1 is fully tainted.
    assert ends(r) == {
        ("address:B", "unspent"): 39,
        ("address:E", "service"): 30,
        ("address:Y", "unspent"): 28,
    }
    t = r.totals()
    assert (t["fee"], t["rounding_residue"]) == (2, 1)
    assert t["endpoint_value"] + t["fee"] + t["rounding_residue"] == 100


def test_fifo_forward_by_hand(split_merge):
    g, labels = split_merge
    r = trace(g, ["S"], labels, policy="fifo")
    # t2 input order: A's 60 tainted sats come first, so E's first 60 sats are tainted; Y and the
    # fee (last) get none.
    assert ends(r) == {("address:B", "unspent"): 39, ("address:E", "service"): 60}
    assert r.totals()["fee"] == 1 and r.totals()["rounding_residue"] == 0


def test_fifo_input_order_matters():
    """Swap t2's input order: now X's clean 100 come first; E (80) is clean, Y gets 55 of A's
    60 (sats 100..155 of 160 land in Y = 80..155), the fee (155..160) gets the last 5."""
    c = Chain()
    f = c.tx([], [("S", 100)])
    t1 = c.tx([(f, 0)], [("A", 60), ("B", 39)])
    cb = c.tx([], [("X", 100)])
    c.tx([(cb, 0), (t1, 0)], [("E", 80), ("Y", 75)])
    g = c.graph()
    r = trace(g, ["S"], policy="fifo")
    assert ends(r) == {("address:B", "unspent"): 39, ("address:Y", "unspent"): 55}
    assert r.totals()["fee"] == 1 + 5


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # E's 80 sats: inputs A 60 then X 100; E covers sats 0..80 of 160.
        ("fifo", {("address:S", "coinbase"): 60, ("address:X", "coinbase"): 20}),
        # haircut: 80 * 60/160 = 30 from A (and so from S), 80 * 100/160 = 50 from X.
        ("haircut", {("address:S", "coinbase"): 30, ("address:X", "coinbase"): 50}),
        # poison: every input that funded E counts in full.
        ("poison", {("address:S", "coinbase"): 100, ("address:X", "coinbase"): 100}),
    ],
)
def test_backward_is_the_mirror(split_merge, policy, expected):
    g, labels = split_merge
    r = trace(g, ["E"], labels, direction="backward", policy=policy)
    assert ends(r) == expected
    assert r.totals()["seed_value"] == 80


def test_broker_mixing_one_tainted_and_99_clean_customers():
    """1 tainted + 99 clean customers (1 BTC each) pay a broker, which pays 99.99 BTC on to an
    exchange (0.01 BTC fee). Haircut attributes exactly 1 %; poison flags all, as upper bound."""
    btc = 100_000_000
    c = Chain()
    funding = [c.tx([], [(f"cust{i}", btc)], name=f"cb{i}") for i in range(100)]
    broker_in = c.tx([(f, 0) for f in funding], [("broker", 100 * btc)], name="deposits")
    c.tx([(broker_in, 0)], [("exchange", 100 * btc - btc // 100)], name="payout")
    g = c.graph()
    labels = Labels.build(g, {"exchange": ["exchange"]})
    hair = trace(g, ["cust0"], labels, policy="haircut")
    assert ends(hair) == {("address:exchange", "service"): (100 * btc - btc // 100) // 100}
    assert hair.totals()["fee"] == btc // 100 // 100
    assert hair.totals()["by_category"] == {"exchange": 99_990_000}
    poison = trace(g, ["cust0"], labels, policy="poison")
    assert ends(poison) == {("address:exchange", "service"): 100 * btc - btc // 100}
    assert "upper bound" in poison.to_dict()["policy_note"]


def test_address_cycle_returns_to_seed_without_double_counting():
    """A pays B, B pays A back (A reused), A pays C.  Seeding address A covers both of A's
    outputs; the 50 that come back are A's own money already counted once."""
    c = Chain()
    f = c.tx([], [("A", 100)])
    t1 = c.tx([(f, 0)], [("B", 100)])
    t2 = c.tx([(t1, 0)], [("A", 50), ("D", 50)])
    c.tx([(t2, 0)], [("C", 50)])
    g = c.graph()
    for policy in ("poison", "haircut", "fifo"):
        r = trace(g, ["A"], policy=policy)
        assert ends(r) == {("address:C", "unspent"): 50, ("address:D", "unspent"): 50}
        t = r.totals()
        assert (t["seed_value"], t["returned_to_seed"]) == (150, 50)
    # Seeding only the first output follows the cycle through A as a transit address.
    r = trace(g, [f"{f}:0"], policy="haircut")
    assert ends(r) == {("address:C", "unspent"): 50, ("address:D", "unspent"): 50}
    assert r.totals()["returned_to_seed"] == 0


def test_partial_spend_and_unspent_outputs():
    c = Chain()
    f = c.tx([], [("S", 70), ("S", 30)])
    c.tx([(f, 0)], [("P", 70)])
    g = c.graph()
    r = trace(g, ["S"], policy="haircut")
    # S's second output was never spent: an endpoint at hop 0.
    assert sorted((e["node"], e["hops"], e["value"], e["stop_reason"]) for e in r.endpoints()) == [
        ("address:P", 1, 70, "unspent"),
        ("address:S", 0, 30, "unspent"),
    ]


def test_merge_of_two_tainted_inputs_haircut_is_linear():
    """S1 (40) and S2 (60) both fund t, which pays Q 90 and R 10 (fee 0).  Seeded together the
    whole 100 is tainted; seeded alone, S1 contributes 40 % of each output."""
    c = Chain()
    a = c.tx([], [("S1", 40)])
    b = c.tx([], [("S2", 60)])
    c.tx([(a, 0), (b, 0)], [("Q", 90), ("R", 10)])
    g = c.graph()
    both = trace(g, ["S1", "S2"], policy="haircut")
    assert ends(both) == {("address:Q", "unspent"): 90, ("address:R", "unspent"): 10}
    one = trace(g, ["S1"], policy="haircut")
    assert ends(one) == {("address:Q", "unspent"): 36, ("address:R", "unspent"): 4}
    fifo = trace(g, ["S1"], policy="fifo")
    assert ends(fifo) == {("address:Q", "unspent"): 40}


def test_fifo_keeps_the_position_of_partial_taint_across_hops():
    """t1: inputs [X clean 50, S 100] -> O1 70, O2 80.  Satoshis 50..150 are tainted, so O1
    holds taint at its own sats 50..70 (20) and O2 is fully tainted (80).
    t2: inputs [O1, Y clean 30] -> Z1 55, Z2 45.  O1's tainted sats 50..70 land in Z1 (50..55:
    5) and Z2 (55..70: 15).  Haircut instead: O1 floor(100*70/150) = 46, O2 floor(100*80/150)
    = 53; Z1 floor(46*55/100) = 25, Z2 floor(46*45/100) = 20; residue 1 + 1."""
    c = Chain()
    x = c.tx([], [("X", 50)])
    s = c.tx([], [("S", 100)])
    y = c.tx([], [("Y", 30)])
    t1 = c.tx([(x, 0), (s, 0)], [("O1", 70), ("O2", 80)])
    c.tx([(t1, 0), (y, 0)], [("Z1", 55), ("Z2", 45)])
    g = c.graph()
    fifo = trace(g, ["S"], policy="fifo")
    assert ends(fifo) == {
        ("address:O2", "unspent"): 80,
        ("address:Z1", "unspent"): 5,
        ("address:Z2", "unspent"): 15,
    }
    hair = trace(g, ["S"], policy="haircut")
    assert ends(hair) == {
        ("address:O2", "unspent"): 53,
        ("address:Z1", "unspent"): 25,
        ("address:Z2", "unspent"): 20,
    }
    assert hair.totals()["rounding_residue"] == 2
    # Backward FIFO from Z2 (sats 55..100 of t2): 55..70 come from O1 (its sats 55..70, i.e.
    # t1 sats 55..70, all from S), 70..100 from Y.
    back = trace(g, ["Z2"], direction="backward", policy="fifo")
    assert ends(back) == {("address:S", "coinbase"): 15, ("address:Y", "coinbase"): 30}
