"""Peel chains: follow a large remainder hop by hop while small "peels" go to payees.

A peel step is a 1-2 input, 2-output transaction whose smaller output (>= ``min_peel`` sat) pays
someone and whose larger output (>= ``ratio`` x the peel) is the remainder, spent by the next step
(typologies.md 7.2; Kappos et al. 2022, "How to Peel a Million"). Dust-sized peels (< 1,000 sat by
default) are token or inscription transfers, not peels, and end the chain. The walk stops at the
first transaction that is not a peel step and says why (``END_REASONS``); a category lookup names
known services (e.g. an exchange) among the payees and at the end. A heuristic, never a fact: the
chain's confidence grows with the number of consecutive steps of the same shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ledgerhound.cluster import coinjoin
from ledgerhound.cluster.change import MIN_PEEL, PEEL_RATIO, check_shape, peel_split
from ledgerhound.cluster.txshape import TxShape
from ledgerhound.errors import InvalidInputError

METHOD = "peel chain v1 (1-2 inputs, 2 outputs, remainder followed onward)"
MAX_LENGTH = 1_000

END_REASONS = {
    "unspent": "the remainder is unspent (or its spender is not in the store)",
    "known_service": "the next transaction pays an address with a known category (cash-out)",
    "coinjoin": "the next transaction is a CoinJoin",
    "merged": "the next transaction spends more than 2 inputs (consolidation)",
    "swept": "the next transaction has a single output",
    "split": "the next transaction has more than 2 outputs",
    "dust_peel": "the next transaction's smaller output is below min_peel",
    "even_split": "the next transaction's outputs are too close in value to call a remainder",
    "max_length": "the walk reached max_length steps",
    "cycle": "the spend index returned a transaction already visited",
}

Category = Callable[[str], str | None]


class SpendIndex(Protocol):
    """Forward links of the chain (any :class:`~ledgerhound.cluster.change.ChangeContext`)."""

    def spending_tx(self, txid: str, vout: int) -> TxShape | None: ...


@dataclass(frozen=True)
class PeelHop:
    """One peel step: who got the peel, and where the remainder went."""

    txid: str
    height: int | None
    peel_vout: int
    peel_address: str | None
    peel_value: int
    peel_category: str | None
    remainder_vout: int
    remainder_address: str | None
    remainder_value: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PeelChain:
    start_txid: str
    hops: tuple[PeelHop, ...]
    end: str  # one of END_REASONS
    end_txid: str | None  # the transaction where the walk stopped (None when unspent)
    end_category: str | None  # for "known_service"
    params: dict[str, int]

    @property
    def length(self) -> int:
        return len(self.hops)

    @property
    def recipients(self) -> list[tuple[str | None, int]]:
        """Peeled payees in chain order: (address, satoshis)."""
        return [(h.peel_address, h.peel_value) for h in self.hops]

    @property
    def peeled_total(self) -> int:
        return sum(h.peel_value for h in self.hops)

    @property
    def confidence(self) -> int:
        """Prior by length: one step is just a payment with change; a run of them is a chain."""
        return (0, 30, 50, 70, 70)[self.length] if self.length < 5 else 85

    def to_json(self) -> dict[str, Any]:
        return {
            "start_txid": self.start_txid,
            "length": self.length,
            "peeled_total": self.peeled_total,
            "hops": [h.to_json() for h in self.hops],
            "end": self.end,
            "end_reason": END_REASONS[self.end],
            "end_txid": self.end_txid,
            "end_category": self.end_category,
            "confidence": self.confidence,
            "method": METHOD,
            "params": dict(self.params),
        }


def _lookup(category: Category | None, address: str | None) -> str | None:
    return category(address) if category is not None and address is not None else None


def _service(tx: TxShape, category: Category | None) -> str | None:
    """The category of the first categorised output of ``tx``, if any."""
    found = (_lookup(category, a) for a in tx.output_addresses)
    return next((c for c in found if c is not None), None)


def _why_not(tx: TxShape, category: Category | None, min_peel: int, mainnet: bool) -> str:
    """Why ``tx`` (not a peel step) ends the chain."""
    if _service(tx, category) is not None:
        return "known_service"
    if coinjoin.detect(tx, mainnet) is not None:
        return "coinjoin"
    if tx.n_in > 2:
        return "merged"
    if tx.n_out == 1:
        return "swept"
    if tx.n_out > 2:
        return "split"
    return "dust_peel" if min(tx.output_values) < min_peel else "even_split"


def _hop(tx: TxShape, peel: int, rest: int, category: Category | None) -> PeelHop:
    return PeelHop(
        tx.txid, tx.height, peel, tx.output_addresses[peel], tx.output_values[peel],
        _lookup(category, tx.output_addresses[peel]), rest, tx.output_addresses[rest],
        tx.output_values[rest],
    )  # fmt: skip


def follow(
    start: TxShape,
    index: SpendIndex,
    *,
    category: Category | None = None,
    min_peel: int = MIN_PEEL,
    ratio: int = PEEL_RATIO,
    max_length: int = MAX_LENGTH,
    mainnet: bool = True,
) -> PeelChain:
    """Walk the peel chain starting at ``start`` (length 0 if ``start`` is not a peel step)."""
    if min_peel < 1 or ratio < 1 or max_length < 1:
        raise InvalidInputError("peel chain: min_peel, ratio and max_length must be >= 1")
    params = {"min_peel": min_peel, "ratio": ratio, "max_length": max_length}
    hops: list[PeelHop] = []
    seen: set[str] = set()
    tx: TxShape | None = start
    while tx is not None:
        check_shape(tx)
        split = peel_split(tx, min_peel, ratio)
        if split is None or coinjoin.detect(tx, mainnet) is not None:
            end = _why_not(tx, category, min_peel, mainnet)
            return PeelChain(start.txid, tuple(hops), end, tx.txid, _service(tx, category), params)
        if tx.txid in seen or len(hops) == max_length:
            end = "cycle" if tx.txid in seen else "max_length"
            return PeelChain(start.txid, tuple(hops), end, tx.txid, None, params)
        seen.add(tx.txid)
        hops.append(_hop(tx, *split, category))
        remainder_category = _lookup(category, tx.output_addresses[split[1]])
        if remainder_category is not None:  # the "remainder" went to a service: a cash-out
            return PeelChain(start.txid, tuple(hops), "known_service", tx.txid,
                             remainder_category, params)  # fmt: skip
        tx = index.spending_tx(tx.txid, split[1])
    return PeelChain(start.txid, tuple(hops), "unspent", None, None, params)
