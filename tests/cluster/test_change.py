"""Change heuristics on hand-built transactions (one positive and negatives each), the combiner,
the exclusions (coinbase, CoinJoin, exchange batch) and a real mainnet block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.cluster import change
from ledgerhound.cluster.change import ShapeIndex
from ledgerhound.cluster.txshape import TxShape
from ledgerhound.codecs.address import script_to_address
from ledgerhound.codecs.block import Block
from ledgerhound.codecs.script import classify
from ledgerhound.errors import InvalidInputError
from ledgerhound.sources.blkfiles import read_block_batches
from ledgerhound.store import Store

BTC = 100_000_000
WPKH, PKH, SH = "witness_v0_keyhash", "pubkeyhash", "scripthash"
BLOCK = Path(__file__).resolve().parents[1] / "data" / "bitcoin" / "block413567.raw"


def shape(ins, outs, *, txid="t", height=800_000, tx_index=1, types=None, in_types=None,
          prevouts=None, version=None, locktime=None, coinbase=False) -> TxShape:  # fmt: skip
    """``ins``/``outs`` are lists of (value, address)."""
    return TxShape(
        txid=txid,
        height=height,
        is_coinbase=coinbase,
        input_values=tuple(v for v, _ in ins),
        input_addresses=tuple(a for _, a in ins),
        output_values=tuple(v for v, _ in outs),
        output_addresses=tuple(a for _, a in outs),
        output_types=tuple(types or [WPKH] * len(outs)),
        tx_index=tx_index,
        version=version,
        locktime=locktime,
        input_types=None if in_types is None else tuple(in_types),
        input_prevouts=None if prevouts is None else tuple(prevouts),
    )


def payer(txid: str, outs, *, height=700_000, tx_index=5) -> TxShape:
    """A prior transaction that paid ``outs`` (so those addresses were seen before)."""
    return shape([(10 * BTC, "far")], outs, txid=txid, height=height, tx_index=tx_index)


# --- self_send (address reuse) -------------------------------------------------------------


def test_self_send_is_certain():
    tx = shape(
        [(3_000_000, "alice"), (2_000_000, "alice2")], [(1_234_567, "bob"), (3_700_000, "alice")]
    )
    vote = change.self_send(tx)
    assert vote is not None and (vote.index, vote.confidence) == (1, 100)
    ann = change.annotate(tx)
    assert ann is not None and ann.index == 1 and ann.confidence == 100
    assert ann.heuristics[0] == "self_send"


def test_self_send_abstains_without_reuse_or_when_ambiguous():
    assert change.self_send(shape([(5_000, "a")], [(1_000, "b"), (3_000, "c")])) is None
    both = shape([(5_000, "a"), (5_000, "b")], [(1_000, "a"), (3_000, "b")])
    assert change.self_send(both) is None
    unresolved = shape([(None, None)], [(1_000, "b"), (3_000, "c")])
    assert change.self_send(unresolved) is None


# --- one_time_change -------------------------------------------------------------------------


def test_one_time_change_needs_seen_payee_and_fresh_change():
    tx = shape([(5_000_000, "a")], [(1_234_567, "shop"), (3_700_000, "fresh")], txid="t")
    ctx = ShapeIndex([payer("p", [(9_000, "shop")]), tx], history_from=0)
    vote = change.one_time_change(tx, ctx)
    assert vote is not None and vote.index == 1 and vote.confidence == 50


def test_one_time_change_abstains():
    tx = shape([(5_000_000, "a")], [(1_234_567, "shop"), (3_700_000, "fresh")], txid="t")
    assert change.one_time_change(tx) is None  # no context
    assert (
        change.one_time_change(tx, ShapeIndex([tx], history_from=0)) is None
    )  # both outputs fresh
    window = [payer("p", [(9_000, "shop")]), tx]  # starts mid-chain: "fresh" is unknowable
    assert change.one_time_change(tx, ShapeIndex(window)) is None
    assert change.one_time_change(tx, ShapeIndex(window, history_from=650_000)) is None
    both_seen = ShapeIndex([payer("p", [(9_000, "shop"), (9_000, "fresh")]), tx], history_from=0)
    assert change.one_time_change(tx, both_seen) is None
    # same block, but the earlier payer's position inside the block is unknown for this tx
    unordered = shape([(5_000_000, "a")], [(1_234_567, "shop"), (3_700_000, "fresh")], txid="t",
                      height=700_000, tx_index=None)  # fmt: skip
    ctx = ShapeIndex([payer("p", [(9_000, "shop")]), unordered], history_from=0)
    assert change.one_time_change(unordered, ctx) is None


def test_one_time_change_orders_within_a_block():
    tx = shape([(5_000_000, "a")], [(1_234_567, "shop"), (3_700_000, "fresh")], txid="t",
               height=700_000, tx_index=9)  # fmt: skip
    earlier = ShapeIndex([payer("p", [(9_000, "shop")], tx_index=5), tx], history_from=0)
    assert change.one_time_change(tx, earlier).index == 1  # type: ignore[union-attr]
    later = ShapeIndex([payer("p", [(9_000, "shop")], tx_index=12), tx], history_from=0)
    assert change.one_time_change(tx, later) is None  # "shop" first paid here too


# --- script_type -----------------------------------------------------------------------------


def test_script_type_match():
    tx = shape([(5_000_000, "a"), (1_000_000, "b")], [(1_234_567, "x"), (4_700_000, "y")],
               types=[PKH, WPKH], in_types=[WPKH, WPKH])  # fmt: skip
    vote = change.script_type(tx)
    assert vote is not None and vote.index == 1 and WPKH in vote.rule


def test_script_type_abstains():
    outs = [(1_234_567, "x"), (4_700_000, "y")]
    same = shape([(5_000_000, "a")], outs, types=[WPKH, WPKH], in_types=[WPKH])
    mixed = shape([(5_000_000, "a"), (9, "b")], outs, types=[PKH, WPKH], in_types=[WPKH, SH])
    unknown = shape([(5_000_000, "a")], outs, types=[PKH, WPKH])
    partly = shape([(5_000_000, "a"), (9, "b")], outs, types=[PKH, WPKH], in_types=[WPKH, None])
    many = shape([(5_000_000, "a")], [*outs, (7, "z")], types=[PKH, WPKH, SH], in_types=[WPKH])
    for tx in (same, mixed, unknown, partly, many):
        assert change.script_type(tx) is None, tx


# --- round_value -----------------------------------------------------------------------------


def test_round_payment_marks_the_other_output():
    tx = shape([(5_000_000, "a")], [(1_000_000, "shop"), (3_987_654, "me")])
    vote = change.round_value(tx)
    assert vote is not None and (vote.index, vote.confidence) == (1, 50)
    assert (
        change.round_value(shape([(BTC, "a")], [(12_345, "me"), (50_000_000, "x")])).confidence
        == 60
    )
    assert (
        change.round_value(shape([(BTC, "a")], [(12_345, "me"), (300_000, "x")])).confidence == 40
    )


def test_round_value_abstains():
    both = shape([(5_000_000, "a")], [(1_000_000, "shop"), (3_900_000, "me")])
    neither = shape([(5_000_000, "a")], [(1_000_001, "shop"), (3_987_654, "me")])
    fine = shape([(5_000_000, "a")], [(10_000, "shop"), (3_987_654, "me")])  # 10^4: not round
    three = shape([(5_000_000, "a")], [(1_000_000, "s"), (3_987_654, "m"), (1_234, "x")])
    for tx in (both, neither, fine, three):
        assert change.round_value(tx) is None, tx


def test_op_return_output_is_never_change_and_does_not_count():
    tx = shape([(5_000_000, "a")], [(0, None), (1_000_000, "shop"), (3_987_654, "me")],
               types=["nulldata", WPKH, WPKH])  # fmt: skip
    assert change.round_value(tx).index == 2  # type: ignore[union-attr]


# --- optimal_change --------------------------------------------------------------------------


def test_optimal_change():
    tx = shape([(5_000_000, "a"), (3_000_000, "b")], [(6_500_000, "x"), (1_487_000, "y")])
    vote = change.optimal_change(tx)
    assert vote is not None and vote.index == 1


def test_optimal_change_abstains():
    one_input = shape([(5_000_000, "a")], [(1_000_000, "x"), (3_987_654, "y")])
    unknown = shape([(5_000_000, "a"), (None, None)], [(6_500_000, "x"), (1_487_000, "y")])
    two_small = shape([(5_000_000, "a"), (4_000_000, "b")], [(3_500_000, "x"), (3_487_000, "y")])
    none_small = shape([(2_000_000, "a"), (3_000_000, "b")], [(2_500_000, "x"), (2_487_000, "y")])
    for tx in (one_input, unknown, two_small, none_small):
        assert change.optimal_change(tx) is None, tx


# --- locktime_fingerprint --------------------------------------------------------------------


def _spender(txid: str, prevout, version: int, locktime: int) -> TxShape:
    return shape([(1, "q")], [(1, f"{txid}-out")], txid=txid, prevouts=[prevout],
                 version=version, locktime=locktime, height=800_100)  # fmt: skip


def test_locktime_fingerprint():
    tx = shape([(5_000_000, "a")], [(1_234_567, "x"), (3_700_000, "y")], txid="t",
               version=2, locktime=799_999)  # fmt: skip
    ctx = ShapeIndex([tx, _spender("s0", ("t", 0), 1, 0), _spender("s1", ("t", 1), 2, 800_050)])
    vote = change.locktime_fingerprint(tx, ctx)
    assert vote is not None and vote.index == 1 and "height" in vote.rule
    assert change.fingerprint(tx) == (2, "height")
    assert change.fingerprint(_spender("z", None, 1, 1_700_000_000)) == (1, "time")


def test_locktime_fingerprint_abstains():
    tx = shape([(5_000_000, "a")], [(1_234_567, "x"), (3_700_000, "y")], txid="t",
               version=2, locktime=799_999)  # fmt: skip
    half = ShapeIndex([tx, _spender("s1", ("t", 1), 2, 800_050)])  # output 0 unspent
    same = ShapeIndex([tx, _spender("s0", ("t", 0), 2, 1), _spender("s1", ("t", 1), 2, 5)])
    for ctx in (None, half, same):
        assert change.locktime_fingerprint(tx, ctx) is None
    no_style = shape([(5_000_000, "a")], [(1_234_567, "x"), (3_700_000, "y")], txid="t")
    full = ShapeIndex([no_style, _spender("s0", ("t", 0), 1, 0), _spender("s1", ("t", 1), 2, 9)])
    assert change.locktime_fingerprint(no_style, full) is None


# --- peel_shape ------------------------------------------------------------------------------


def _peel_pair(onward_outs):
    tx = shape([(10_000_000, "a")], [(120_000, "payee"), (9_870_000, "rest")], txid="t")
    onward = shape([(9_870_000, "rest")], onward_outs, txid="n", prevouts=[("t", 1)])
    return tx, ShapeIndex([tx, onward])


def test_peel_shape_follows_the_remainder():
    tx, ctx = _peel_pair([(150_000, "payee2"), (9_710_000, "rest2")])
    vote = change.peel_shape(tx, ctx)
    assert vote is not None and vote.index == 1


def test_peel_shape_abstains():
    tx, swept = _peel_pair([(9_860_000, "exchange")])
    assert change.peel_shape(tx, swept) is None
    assert change.peel_shape(tx, None) is None
    _, ctx = _peel_pair([(150_000, "payee2"), (9_710_000, "rest2")])
    dust = shape([(10_000_000, "a")], [(546, "ord"), (9_990_000, "rest")], txid="t")
    even = shape([(10_000_000, "a")], [(4_000_000, "x"), (5_990_000, "rest")], txid="t")
    assert change.peel_shape(dust, ctx) is None
    assert change.peel_shape(even, ctx) is None
    assert change.peel_split(dust, min_peel=500) == (0, 1)


# --- combiner --------------------------------------------------------------------------------


def test_combiner_lists_agreeing_and_disagreeing_heuristics():
    # script type, round payment and optimal change say output 1; one-time change says 0
    tx = shape([(3_000_000, "a"), (2_500_000, "b")], [(3_000_000, "fresh"), (2_345_678, "ch")],
               txid="t", types=[PKH, WPKH], in_types=[WPKH, WPKH])  # fmt: skip
    ctx = ShapeIndex([payer("p", [(1, "ch")]), tx], history_from=0)
    ann = change.annotate(tx, ctx)
    assert ann is not None and ann.index == 1
    assert ann.heuristics == ("script_type", "round_value", "optimal_change")
    assert ann.disagreeing == ("one_time_change",)
    expected = (1 - 0.6 * 0.5 * 0.6) * (1 - 0.5)  # noisy-OR for, times (1 - noisy-OR against)
    assert ann.confidence == round(100 * expected)
    assert ann.skipped == ()
    js = ann.to_json()
    assert js["heuristics"] == ["script_type", "round_value", "optimal_change"]
    assert js["disagreeing"] == ["one_time_change"] and js["method"] == change.METHOD
    assert [v["heuristic"] for v in js["votes"]] == [
        "one_time_change", "script_type", "round_value", "optimal_change"
    ]  # fmt: skip


def test_two_signals_beat_one_and_skipped_heuristics_are_named():
    outs = [(1_000_000, "shop"), (2_345_678, "me")]
    one = change.annotate(shape([(5_000_000, "a")], outs))
    two = change.annotate(shape([(5_000_000, "a")], outs, types=[PKH, WPKH], in_types=[WPKH]))
    assert one is not None and two is not None and two.confidence > one.confidence
    assert one.skipped == change.NEEDS_CONTEXT


def test_tie_claims_nothing():
    # round payment (10^5: 40) says output 1, optimal change (40) says output 0
    tx = shape([(3_000_000, "a"), (2_500_000, "b")], [(1_900_000, "x"), (3_587_654, "y")])
    assert [v.heuristic for v in change.votes(tx)] == ["round_value", "optimal_change"]
    assert change.annotate(tx) is None


def test_no_votes_no_annotation():
    assert change.annotate(shape([(5_000_000, "a")], [(1_234_567, "x"), (3_700_001, "y")])) is None


def test_coinbase_and_single_output_are_never_annotated():
    cb = shape([(None, None)], [(625_123_456, "miner"), (100_000_000, "pool")], coinbase=True)
    assert change.votes(cb) != [] and change.annotate(cb) is None
    assert change.annotate(shape([(5_000_000, "a")], [(4_990_000, "a")])) is None


def test_coinjoin_is_never_annotated():
    # Wasabi 1.x shape; one participant's change goes back to its own input address
    n = 30
    ins = [(BTC // 10 + 2_000_000 + i, f"in{i}") for i in range(n)]
    outs = [(BTC // 10, f"mix{i}") for i in range(n)] + [
        (1_990_000 + i, f"ch{i}") for i in range(n)
    ]
    outs[-1] = (outs[-1][0], "in0")
    tx = shape(ins, outs, height=600_000)
    assert [v.heuristic for v in change.votes(tx)] == ["self_send"]
    assert change.annotate(tx) is None


def test_exchange_batch_payout_claims_no_change():
    # one hot-wallet input, 24 withdrawals to fresh customer addresses of mixed types, and the
    # exchange's own fresh change output: nothing singles the change out
    types = [WPKH, PKH, SH, "witness_v1_taproot"]
    outs = [(1_000_000 * (i % 7 + 1) + 13 * i, f"cust{i}") for i in range(24)]
    outs.append((187_654_321, "hot-change"))
    out_types = [types[i % 4] for i in range(24)] + [WPKH]
    tx = shape([(BTC * 2, "hot")], outs, txid="batch", types=out_types, in_types=[WPKH])
    ctx = ShapeIndex([tx], history_from=0)
    assert change.votes(tx, ctx) == []
    assert change.annotate(tx, ctx) is None


def test_bad_shape_is_a_clear_error():
    tx = TxShape("bad", 1, False, (1,), ("a",), (1, 2), ("x",), (WPKH, WPKH))
    with pytest.raises(InvalidInputError, match="tx bad: input/output columns"):
        change.annotate(tx)


# --- properties ------------------------------------------------------------------------------

values = st.sampled_from([546, 1_000, 12_345, 100_000, 1_000_000, 2_345_678, 50_000_000, 7 * BTC])
kinds = st.sampled_from([WPKH, PKH, SH])


@given(
    ins=st.lists(st.tuples(values, st.sampled_from("abc"), kinds), min_size=1, max_size=3),
    outs=st.lists(st.tuples(values, st.sampled_from(["a", "x", "y", "z"]), kinds), min_size=2,
                  max_size=4),
    rotate=st.integers(0, 3),
)  # fmt: skip
def test_annotation_follows_the_outputs_when_they_are_reordered(ins, outs, rotate):
    def build(o):
        return shape([(v, a) for v, a, _ in ins], [(v, a) for v, a, _ in o],
                     types=[t for *_, t in o], in_types=[t for *_, t in ins])  # fmt: skip

    k = rotate % len(outs)
    moved = outs[k:] + outs[:k]
    before, after = change.annotate(build(outs)), change.annotate(build(moved))
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert moved[after.index] == outs[before.index]
        assert (after.confidence, sorted(after.heuristics)) == (
            before.confidence, sorted(before.heuristics)
        )  # fmt: skip
        assert 0 < before.confidence <= 100


# --- a real block ----------------------------------------------------------------------------


def _block_shapes() -> list[TxShape]:
    """Block 413,567's txs, inputs resolved where they spend an output of the same block."""
    block = Block.parse(BLOCK.read_bytes())
    made: dict[tuple[str, int], tuple[int, str | None, str]] = {}
    shapes = []
    for index, tx in enumerate(block.txs):
        kinds = [classify(o.script) for o in tx.outputs]
        addrs = [
            script_to_address(o.script, script_type=k).address
            for o, k in zip(tx.outputs, kinds, strict=True)
        ]
        prev = [None if i.is_coinbase else (i.prev_txid_hex, i.prev_vout) for i in tx.inputs]
        got = [made.get(p) if p else None for p in prev]
        shapes.append(TxShape(
            tx.txid, 413_567, tx.is_coinbase, tuple(g[0] if g else None for g in got),
            tuple(g[1] if g else None for g in got), tuple(o.value for o in tx.outputs),
            tuple(addrs), tuple(kinds), index, tx.version, tx.locktime,
            tuple(g[2] if g else None for g in got), tuple(prev),
        ))  # fmt: skip
        for vout, (o, a, k) in enumerate(zip(tx.outputs, addrs, kinds, strict=True)):
            made[(tx.txid, vout)] = (o.value, a, k)
    return shapes


def test_real_block_annotations_are_consistent_and_deterministic():
    shapes = _block_shapes()
    ctx = ShapeIndex(shapes, history_from=413_567)  # one block: no address can be called new
    first = [change.annotate(s, ctx) for s in shapes]
    assert first[0] is None  # coinbase
    annotated = [(s, a) for s, a in zip(shapes, first, strict=True) if a is not None]
    assert len(annotated) > 100
    for s, a in annotated:
        assert s.output_types[a.index] != "nulldata" and 0 < a.confidence <= 100
        assert "one_time_change" not in a.heuristics + a.disagreeing
        if "self_send" in a.heuristics:  # checked from the raw fields, not the heuristic
            assert s.output_addresses[a.index] in set(s.input_addresses)
    again = [change.annotate(s, ctx) for s in shapes]
    dump = [json.dumps(a.to_json() if a else None, sort_keys=True) for a in first]
    assert dump == [json.dumps(a.to_json() if a else None, sort_keys=True) for a in again]


@pytest.fixture(scope="module")
def block_store(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("change") / "store")
    store.ingest(read_block_batches([BLOCK]))
    return store


def test_store_context_agrees_with_the_codecs(block_store):
    shapes = _block_shapes()
    index = ShapeIndex(shapes, history_from=413_567)
    # every 100th tx, plus 15 whose outputs are spent inside the block (spending_tx hits)
    spent = [s for s in shapes if any(index.spending_tx(s.txid, v) for v in range(s.n_out))]
    sample = shapes[::100] + spent[:15]
    used: set[str] = set()
    with change.StoreContext(block_store) as ctx:
        assert ctx.history_from == 413_567
        assert ctx.load("00" * 32) is None
        for s in sample:
            assert ctx.load(s.txid) == s
            for a in s.output_addresses:
                if a is not None:
                    assert ctx.first_seen(a) == index.first_seen(a), a
            for vout in range(s.n_out):
                ours, theirs = ctx.spending_tx(s.txid, vout), index.spending_tx(s.txid, vout)
                assert (ours and ours.txid) == (theirs and theirs.txid)
            ann, ref = change.annotate(s, ctx), change.annotate(s, index)
            assert (ann and ann.to_json()) == (ref and ref.to_json())
            used.update(ann.heuristics if ann else ())
    assert "peel_shape" in used  # a context-dependent rule ran on store lookups
    assert len(spent) > 50
    info = block_store.tx(shapes[5].txid)
    assert change.shape_from_tx(info) == shapes[5]
