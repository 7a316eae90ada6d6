"""CoinJoin detectors. Each is a documented heuristic with a confidence (0-100), never a fact.

Rules follow Dumplings (nopara73) and GraphSense (graphsense-lib PR #76), see
``docs/methods/clustering.md``. Activation heights apply on mainnet only (``mainnet=True``) so
simulated regtest chains are judged by shape alone. Exchange batch payouts are rejected by the
requirement that distinct input addresses be at least the number of equal outputs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledgerhound.cluster.txshape import TxShape

BTC = 100_000_000
WHIRLPOOL_POOLS = (100_000, 1_000_000, 5_000_000, 50_000_000)
WASABI1_COORDINATORS = frozenset(
    {"bc1qs604c7jv6amk4cxqlnvuxv26hv3e48cds4m0ew", "bc1qa24tsgchvuxsaccp8vrnkfd85hrcpafg20kmjw"}
)
ACTIVATION = {"wasabi1": 530_500, "whirlpool": 570_000, "joinmarket": 392_300, "wasabi2": 740_000}


@dataclass(frozen=True)
class CoinJoinVerdict:
    protocol: str  # wasabi1 | wasabi2 | whirlpool | whirlpool_tx0 | joinmarket | generic
    confidence: int
    rule: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _equal_groups(values: tuple[int, ...], min_count: int = 2) -> list[tuple[int, int]]:
    """``(value, count)`` of output values seen at least ``min_count`` times, most first."""
    counts = Counter(values)
    groups = [(v, c) for v, c in counts.items() if c >= min_count]
    return sorted(groups, key=lambda vc: (-vc[1], -vc[0]))


def _distinct(addresses: tuple[str | None, ...]) -> int:
    return len({a for a in addresses if a is not None})


def _active(tx: TxShape, protocol: str, mainnet: bool) -> bool:
    return not mainnet or tx.height is None or tx.height >= ACTIVATION[protocol]


def whirlpool(tx: TxShape, mainnet: bool = True) -> CoinJoinVerdict | None:
    """Exactly 5 inputs and 5 outputs, all outputs equal to a pool denomination."""
    if tx.n_in != 5 or tx.n_out != 5 or len(set(tx.output_values)) != 1:
        return None
    value = tx.output_values[0]
    if value not in WHIRLPOOL_POOLS or not _active(tx, "whirlpool", mainnet):
        return None
    if _distinct(tx.output_addresses) != 5:
        return None
    return CoinJoinVerdict(
        "whirlpool", 60, "5 inputs, 5 equal outputs at a Whirlpool pool size", {"pool": value}
    )


def whirlpool_tx0(tx: TxShape, mainnet: bool = True) -> CoinJoinVerdict | None:
    """Premix: OP_RETURN plus 1-70 equal outputs just above a pool size (fee margin)."""
    if "nulldata" not in tx.output_types or not _active(tx, "whirlpool", mainnet):
        return None
    for value, count in _equal_groups(tx.output_values, 1):
        pool = next((p for p in WHIRLPOOL_POOLS if p < value <= p + p // 10), None)
        if pool is not None and count <= 70 and (count >= 2 or tx.n_out <= 4):
            return CoinJoinVerdict(
                "whirlpool_tx0", 60, "OP_RETURN and premix outputs just above a pool size",
                {"pool": pool, "premix_value": value, "premix_outputs": count},
            )  # fmt: skip
    return None


def wasabi1(tx: TxShape, mainnet: bool = True) -> CoinJoinVerdict | None:
    """Wasabi 1.x: >= 10 equal outputs near 0.1 BTC (or 2^i x 0.1 BTC levels), inputs >= count."""
    if not _active(tx, "wasabi1", mainnet):
        return None
    coordinator = any(a in WASABI1_COORDINATORS for a in tx.output_addresses)
    groups = _equal_groups(tx.output_values)
    if not groups:
        return None
    value, count = groups[0]
    levels = [BTC // 10 * 2**i for i in range(6)]
    near = any(abs(value - lvl) <= lvl // 5 for lvl in levels)
    if not near or tx.n_in < count or _distinct(tx.input_addresses) < count:
        return None
    if count < 10 and not (coordinator and count > 2):
        return None
    confidence = min(100, 50 + 2 * (count - 10) + (30 if coordinator else 0))
    return CoinJoinVerdict(
        "wasabi1", max(50, confidence), "equal outputs near 0.1 BTC levels, count >= 10",
        {"denomination": value, "equal_outputs": count, "coordinator_output": coordinator},
    )  # fmt: skip


def _wabisabi_denominations() -> frozenset[int]:
    """Standard WabiSabi output amounts: 2^n, 3^n, 2*3^n, 10^n, 2*10^n, 5*10^n satoshis >= 5,000."""
    values: set[int] = set()
    for n in range(45):
        values.update({2**n, 3**n, 2 * 3**n} if n < 28 else {2**n})
    for n in range(15):
        values.update({10**n, 2 * 10**n, 5 * 10**n})
    return frozenset(v for v in values if 5_000 <= v <= 1_374_389_534_720)


WABISABI_DENOMINATIONS = _wabisabi_denominations()


def wasabi2(tx: TxShape, mainnet: bool = True) -> CoinJoinVerdict | None:
    """WabiSabi: >= 50 inputs, most outputs at standard denominations, no dominant input owner."""
    if tx.n_in < 50 or not _active(tx, "wasabi2", mainnet):
        return None
    if min(tx.output_values, default=0) < 5_000:
        return None
    standard = sum(v in WABISABI_DENOMINATIONS for v in tx.output_values)
    owners = Counter(a for a in tx.input_addresses if a is not None)
    top_share = max(owners.values(), default=0) / tx.n_in
    if standard * 2 < tx.n_out or top_share > 0.10:
        return None
    return CoinJoinVerdict(
        "wasabi2", 60, ">= 50 inputs, majority of outputs at WabiSabi standard denominations",
        {"inputs": tx.n_in, "standard_outputs": standard, "top_input_owner_share": top_share},
    )  # fmt: skip


def joinmarket(tx: TxShape, mainnet: bool = True) -> CoinJoinVerdict | None:
    """Most frequent value n >= 2 times, n or n-1 other outputs, no input beyond a share + fee."""
    if not _active(tx, "joinmarket", mainnet):
        return None
    groups = _equal_groups(tx.output_values)
    if not groups or (len(groups) > 1 and groups[1][1] == groups[0][1]):
        return None  # the denomination must be the one most frequent value
    value, count = groups[0]
    others = [v for v in tx.output_values if v != value]
    if len(others) not in (count, count - 1) or count < 2:
        return None
    if _distinct(tx.output_addresses) < count or _distinct(tx.input_addresses) < count:
        return None
    known_inputs = [v for v in tx.input_values if v is not None]
    if len(known_inputs) != tx.n_in:
        return None  # the cost bound needs every input value
    # No single participant can fund more than one denomination plus the largest change plus
    # the whole fee: a larger input means the equal outputs are not independent participants'.
    fee = sum(known_inputs) - sum(tx.output_values)
    if max(known_inputs) > value + max(others, default=0) + max(fee, 0):
        return None
    return CoinJoinVerdict(
        "joinmarket", 20 if count == 2 else 49, "one equal-output group with matching change",
        {"denomination": value, "equal_outputs": count, "change_outputs": len(others)},
    )  # fmt: skip


DUST = 546


def generic(tx: TxShape, mainnet: bool = True) -> CoinJoinVerdict | None:
    """BlockSci ``isCoinjoin`` (as GraphSense ingests it): >= 2 inputs, >= 3 outputs,
    participants = ceil(outputs / 2) <= inputs and <= distinct input addresses, and the most
    common non-dust output value occurs exactly ``participants`` times."""
    if tx.n_in < 2 or tx.n_out < 3:
        return None
    participants = (tx.n_out + 1) // 2
    if participants > tx.n_in or participants > _distinct(tx.input_addresses):
        return None
    counts = Counter(v for v in tx.output_values if v > DUST)
    if not counts:
        return None
    value, count = max(counts.items(), key=lambda vc: (vc[1], vc[0]))
    if count != participants:
        return None
    return CoinJoinVerdict(
        "generic", 15, "equal-output rule: ceil(outputs/2) participants share one value",
        {"denomination": value, "participants": participants},
    )  # fmt: skip


DETECTORS: tuple[Callable[[TxShape, bool], CoinJoinVerdict | None], ...] = (
    whirlpool,
    wasabi2,
    wasabi1,
    whirlpool_tx0,
    joinmarket,
    generic,
)


def detect(tx: TxShape, mainnet: bool = True) -> CoinJoinVerdict | None:
    """The most confident CoinJoin verdict for ``tx``, or None. Coinbases are never CoinJoins."""
    if tx.is_coinbase or tx.n_in < 2 and not whirlpool_tx0(tx, mainnet):
        return None
    verdicts = [v for d in DETECTORS if (v := d(tx, mainnet)) is not None]
    return max(verdicts, key=lambda v: v.confidence, default=None)
