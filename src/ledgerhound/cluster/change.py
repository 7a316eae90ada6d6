"""Change-output annotations: which output of a transaction most likely went back to the payer.

Each rule is a small heuristic returning one output index with a fixed prior confidence (0-100),
never a fact; only ``self_send`` (an output pays an input's own address) is certain. Rules follow
BlockSci ``heuristics.change.*`` (Kalodner et al. 2020), Meiklejohn et al. 2013 (one-time change),
Nick 2015 (optimal change) and GraphSense's consensus view; see ``docs/methods/change.md``.

Annotations never apply to coinbases or to transactions ``cluster.coinjoin.detect`` flags: their
"change" is meaningless. Heuristics that need the rest of the chain (first appearance of an
address, the tx spending an output) read it through :class:`ChangeContext` and abstain without it.
Outputs are considered in index order and every tie abstains, so results are deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from ledgerhound.cluster import coinjoin
from ledgerhound.cluster.txshape import TxShape
from ledgerhound.errors import InvalidInputError

METHOD = "change heuristics v1 (BlockSci/GraphSense rules, noisy-OR combination)"
MIN_PEEL = 1_000  # satoshis; smaller "peels" are token/inscription dust (typologies.md 7.2)
PEEL_RATIO = 2  # the remainder must be at least this many times the peel
ROUND_DIGITS = 5  # a payment is "round" when a multiple of 10^5 sat (0.001 BTC) or coarser
LOCKTIME_THRESHOLD = 500_000_000  # nLockTime below this is a height, above a unix time

Position = tuple[int, int]  # (height, index in block): chain order


class ChangeContext(Protocol):
    """What the context-dependent heuristics need from the chain; ``None`` means unknown.

    ``history_from`` is the lowest height from which the context holds every transaction (0:
    from genesis; None: unknown). An address can only be called *new* when it is 0: a window that
    starts mid-chain cannot know what was paid before it.
    """

    history_from: int | None

    def first_seen(self, address: str) -> Position | None:
        """(height, tx_index) of the first transaction that paid ``address``."""
        ...

    def spending_tx(self, txid: str, vout: int) -> TxShape | None:
        """The transaction spending output ``txid:vout``; None when unspent or unknown."""
        ...


@dataclass(frozen=True)
class ChangeVote:
    """One heuristic's claim that output ``index`` is change."""

    heuristic: str
    index: int
    confidence: int
    rule: str

    def to_json(self) -> dict[str, Any]:
        return {"heuristic": self.heuristic, "index": self.index,
                "confidence": self.confidence, "rule": self.rule}  # fmt: skip


@dataclass(frozen=True)
class ChangeAnnotation:
    """The combined verdict: output ``index`` is change, with the votes for and against it."""

    txid: str
    index: int
    confidence: int
    heuristics: tuple[str, ...]  # agreeing, in HEURISTICS order
    disagreeing: tuple[str, ...]  # voted for another output
    votes: tuple[ChangeVote, ...] = ()
    skipped: tuple[str, ...] = ()  # not applied: no chain context
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "confidence": self.confidence,
            "heuristics": list(self.heuristics),
            "disagreeing": list(self.disagreeing),
            "votes": [v.to_json() for v in self.votes],
            "skipped": list(self.skipped),
            "method": METHOD,
            "params": dict(self.params),
        }


def _candidates(tx: TxShape) -> list[int]:
    """Output indexes that could be change: everything except OP_RETURN data carriers."""
    return [i for i, t in enumerate(tx.output_types) if t != "nulldata"]


def _only(indexes: list[int]) -> int | None:
    return indexes[0] if len(indexes) == 1 else None


def self_send(tx: TxShape, ctx: ChangeContext | None = None) -> ChangeVote | None:
    """Address reuse: exactly one output pays an address the inputs spend from (certain)."""
    own = {a for a in tx.input_addresses if a is not None}
    cands = _candidates(tx)
    hits = [i for i in cands if tx.output_addresses[i] in own]
    index = _only(hits)
    if index is None or len(cands) < 2:
        return None
    return ChangeVote("self_send", index, 100, "output pays an address the inputs spend from")


def _position(tx: TxShape) -> Position | None:
    if tx.height is None:
        return None
    return (tx.height, -1 if tx.tx_index is None else tx.tx_index)


def _fresh(tx: TxShape, address: str | None, ctx: ChangeContext) -> bool | None:
    """True: first paid by this tx; False: paid before it; None: cannot tell."""
    here, seen = _position(tx), (ctx.first_seen(address) if address is not None else None)
    if here is None or seen is None:
        return None
    if seen[0] != here[0]:
        return False if seen[0] < here[0] else None
    if here[1] < 0:
        return None  # same block, order unknown
    return False if seen[1] < here[1] else (True if seen[1] == here[1] else None)


def one_time_change(tx: TxShape, ctx: ChangeContext | None = None) -> ChangeVote | None:
    """Exactly one output's address is new in this tx; every other output's was seen before."""
    if ctx is None or ctx.history_from != 0:
        return None
    cands = _candidates(tx)
    fresh = [_fresh(tx, tx.output_addresses[i], ctx) for i in cands]
    if len(cands) < 2 or None in fresh or fresh.count(True) != 1:
        return None
    index = cands[fresh.index(True)]
    return ChangeVote("one_time_change", index, 50, "only output to a never-seen address")


def script_type(tx: TxShape, ctx: ChangeContext | None = None) -> ChangeVote | None:
    """Two outputs, exactly one of the script type that every input spends (same wallet)."""
    types = set(tx.input_types or ())
    cands = _candidates(tx)
    if len(cands) != 2 or len(types) != 1 or None in types:
        return None
    (kind,) = types
    index = _only([i for i in cands if tx.output_types[i] == kind])
    if index is None:
        return None
    return ChangeVote("script_type", index, 40, f"only output of the inputs' type {kind}")


def _zeros(value: int) -> int:
    """Trailing decimal zeros of a satoshi amount (0 has none: it is not a payment)."""
    count = 0
    while value and value % 10 == 0:
        value //= 10
        count += 1
    return count


def round_value(tx: TxShape, ctx: ChangeContext | None = None) -> ChangeVote | None:
    """Two outputs, one a round payment (multiple of 10^5 sat or coarser): the other is change."""
    cands = _candidates(tx)
    if len(cands) != 2:
        return None
    zeros = [_zeros(tx.output_values[i]) for i in cands]
    rounds = [z >= ROUND_DIGITS for z in zeros]
    if rounds.count(True) != 1:
        return None
    payment = zeros[rounds.index(True)]
    confidence = min(60, 10 * payment - 10)  # 10^5: 40, 10^6: 50, 10^7 and coarser: 60
    index = cands[rounds.index(False)]
    return ChangeVote(
        "round_value", index, confidence, f"other output is a multiple of 10^{payment}"
    )


def optimal_change(tx: TxShape, ctx: ChangeContext | None = None) -> ChangeVote | None:
    """Exactly one output is smaller than every input (else an input was unnecessary)."""
    values = tx.input_values
    cands = _candidates(tx)
    if len(cands) < 2 or not values or None in values:
        return None
    smallest = min(v for v in values if v is not None)
    index = _only([i for i in cands if tx.output_values[i] < smallest])
    if index is None:
        return None
    return ChangeVote("optimal_change", index, 40, "only output smaller than every input")


def fingerprint(tx: TxShape) -> tuple[int, str] | None:
    """Wallet style: nVersion and whether nLockTime is unset, a height or a time."""
    if tx.version is None or tx.locktime is None:
        return None
    kind = "none" if tx.locktime == 0 else "height"
    kind = "time" if tx.locktime >= LOCKTIME_THRESHOLD else kind
    return (tx.version, kind)


def locktime_fingerprint(tx: TxShape, ctx: ChangeContext | None = None) -> ChangeVote | None:
    """Two outputs spent by txs of which exactly one shares this tx's nVersion/nLockTime style."""
    own = fingerprint(tx)
    cands = _candidates(tx)
    if ctx is None or own is None or len(cands) != 2:
        return None
    spenders = [ctx.spending_tx(tx.txid, i) for i in cands]
    prints = [fingerprint(s) if s is not None else None for s in spenders]
    if None in prints:
        return None  # unspent or unknown: no evidence either way
    index = _only([i for i, p in zip(cands, prints, strict=True) if p == own])
    if index is None:
        return None
    rule = f"only output spent in the same style (version {own[0]}, locktime {own[1]})"
    return ChangeVote("locktime_fingerprint", index, 30, rule)


def peel_split(
    tx: TxShape, min_peel: int = MIN_PEEL, ratio: int = PEEL_RATIO
) -> tuple[int, int] | None:
    """``(peel, remainder)`` output indexes if ``tx`` has peel-chain shape, else None.

    Shape: 1-2 inputs, exactly 2 outputs (no OP_RETURN), the smaller at least ``min_peel`` sat
    and the larger at least ``ratio`` times the smaller.
    """
    if tx.is_coinbase or tx.n_in not in (1, 2) or tx.n_out != 2 or len(_candidates(tx)) != 2:
        return None
    small, large = sorted((0, 1), key=lambda i: tx.output_values[i])
    if tx.output_values[small] < min_peel:
        return None
    if tx.output_values[large] < ratio * tx.output_values[small]:
        return None
    return small, large


def peel_shape(tx: TxShape, ctx: ChangeContext | None = None) -> ChangeVote | None:
    """Peel-chain shape, and the large remainder is spent onward in the same shape."""
    split = peel_split(tx)
    if ctx is None or split is None:
        return None
    onward = ctx.spending_tx(tx.txid, split[1])
    if onward is None or peel_split(onward) is None or coinjoin.detect(onward) is not None:
        return None
    return ChangeVote("peel_shape", split[1], 40, "large remainder spent onward as a peel step")


Heuristic = Callable[[TxShape, ChangeContext | None], ChangeVote | None]
HEURISTICS: tuple[Heuristic, ...] = (
    self_send,
    one_time_change,
    script_type,
    round_value,
    optimal_change,
    locktime_fingerprint,
    peel_shape,
)
NEEDS_CONTEXT = ("one_time_change", "locktime_fingerprint", "peel_shape")


def check_shape(tx: TxShape) -> None:
    """Reject a TxShape whose per-input or per-output columns disagree in length."""
    outs = {len(tx.output_values), len(tx.output_addresses), len(tx.output_types)}
    ins = {len(tx.input_values), len(tx.input_addresses)}
    ins |= {len(x) for x in (tx.input_types, tx.input_prevouts) if x is not None}
    if len(outs) != 1 or len(ins) != 1:
        raise InvalidInputError(
            f"tx {tx.txid}: input/output columns have different lengths", txid=tx.txid
        )


def votes(tx: TxShape, ctx: ChangeContext | None = None) -> list[ChangeVote]:
    """Every heuristic's vote for ``tx`` (abstentions left out), in HEURISTICS order."""
    check_shape(tx)
    return [v for h in HEURISTICS if (v := h(tx, ctx)) is not None]


def _noisy_or(confidences: Iterable[int]) -> float:
    """P(at least one right) if the votes were independent: 1 - prod(1 - c)."""
    miss = 1.0
    for c in confidences:
        miss *= 1 - c / 100
    return 1 - miss


def combine(
    tx: TxShape, cast: list[ChangeVote], skipped: tuple[str, ...] = ()
) -> ChangeAnnotation | None:
    """The output the votes favour, or None when nobody voted or two outputs tie.

    Score per output = noisy-OR of its votes; confidence = score x (1 - noisy-OR of the votes
    for other outputs), so disagreement lowers it. A self-send is certain: confidence 100.
    """
    scores: dict[int, float] = {}
    for index in sorted({v.index for v in cast}):
        scores[index] = _noisy_or(v.confidence for v in cast if v.index == index)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    best = ranked[0][0]
    agree = [v for v in cast if v.index == best]
    against = [v for v in cast if v.index != best]
    certain = any(v.heuristic == "self_send" for v in agree)
    score = 1.0 if certain else scores[best] * (1 - _noisy_or(v.confidence for v in against))
    return ChangeAnnotation(
        tx.txid, best, round(100 * score), tuple(v.heuristic for v in agree),
        tuple(v.heuristic for v in against), tuple(cast), skipped,
        {"min_peel": MIN_PEEL, "peel_ratio": PEEL_RATIO, "round_digits": ROUND_DIGITS},
    )  # fmt: skip


def annotate(
    tx: TxShape, ctx: ChangeContext | None = None, *, mainnet: bool = True
) -> ChangeAnnotation | None:
    """The change annotation of ``tx``, or None (coinbase, CoinJoin, < 2 outputs, no claim)."""
    check_shape(tx)
    if tx.is_coinbase or len(_candidates(tx)) < 2 or coinjoin.detect(tx, mainnet) is not None:
        return None
    skipped = NEEDS_CONTEXT if ctx is None else ()
    return combine(tx, votes(tx, ctx), skipped)


class ShapeIndex:
    """An in-memory :class:`ChangeContext` over TxShapes given in chain order.

    Needs ``height`` and ``tx_index`` for first appearances and ``input_prevouts`` for spends;
    meant for neighbourhoods, tests and simulated chains, not the whole chain. Pass
    ``history_from=0`` only when ``txs`` really start at genesis (see :class:`ChangeContext`).
    """

    def __init__(self, txs: Iterable[TxShape] = (), *, history_from: int | None = None) -> None:
        self.history_from = history_from
        self._first: dict[str, Position] = {}
        self._spent: dict[tuple[str, int], TxShape] = {}
        self._txs: dict[str, TxShape] = {}
        for tx in txs:
            self.add(tx)

    def add(self, tx: TxShape) -> None:
        check_shape(tx)
        self._txs[tx.txid] = tx
        here = _position(tx)
        if here is not None and here[1] >= 0:
            for address in tx.output_addresses:
                if address is not None and here < self._first.get(address, (2**31, 0)):
                    self._first[address] = here
        for prevout in tx.input_prevouts or ():
            if prevout is not None:
                self._spent.setdefault(prevout, tx)

    def tx(self, txid: str) -> TxShape | None:
        return self._txs.get(txid)

    def first_seen(self, address: str) -> Position | None:
        return self._first.get(address)

    def spending_tx(self, txid: str, vout: int) -> TxShape | None:
        return self._spent.get((txid, vout))


# --- the store as a context ------------------------------------------------------------------


def shape_from_tx(info: dict[str, Any]) -> TxShape:
    """A TxShape with every optional field from ``Store.tx``'s answer (what ``tx --json`` shows)."""
    ins, outs = info["inputs"], info["outputs"]
    return TxShape(
        txid=info["txid"],
        height=info.get("height"),
        is_coinbase=bool(info.get("is_coinbase")),
        input_values=tuple(i["value"] for i in ins),
        input_addresses=tuple(i["address"] for i in ins),
        output_values=tuple(o["value"] for o in outs),
        output_addresses=tuple(o["address"] for o in outs),
        output_types=tuple(o["script_type"] for o in outs),
        tx_index=info.get("tx_index"),
        version=info.get("version"),
        locktime=info.get("locktime"),
        input_types=tuple(i["script_type"] for i in ins),
        input_prevouts=tuple(
            None if i["prev_txid"] is None else (i["prev_txid"], int(i["prev_vout"])) for i in ins
        ),
    )


def shape_from_rows(tx: tuple, ins: list[tuple], outs: list[tuple]) -> TxShape:
    """A TxShape from store rows: ``tx`` = (txid, height, tx_index, version, locktime,
    is_coinbase); ``ins`` = (prev_value, prev_address, prev_script_type, prev_txid, prev_vout);
    ``outs`` = (value, address, script_type), both in index order."""
    txid, height, index, version, locktime, coinbase = tx
    return TxShape(
        txid, height, bool(coinbase), tuple(i[0] for i in ins), tuple(i[1] for i in ins),
        tuple(o[0] for o in outs), tuple(o[1] for o in outs), tuple(o[2] for o in outs),
        index, version, locktime, tuple(i[2] for i in ins),
        tuple(None if i[3] is None else (i[3], int(i[4])) for i in ins),
    )  # fmt: skip


_TX_SQL = """SELECT height, tx_index, version, locktime, is_coinbase FROM transactions
             WHERE txid = ? AND height IS NOT NULL ORDER BY height LIMIT 1"""
_INS_SQL = """SELECT prev_value, prev_address, prev_script_type, prev_txid, prev_vout FROM inputs
              WHERE txid = ? AND height = ? QUALIFY row_number() OVER (PARTITION BY vin) = 1
              ORDER BY vin"""
_OUTS_SQL = """SELECT value, address, script_type FROM outputs
               WHERE txid = ? AND height = ? QUALIFY row_number() OVER (PARTITION BY vout) = 1
               ORDER BY vout"""
_FIRST_SQL = """SELECT o.height, t.tx_index FROM outputs o
                JOIN transactions t ON t.txid = o.txid AND t.height = o.height
                WHERE o.address = ?
                  AND o.height = (SELECT first_height FROM addresses WHERE address = ?)
                ORDER BY t.tx_index LIMIT 1"""
_SPENT_SQL = """SELECT txid FROM inputs WHERE prev_txid = ? AND prev_vout = ?
                AND height IS NOT NULL ORDER BY height LIMIT 1"""


class StoreContext:
    """A :class:`ChangeContext` over a ledgerhound ``Store`` (main-chain rows only).

    One DuckDB query per lookup: right for annotating a few transactions (``ledgerhound tx``),
    too slow for the whole chain. ``history_from`` is the store's lowest height.
    """

    def __init__(self, store: Any) -> None:
        self._con = store.connect()
        self.history_from: int | None = store.manifest().height_range()[0]

    def __enter__(self) -> StoreContext:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.close()

    def close(self) -> None:
        self._con.close()

    def load(self, txid: str) -> TxShape | None:
        """The main-chain transaction ``txid`` as a TxShape, or None if the store lacks it."""
        row = self._con.execute(_TX_SQL, [txid]).fetchone()
        if row is None:
            return None
        height, index, version, locktime, coinbase = row
        ins = self._con.execute(_INS_SQL, [txid, height]).fetchall()
        outs = self._con.execute(_OUTS_SQL, [txid, height]).fetchall()
        return shape_from_rows((txid, height, index, version, locktime, coinbase), ins, outs)

    def first_seen(self, address: str) -> Position | None:
        row = self._con.execute(_FIRST_SQL, [address, address]).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def spending_tx(self, txid: str, vout: int) -> TxShape | None:
        row = self._con.execute(_SPENT_SQL, [txid, vout]).fetchone()
        return None if row is None else self.load(row[0])
