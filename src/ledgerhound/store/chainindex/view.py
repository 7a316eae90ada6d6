"""The chain index as arrays: :class:`ChainView` (also known to ``trace`` as ``FlowGraph``).

Why: a 6-hop trace touches a few hundred transactions out of millions; with dense integer ids and
per-transaction slot ranges every hop is a handful of vectorised numpy operations instead of
joins. Ids: transactions are numbered in chain order (height, tx_index), outputs in (tx, vout)
order, addresses in order of first appearance. The store keeps these arrays on disk
(``ledgerhound.store.chainindex.index``), appended at every ingest commit and memory-mapped on
open; :meth:`ChainView.from_arrow` builds the same arrays in memory from tables (the arithmetic
is shared: :mod:`ledgerhound.store.chainindex.extend`). Lookups (txid -> id, address -> id,
address -> outputs) binary-search sorted runs; nothing builds a hash table over all addresses.

Each transaction has two *slot* lists, one per direction, so forward and backward tracing share
one algorithm:

* forward: value enters through the inputs (in input order) and leaves through the outputs (in
  output order) followed by the fee as the last slot;
* backward: value enters through the outputs (then the fee) and leaves through the inputs (in
  input order) followed by one virtual input holding any input value the data cannot see.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ledgerhound.errors import NotFoundError
from ledgerhound.store.chainindex.columns import HexColumn, StringColumn
from ledgerhound.store.chainindex.extend import extend, find_hashes, find_strings
from ledgerhound.store.chainindex.keys import hex_to_hashes
from ledgerhound.store.chainindex.runs import SortedRuns


@dataclass
class Slots:
    """Per-transaction slot lists for one direction (CSR: ``ptr[t]:ptr[t+1]``)."""

    ptr: np.ndarray  # int64[T+1]
    weight: np.ndarray  # int64, satoshis in the slot
    offset: np.ndarray  # int64, satoshis before the slot inside its transaction
    target: np.ndarray  # int64, output id or FEE / COINBASE / OUTSIDE


class Guarded:
    """``out_spent_tx`` as readers see it: spenders at or beyond ``limit`` (written by an
    ingest that has not committed yet) read as unspent."""

    def __init__(self, values: np.ndarray, limit: int) -> None:
        self.values, self.limit = values, limit

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, ids: Any) -> Any:
        v = np.asarray(self.values[ids])
        return np.where(v < self.limit, v, -1)


@dataclass
class ChainView:
    """Outputs, inputs and transactions as dense arrays (see the module docstring)."""

    txids: HexColumn  # [T] txid per transaction id
    tx_height: np.ndarray  # int32[T], -1 when unknown
    tx_degree: np.ndarray  # int64[T], inputs + outputs
    tx_in_value: np.ndarray  # int64[T], input value incl. value the data cannot see
    tx_coinbase: np.ndarray  # bool[T]
    out_ptr: np.ndarray  # int64[T+1], outputs of each transaction
    out_tx: np.ndarray  # int64[O], creating transaction
    out_vout: np.ndarray  # int32[O]
    out_value: np.ndarray  # int64[O]
    out_addr: np.ndarray  # int64[O], address id or -1
    out_spent_tx: Any  # int64[O] (or Guarded), spending transaction or -1 if unspent
    out_spend_offset: np.ndarray  # int64[O], input value before it in the spending tx
    out_offset: np.ndarray  # int64[O], output value before it in its own tx
    addresses: StringColumn  # [A]
    forward: Slots
    backward: Slots
    tx_runs: SortedRuns  # txid key -> transaction id
    addr_runs: SortedRuns  # address key -> address id
    addr_out_runs: SortedRuns  # address id -> output ids (chain order)
    out_type: Any = None  # uint8[O] script type code (the store's index only)

    @property
    def tx_count(self) -> int:
        return len(self.tx_height)

    @property
    def output_count(self) -> int:
        return len(self.out_value)

    @classmethod
    def from_arrow(cls, transactions: pa.Table, outputs: pa.Table, inputs: pa.Table) -> ChainView:
        """Build in memory from tables in the store's schemas (extra columns are ignored).

        ``inputs`` should carry resolved ``prev_value``/``prev_address`` (the store does this);
        inputs whose funding output is absent and whose ``prev_value`` is null count as unknown
        clean value.
        """
        chunk = extend(None, transactions, outputs, inputs)
        return cls.assemble(
            chunk.columns,
            HexColumn(chunk.hashes),
            StringColumn.from_arrow(chunk.new_addresses),
            SortedRuns.from_pairs(*chunk.tx_run),
            SortedRuns.from_pairs(*chunk.addr_run),
            SortedRuns.from_pairs(*chunk.addr_out_run),
        )

    @classmethod
    def assemble(cls, cols: dict[str, np.ndarray], txids: HexColumn, addresses: StringColumn,
                 tx_runs: SortedRuns, addr_runs: SortedRuns, addr_out_runs: SortedRuns,
                 spent: Any = None) -> ChainView:  # fmt: skip
        """A graph over index columns (the names ``chainindex.extend`` produces)."""
        sides = {
            side: Slots(*(cols[f"{prefix}_{k}"] for k in ("ptr", "weight", "offset", "target")))
            for side, prefix in (("forward", "fwd"), ("backward", "bwd"))
        }
        return cls(
            txids=txids,
            tx_height=cols["tx_height"],
            tx_degree=cols["tx_degree"],
            tx_in_value=cols["tx_in_value"],
            tx_coinbase=cols["tx_coinbase"],
            out_ptr=cols["out_ptr"],
            out_tx=cols["out_tx"],
            out_vout=cols["out_vout"],
            out_value=cols["out_value"],
            out_addr=cols["out_addr"],
            out_spent_tx=cols["out_spent_tx"] if spent is None else spent,
            out_spend_offset=cols["out_spend_offset"],
            out_offset=cols["out_offset"],
            addresses=addresses,
            tx_runs=tx_runs,
            addr_runs=addr_runs,
            addr_out_runs=addr_out_runs,
            out_type=cols.get("out_type"),
            **sides,
        )

    # --- lookups (binary search over sorted runs; verified against the stored strings) -------
    def find_txs(self, hashes: np.ndarray) -> np.ndarray:
        """Transaction id per 32-byte txid (uint8[n, 32]), -1 when absent."""
        return find_hashes(hashes, self.tx_runs, self.txids.hashes)

    def find_addresses(self, addresses: pa.Array) -> np.ndarray:
        """Address id per string (null or absent: -1)."""
        return find_strings(addresses, self.addr_runs, self.addresses)

    def tx_id(self, txid: str) -> int:
        try:
            found = int(self.find_txs(hex_to_hashes(pa.array([txid])))[0])
        except Exception:  # not hex, wrong length
            found = -1
        if found < 0:
            raise NotFoundError(f"transaction {txid} is not in the flow graph", txid=txid)
        return found

    def address_index(self) -> AddressIndex:
        """A read-only ``address -> id`` mapping answered by lookups (no table is built)."""
        return AddressIndex(self)

    def address_ids(self, addresses: list[str]) -> dict[str, int]:
        """address -> id for the given addresses found in the graph."""
        addresses = list(addresses)
        ids = self.find_addresses(pa.array(addresses, pa.string()))
        return {a: int(i) for a, i in zip(addresses, ids, strict=True) if i >= 0}

    def address_id(self, address: str) -> int:
        found = self.address_ids([address])
        if address not in found:
            raise NotFoundError(
                f"address {address} has no outputs in the flow graph", address=address
            )
        return found[address]

    def output_id(self, txid: str, vout: int) -> int:
        t = self.tx_id(txid)
        lo, hi = int(self.out_ptr[t]), int(self.out_ptr[t + 1])
        if not 0 <= vout < hi - lo:
            raise NotFoundError(f"output {txid}:{vout} does not exist", txid=txid, vout=vout)
        return lo + vout

    def address_outputs(self, addr_id: int) -> np.ndarray:
        """Output ids paying one address, in chain order."""
        return self.addr_out_runs.values_of(np.array([addr_id], dtype=np.int64))

    def outputs_of(self, addr_ids: np.ndarray) -> np.ndarray:
        """Output ids paying any of ``addr_ids`` (unordered, each once)."""
        return np.unique(self.addr_out_runs.values_of(np.asarray(addr_ids, dtype=np.int64)))

    def degree_of(self, addr_ids: np.ndarray) -> np.ndarray:
        """Outputs received per address id (0 for -1, i.e. no address): ``max_degree``'s degree."""
        addr_ids = np.asarray(addr_ids, dtype=np.int64)
        return np.where(addr_ids >= 0, self.addr_out_runs.count(addr_ids), 0)

    def txid(self, t: int) -> str:
        return self.txids.get(int(t))

    def address(self, a: int) -> str | None:
        return None if a < 0 else self.addresses.get(int(a))

    def outpoint(self, o: int) -> str:
        return f"{self.txid(int(self.out_tx[o]))}:{int(self.out_vout[o])}"


class AddressIndex(Mapping):
    """``address -> id`` over a graph's sorted runs; iterating lists every address (slow on a
    whole chain: meant for small graphs and tests)."""

    def __init__(self, graph: ChainView) -> None:
        self.graph = graph
        self._seen: dict[str, int] = {}

    def __getitem__(self, address: str) -> int:
        if address not in self._seen:
            found = self.graph.address_ids([address])
            if address not in found:
                raise KeyError(address)
            self._seen[address] = found[address]
        return self._seen[address]

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str):
            return False
        try:
            self[address]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self.graph.addresses.to_pylist())

    def __len__(self) -> int:
        return len(self.graph.addresses)
