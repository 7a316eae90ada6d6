"""Hand-built transactions, one positive and several negatives per CoinJoin detector."""

from __future__ import annotations

from ledgerhound.cluster import coinjoin
from ledgerhound.cluster.txshape import TxShape

BTC = 100_000_000


def shape(ins, outs, *, height=800_000, types=None, coinbase=False) -> TxShape:
    """``ins``/``outs`` are lists of (value, address)."""
    return TxShape(
        txid="00" * 32,
        height=height,
        is_coinbase=coinbase,
        input_values=tuple(v for v, _ in ins),
        input_addresses=tuple(a for _, a in ins),
        output_values=tuple(v for v, _ in outs),
        output_addresses=tuple(a for _, a in outs),
        output_types=tuple(types or ["witness_v0_keyhash"] * len(outs)),
    )


def addrs(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def test_whirlpool_5x5_at_pool_size():
    tx = shape(
        [(1_000_000 + 50 * i, a) for i, a in enumerate(addrs("in", 5))],
        [(1_000_000, a) for a in addrs("out", 5)],
    )
    verdict = coinjoin.detect(tx)
    assert verdict is not None and verdict.protocol == "whirlpool"
    assert verdict.evidence == {"pool": 1_000_000}


def test_whirlpool_needs_pool_size_and_activation_height():
    off_pool = shape(
        [(2_000_000, a) for a in addrs("in", 5)], [(1_900_000, a) for a in addrs("out", 5)]
    )
    assert coinjoin.whirlpool(off_pool) is None
    early = shape(
        [(1_000_100, a) for a in addrs("in", 5)],
        [(1_000_000, a) for a in addrs("out", 5)],
        height=500_000,
    )
    assert coinjoin.whirlpool(early) is None
    assert coinjoin.whirlpool(early, mainnet=False) is not None


def test_whirlpool_tx0_premix():
    outs = [(1_000_170, a) for a in addrs("premix", 4)] + [(42_000, "fee"), (0, None), (77, "ch")]
    types = ["witness_v0_keyhash"] * 5 + ["nulldata", "witness_v0_keyhash"]
    verdict = coinjoin.detect(shape([(5_000_000, "w")], outs, types=types))
    assert verdict is not None and verdict.protocol == "whirlpool_tx0"
    assert verdict.evidence["premix_outputs"] == 4


def test_wasabi1_many_equal_outputs_near_tenth_btc():
    n = 40
    ins = [(BTC // 10 + 1_000_000 + i, a) for i, a in enumerate(addrs("in", n + 5))]
    outs = [(BTC // 10 - 3_000, a) for a in addrs("mix", n)] + [
        (900_000 + i, a) for i, a in enumerate(addrs("ch", n))
    ]
    verdict = coinjoin.detect(shape(ins, outs, height=600_000))
    assert verdict is not None and verdict.protocol == "wasabi1"
    assert verdict.evidence["equal_outputs"] == n
    assert 50 <= verdict.confidence <= 100


def test_wasabi2_many_inputs_standard_denominations():
    ins = [(3_000_000 + 17 * i, a) for i, a in enumerate(addrs("in", 60))]
    denoms = [2**21, 3**13, 2 * 10**6, 5 * 10**5, 2**20, 10**6]
    outs = [(denoms[i % len(denoms)], a) for i, a in enumerate(addrs("out", 70))]
    verdict = coinjoin.detect(shape(ins, outs))
    assert verdict is not None and verdict.protocol == "wasabi2"


def test_joinmarket_three_makers():
    # The taker funds with two inputs; each maker's change = input + fee - denomination.
    ins = [(20_000_000, "t1"), (10_000_000, "t2"), (12_000_000, "m1"), (15_000_000, "m2")]
    outs = [(10_000_000, a) for a in addrs("cj", 3)] + [
        (19_990_000, "tc"),
        (2_001_000, "c1"),
        (5_001_200, "c2"),
    ]
    verdict = coinjoin.detect(shape(ins, outs))
    assert verdict is not None and verdict.protocol == "joinmarket"
    assert verdict.confidence == 49


def test_exchange_batch_payout_is_not_a_coinjoin():
    # One hot wallet pays 25 customers; several receive the same round amount.
    outs = [(5_000_000, a) for a in addrs("cust", 6)] + [
        (1_234_567 + 1000 * i, a) for i, a in enumerate(addrs("other", 19))
    ]
    outs.append((300 * BTC, "hot-change"))
    ins = [(200 * BTC, "hot"), (150 * BTC, "hot")]
    assert coinjoin.detect(shape(ins, outs)) is None


def test_exchange_batch_with_many_equal_tenth_btc_payouts_is_not_wasabi():
    outs = [(BTC // 10, a) for a in addrs("cust", 30)] + [(50 * BTC, "hot-change")]
    ins = [(30 * BTC, "hot")] * 3
    assert coinjoin.detect(shape(ins, outs)) is None


def test_consolidation_and_simple_payment_are_not_coinjoins():
    consolidation = shape(
        [(10_000 + i, a) for i, a in enumerate(addrs("dep", 100))], [(9_000, "x")]
    )
    payment = shape([(5_000_000, "a")], [(1_000_000, "b"), (3_990_000, "c")])
    assert coinjoin.detect(consolidation) is None
    assert coinjoin.detect(payment) is None


def test_coinbase_is_never_a_coinjoin():
    tx = shape([(None, None)] * 5, [(1_000_000, a) for a in addrs("out", 5)], coinbase=True)
    assert coinjoin.detect(tx) is None


def test_unknown_input_values_block_the_joinmarket_cost_bound():
    ins = [(None, "t1"), (12_000_000, "m1"), (15_000_000, "m2")]
    outs = [(10_000_000, "a"), (10_000_000, "b"), (1_000_000, "c"), (1_990_000, "d")]
    assert coinjoin.joinmarket(shape(ins, outs)) is None


def test_generic_equal_output_rule():
    ins = [(3_000_000, "a"), (2_500_000, "b"), (2_200_000, "c")]
    outs = [(2_000_000, "x"), (2_000_000, "y"), (2_000_000, "z"), (990_000, "ca"), (480_000, "cb")]
    verdict = coinjoin.generic(shape(ins, outs))
    assert verdict is not None and verdict.evidence == {
        "denomination": 2_000_000,
        "participants": 3,
    }
    # the same outputs funded by one wallet's addresses are a batch payment, not a CoinJoin
    one_owner = [(3_000_000, "a"), (2_500_000, "a"), (2_200_000, "a")]
    assert coinjoin.generic(shape(one_owner, outs)) is None
