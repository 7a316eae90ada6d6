"""The per-transaction facts the heuristics look at, independent of where they were read from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TxShape:
    """One transaction's inputs (resolved where known) and outputs.

    Input values/addresses are ``None`` where the spent output is not in the store; heuristics
    must treat unknowns as unknown, never as zero or as a distinct address.
    """

    txid: str
    height: int | None
    is_coinbase: bool
    input_values: tuple[int | None, ...]
    input_addresses: tuple[str | None, ...]
    output_values: tuple[int, ...]
    output_addresses: tuple[str | None, ...]
    output_types: tuple[str, ...]
    # Optional extras (defaults = unknown) used by the change heuristics (cluster/change.py).
    tx_index: int | None = None  # position in its block, to order txs within one height
    version: int | None = None  # nVersion
    locktime: int | None = None  # nLockTime
    input_types: tuple[str | None, ...] | None = None  # resolved prevout script types
    input_prevouts: tuple[tuple[str, int] | None, ...] | None = None  # (txid, vout) spent

    @property
    def n_in(self) -> int:
        return len(self.input_values)

    @property
    def n_out(self) -> int:
        return len(self.output_values)
