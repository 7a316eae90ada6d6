"""Peel-chain walks over hand-built chains: a 10-hop chain ending in an exchange cash-out, and
every other way a chain can end."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.cluster import peel
from ledgerhound.cluster.change import ShapeIndex
from ledgerhound.cluster.txshape import TxShape
from ledgerhound.errors import InvalidInputError

BTC = 100_000_000
EXCHANGE = {"ex-deposit": "exchange", "ex-peel": "exchange", "mixer-in": "mixer"}


def tx(txid, ins, outs, prevouts, *, height=800_000) -> TxShape:
    """``ins``/``outs``: (value, address) lists; ``prevouts``: what each input spends."""
    return TxShape(
        txid=txid,
        height=height,
        is_coinbase=False,
        input_values=tuple(v for v, _ in ins),
        input_addresses=tuple(a for _, a in ins),
        output_values=tuple(v for v, _ in outs),
        output_addresses=tuple(a for _, a in outs),
        output_types=("witness_v0_keyhash",) * len(outs),
        input_prevouts=tuple(prevouts),
    )


def build_chain(peels, start_value=10 * BTC, fee=1_000, flip=lambda i: i % 3 == 1):
    """A chain of ``len(peels)`` peel steps; ``peels[i]`` is (address, value). Returns the txs
    and, per hop, where the remainder went: (txid, vout, address, value)."""
    txs, remainders = [], []
    prev, value = ("funding", 0), start_value
    for i, (address, amount) in enumerate(peels):
        rest = value - amount - fee
        outs = [(amount, address), (rest, f"r{i}")]
        vout = 1
        if flip(i):  # the remainder is not always the last output
            outs.reverse()
            vout = 0
        txs.append(tx(f"t{i}", [(value, f"r{i - 1}" if i else "source")], outs, [prev]))
        remainders.append((f"t{i}", vout, f"r{i}", rest))
        prev, value = (f"t{i}", vout), rest
    return txs, remainders


def cash_out(prev, value, address="ex-deposit", txid="final"):
    return tx(txid, [(value, "last")], [(value - 1_000, address)], [prev])


PEELS = [
    ("payee0", 1_234_567),
    ("payee1", 2_000_000),
    ("ex-peel", 15_000_000),  # a peel paid straight to an exchange does not end the chain
    ("payee3", 4_400_000),
    ("payee4", 987_654),
    ("payee5", 50_000),
    ("payee6", 1_000),  # exactly the minimum peel
    ("payee7", 12_000_000),
    ("payee8", 3_333_333),
    ("payee9", 777_777),
]


def test_ten_hop_chain_ending_in_an_exchange_cash_out():
    txs, rem = build_chain(PEELS)
    last = rem[-1]
    final = cash_out((last[0], last[1]), last[3])
    chain = peel.follow(txs[0], ShapeIndex([*txs, final]), category=EXCHANGE.get)
    assert chain.length == 10
    assert chain.recipients == PEELS
    assert chain.peeled_total == sum(v for _, v in PEELS)
    assert [h.remainder_address for h in chain.hops] == [f"r{i}" for i in range(10)]
    assert [h.remainder_vout for h in chain.hops] == [r[1] for r in rem]
    assert [h.peel_category for h in chain.hops] == [None, None, "exchange"] + [None] * 7
    assert (chain.end, chain.end_txid, chain.end_category) == ("known_service", "final", "exchange")
    assert chain.confidence == 85
    js = chain.to_json()
    assert js["method"] == peel.METHOD and js["params"] == {
        "min_peel": 1_000, "ratio": 2, "max_length": 1_000
    }  # fmt: skip
    assert js["end_reason"] == peel.END_REASONS["known_service"]
    again = peel.follow(txs[0], ShapeIndex([*txs, final]), category=EXCHANGE.get)
    assert json.dumps(js, sort_keys=True) == json.dumps(again.to_json(), sort_keys=True)


def test_walk_can_start_mid_chain_and_stops_where_data_ends():
    txs, _ = build_chain(PEELS)
    chain = peel.follow(txs[4], ShapeIndex(txs))
    assert chain.length == 6 and chain.recipients == PEELS[4:]
    assert (chain.end, chain.end_txid) == ("unspent", None)


def test_dust_peel_ends_the_chain():
    peels = [("p0", 100_000), ("p1", 200_000), ("ordinal", 546), ("p3", 100_000)]
    txs, _ = build_chain(peels)
    chain = peel.follow(txs[0], ShapeIndex(txs))
    assert chain.length == 2 and (chain.end, chain.end_txid) == ("dust_peel", "t2")
    assert peel.follow(txs[0], ShapeIndex(txs), min_peel=500).length == 4


def test_chain_ends_when_the_remainder_is_merged_or_mixed():
    txs, rem = build_chain(PEELS[:3])
    (t, v, _, value) = rem[-1]
    merged = tx(
        "merge", [(value, "r2"), (5, "x"), (7, "y")], [(value, "big")], [(t, v), None, None]
    )
    chain = peel.follow(txs[0], ShapeIndex([*txs, merged]))
    assert (chain.length, chain.end, chain.end_txid) == (3, "merged", "merge")
    pool = [(value, "r2")] + [(1_000_050, f"in{i}") for i in range(4)]
    whirl = tx("mix", pool, [(1_000_000, f"mix{i}") for i in range(5)], [(t, v)] + [None] * 4)
    assert peel.follow(txs[0], ShapeIndex([*txs, whirl])).end == "coinjoin"
    mixer = cash_out((t, v), value, address="mixer-in")
    chain = peel.follow(txs[0], ShapeIndex([*txs, mixer]), category=EXCHANGE.get)
    assert (chain.end, chain.end_category) == ("known_service", "mixer")


def test_chain_ends_on_a_sweep_a_split_or_an_even_split():
    txs, rem = build_chain(PEELS[:2])
    (t, v, _, value) = rem[-1]
    sweep = cash_out((t, v), value, address="unknown")
    split = tx("fan", [(value, "r1")], [(value // 4, f"f{i}") for i in range(3)], [(t, v)])
    even = tx("even", [(value, "r1")], [(value // 2, "e0"), (value // 2 - 9, "e1")], [(t, v)])
    for nxt, end in ((sweep, "swept"), (split, "split"), (even, "even_split")):
        chain = peel.follow(txs[0], ShapeIndex([*txs, nxt]), category=EXCHANGE.get)
        assert (chain.length, chain.end, chain.end_txid, chain.end_category) == (
            2,
            end,
            nxt.txid,
            None,
        )


def test_remainder_to_a_known_service_ends_after_that_hop():
    txs, _ = build_chain([("p0", 100_000), ("p1", 200_000), ("p2", 300_000)])
    hop = txs[1]
    moved = TxShape(**{**hop.__dict__, "output_addresses": ("ex-deposit", "p1")})
    chain = peel.follow(txs[0], ShapeIndex([txs[0], moved, txs[2]]), category=EXCHANGE.get)
    assert (chain.length, chain.end, chain.end_txid, chain.end_category) == (
        2, "known_service", "t1", "exchange"
    )  # fmt: skip


def test_max_length_and_a_start_that_is_not_a_peel():
    txs, _ = build_chain(PEELS)
    chain = peel.follow(txs[0], ShapeIndex(txs), max_length=4)
    assert (chain.length, chain.end, chain.end_txid) == (4, "max_length", "t4")
    assert chain.confidence == 70
    batch = tx("batch", [(BTC, "hot")], [(1_000_000 + i, f"c{i}") for i in range(5)], [None])
    start = peel.follow(batch, ShapeIndex([batch]))
    assert (start.length, start.end, start.confidence) == (0, "split", 0)


class LoopingIndex:
    """A corrupt spend index that points back to the start: the walk must still end."""

    def __init__(self, first: TxShape) -> None:
        self.first = first

    def spending_tx(self, txid: str, vout: int) -> TxShape | None:
        return self.first


def test_a_cycle_in_the_spend_index_ends_the_walk():
    txs, _ = build_chain(PEELS[:1])
    chain = peel.follow(txs[0], LoopingIndex(txs[0]))
    assert (chain.length, chain.end) == (1, "cycle")


def test_bad_parameters_are_clear_errors():
    txs, _ = build_chain(PEELS[:1])
    with pytest.raises(InvalidInputError, match="min_peel, ratio and max_length"):
        peel.follow(txs[0], ShapeIndex(txs), max_length=0)


@given(st.lists(st.tuples(st.integers(1_000, 5 * 10**6), st.booleans()), min_size=1, max_size=25))
def test_walk_recovers_every_generated_peel(steps):
    peels = [(f"payee{i}", v) for i, (v, _) in enumerate(steps)]
    txs, rem = build_chain(peels, start_value=40 * BTC, flip=lambda i: steps[i][1])
    chain = peel.follow(txs[0], ShapeIndex(reversed(txs)))
    assert chain.recipients == peels and chain.end == "unspent"
    assert [(h.txid, h.remainder_vout) for h in chain.hops] == [(t, v) for t, v, _, _ in rem]
