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

    @property
    def n_in(self) -> int:
        return len(self.input_values)

    @property
    def n_out(self) -> int:
        return len(self.output_values)
