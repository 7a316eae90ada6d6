"""FlowGraph from a real mainnet block (block 413,567) and the exact integer arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.sources.rawblocks import RawBlock, blocks_to_batch
from ledgerhound.trace import FlowGraph, trace
from ledgerhound.trace.policies import muldiv

from ..conftest import DATA


@pytest.fixture(scope="module")
def block_graph() -> FlowGraph:
    raw = (DATA / "bitcoin" / "block413567.raw").read_bytes()
    batch = blocks_to_batch([RawBlock(raw, 413567)])
    return FlowGraph.from_arrow(batch.transactions, batch.outputs, batch.inputs)


def test_real_block_shape(block_graph):
    g = block_graph
    assert (g.tx_count, g.output_count) == (1557, 3581)
    assert int(g.forward.ptr[-1]) == 3581 + 1557  # outputs plus one fee slot per tx
    assert int(g.backward.ptr[-1]) == 4887 + 1557  # inputs plus one hidden-value slot per tx
    assert g.tx_coinbase[0] and not g.tx_coinbase[1:].any()
    # Spends inside the block are resolved; everything else is funded from outside the data.
    spent = g.out_spent_tx >= 0
    assert 0 < spent.sum() < 4887
    assert np.all(g.out_tx[spent] < g.out_spent_tx[spent])  # chain order: created before spent


def test_real_block_coinbase_backward_and_forward(block_graph):
    g = block_graph
    txid = g.txid(0)
    back = trace(g, [f"{txid}:0"], direction="backward")
    assert [e["stop_reason"] for e in back.endpoints()] == ["coinbase"]
    fwd = trace(g, [f"{txid}:0"])
    assert fwd.totals()["endpoint_value"] == int(g.out_value[0])


def test_real_block_backward_reaches_outside_data(block_graph):
    """Inputs funded before this block have no prev_value here: their value is unknown and
    shows up as `outside_data`, never as a guess."""
    g = block_graph
    t = int(g.out_spent_tx[g.out_spent_tx >= 0][0])
    o = int(g.out_ptr[t])
    r = trace(g, [g.outpoint(o)], direction="backward", policy="haircut")
    t_ = r.totals()
    assert "outside_data" in t_["by_stop_reason"]
    assert (
        t_["endpoint_value"] + t_["rounding_residue"] + t_["returned_to_seed"] == t_["seed_value"]
    )


@given(st.integers(1, 21 * 10**14), st.data())
def test_muldiv_is_exact(c, data):
    """The engine only asks for a * b / c with a <= c (tainted <= total), b <= MAX_MONEY."""
    a = data.draw(st.integers(0, c))
    b = data.draw(st.integers(0, 21 * 10**14))
    assert int(muldiv(np.array([a]), np.array([b]), np.array([c]))[0]) == a * b // c
