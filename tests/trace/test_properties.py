"""Property tests on random chains: value conservation of haircut and FIFO, poison as an
upper bound, and trace determinism."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerhound.trace import Labels, trace

from .chain import Chain

ADDRS = [f"a{i}" for i in range(6)]  # few addresses: reuse, cycles and merges are common


@st.composite
def chains(draw):
    """A random valid chain: coinbases, then txs spending 1-3 unspent outputs into 1-3 outputs."""
    c = Chain()
    utxo: list[tuple[str, int, int]] = []
    for i in range(draw(st.integers(1, 3))):
        value = draw(st.integers(1, 10**9))
        txid = c.tx([], [(draw(st.sampled_from(ADDRS)), value)], name=f"cb{i}")
        utxo.append((txid, 0, value))
    for i in range(draw(st.integers(1, 12))):
        if not utxo:
            break
        picks = draw(st.lists(st.integers(0, len(utxo) - 1), min_size=1, max_size=3, unique=True))
        spent = [utxo[p] for p in picks]
        utxo = [u for k, u in enumerate(utxo) if k not in picks]
        total = sum(v for _, _, v in spent)
        fee = draw(st.integers(0, total // 10))
        n_out = draw(st.integers(1, 3))
        cuts = sorted(
            draw(st.lists(st.integers(0, total - fee), min_size=n_out - 1, max_size=n_out - 1))
        )
        values = [b - a for a, b in zip([0, *cuts], [*cuts, total - fee], strict=True)]
        outs = [(draw(st.sampled_from(ADDRS)), v) for v in values]
        txid = c.tx([(t, o) for t, o, _ in spent], outs, name=f"t{i}")
        utxo += [(txid, k, v) for k, (_, v) in enumerate(outs)]
    return c


def _balance(result) -> tuple[int, int]:
    t = result.totals()
    out = t["endpoint_value"] + t["fee"] + t["returned_to_seed"] + t["rounding_residue"]
    return t["seed_value"], out


PARAMS = dict(
    seed=st.sampled_from(ADDRS),
    direction=st.sampled_from(["forward", "backward"]),
    hops=st.integers(0, 8),
    tagged=st.sampled_from([None, *ADDRS]),
)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(c, seed, direction, hops, tagged, policy):
    g = c.graph()
    if seed not in g.address_index():
        return None
    labels = Labels.build(g, {tagged: ["exchange"]} if tagged else {})
    return trace(g, [seed], labels, direction=direction, hops=hops, policy=policy)


@SETTINGS
@given(c=chains(), **PARAMS)
def test_haircut_conserves_value(c, seed, direction, hops, tagged):
    r = _run(c, seed, direction, hops, tagged, "haircut")
    if r is None:
        return
    seed_value, out = _balance(r)
    assert seed_value == out
    assert r.totals()["endpoint_value"] <= seed_value
    # flooring loses less than one satoshi per leaving slot of every transaction pass
    ptr = (r.graph.forward if direction == "forward" else r.graph.backward).ptr
    slots = sum(
        int((ptr[t + 1] - ptr[t]).sum()) for t in (np.unique(e[1]) for e in r.trail.edges_in)
    )
    assert 0 <= r.totals()["rounding_residue"] <= slots
    for e in r.endpoints():
        assert e["value"] > 0


@SETTINGS
@given(c=chains(), **PARAMS)
def test_fifo_conserves_exactly(c, seed, direction, hops, tagged):
    r = _run(c, seed, direction, hops, tagged, "fifo")
    if r is None:
        return
    seed_value, out = _balance(r)
    assert seed_value == out and r.totals()["rounding_residue"] == 0


@SETTINGS
@given(c=chains(), **PARAMS)
def test_poison_is_an_upper_bound_on_haircut(c, seed, direction, hops, tagged):
    hair = _run(c, seed, direction, hops, tagged, "haircut")
    if hair is None:
        return
    poison = _run(c, seed, direction, hops, tagged, "poison")
    reached = {}
    for e in poison.endpoints():
        reached[e["node"]] = reached.get(e["node"], 0) + e["value"]
    h = poison.totals()
    p_total = h["endpoint_value"] + h["fee"] + h["returned_to_seed"]
    assert p_total >= hair.totals()["seed_value"]
    for e in hair.endpoints():
        if e["stop_reason"] in ("unspent", "service", "coinbase"):
            assert e["node"] in reached


@settings(max_examples=40, deadline=None)
@given(chains(), st.sampled_from(ADDRS), st.sampled_from(["poison", "haircut", "fifo"]))
def test_trace_is_deterministic(c, seed, policy):
    g = c.graph()
    if seed not in g.address_index():
        return
    a = trace(g, [seed], policy=policy).to_dict()
    b = trace(c.graph(), [seed], policy=policy).to_dict()
    assert a == b


@settings(max_examples=40, deadline=None)
@given(chains(), st.sampled_from(ADDRS))
def test_bulk_screening_groups_never_mix(c, tagged):
    from ledgerhound.trace import screen

    g = c.graph()
    labels = Labels.build(g, {tagged: ["sanction"]})
    names = sorted(g.address_index())
    bulk = screen(g, names, labels, hops=3)["results"]
    assert bulk == [screen(g, [n], labels, hops=3)["results"][0] for n in names]
