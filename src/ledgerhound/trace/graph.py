"""A compact UTXO flow graph: numpy CSR arrays built once from the store's Arrow tables.

Why: a 6-hop trace touches a few hundred transactions out of millions; with dense integer ids and
per-transaction slot ranges every hop is a handful of vectorised numpy operations instead of
joins. Ids: transactions are numbered in chain order (height, tx_index), outputs in (tx, vout)
order, addresses in order of first appearance. Memory is ~60 bytes per output plus the txid and
address strings (kept as Arrow arrays, not Python objects).

Each transaction has two *slot* lists, one per direction, so forward and backward tracing share
one algorithm:

* forward: value enters through the inputs (in input order) and leaves through the outputs (in
  output order) followed by the fee as the last slot;
* backward: value enters through the outputs (then the fee) and leaves through the inputs (in
  input order) followed by one virtual input holding any input value the data cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerhound.errors import CorruptDataError, InvalidInputError, NotFoundError

# Slot targets that are not outputs.
FEE = -1  # forward: the miner fee
COINBASE = -1  # backward: newly minted coins
OUTSIDE = -2  # backward: an input whose funding output is not in the loaded data
MAX_MONEY = 21_000_000 * 100_000_000


@dataclass
class Slots:
    """Per-transaction slot lists for one direction (CSR: ``ptr[t]:ptr[t+1]``)."""

    ptr: np.ndarray  # int64[T+1]
    weight: np.ndarray  # int64, satoshis in the slot
    offset: np.ndarray  # int64, satoshis before the slot inside its transaction
    target: np.ndarray  # int64, output id or FEE / COINBASE / OUTSIDE


@dataclass
class FlowGraph:
    """Outputs, inputs and transactions as dense arrays (see the module docstring)."""

    txids: pa.Array  # string[T]
    tx_height: np.ndarray  # int32[T], -1 when unknown
    tx_degree: np.ndarray  # int64[T], inputs + outputs
    tx_in_value: np.ndarray  # int64[T], input value incl. value the data cannot see
    tx_coinbase: np.ndarray  # bool[T]
    out_ptr: np.ndarray  # int64[T+1], outputs of each transaction
    out_tx: np.ndarray  # int64[O], creating transaction
    out_vout: np.ndarray  # int32[O]
    out_value: np.ndarray  # int64[O]
    out_addr: np.ndarray  # int64[O], address id or -1
    out_spent_tx: np.ndarray  # int64[O], spending transaction or -1 if unspent
    out_spend_offset: np.ndarray  # int64[O], input value before it in the spending tx
    out_offset: np.ndarray  # int64[O], output value before it in its own tx
    addresses: pa.Array  # string[A]
    addr_ptr: np.ndarray  # int64[A+1]: outputs received by each address ...
    addr_outs: np.ndarray  # int64: ... in chain order
    forward: Slots
    backward: Slots
    _txid_index: dict[str, int] | None = field(default=None, repr=False)
    _addr_index: dict[str, int] | None = field(default=None, repr=False)
    _addr_degree: np.ndarray | None = field(default=None, repr=False)

    @property
    def tx_count(self) -> int:
        return len(self.tx_height)

    @property
    def output_count(self) -> int:
        return len(self.out_value)

    @classmethod
    def from_arrow(cls, transactions: pa.Table, outputs: pa.Table, inputs: pa.Table) -> FlowGraph:
        """Build from tables in the store's schemas (extra columns are ignored).

        ``inputs`` should carry resolved ``prev_value``/``prev_address`` (the store does this);
        inputs whose funding output is absent and whose ``prev_value`` is null count as unknown
        clean value.
        """
        return _build(transactions, outputs, inputs)

    def tx_id(self, txid: str) -> int:
        if self._txid_index is None:
            self._txid_index = {s: i for i, s in enumerate(self.txids.to_pylist())}
        try:
            return self._txid_index[txid]
        except KeyError:
            raise NotFoundError(f"transaction {txid} is not in the flow graph", txid=txid) from None

    def address_index(self) -> dict[str, int]:
        """address string -> id (built once, on first use)."""
        if self._addr_index is None:
            self._addr_index = {s: i for i, s in enumerate(self.addresses.to_pylist())}
        return self._addr_index

    def address_ids(self, addresses: list[str]) -> dict[str, int]:
        """address -> id for the given addresses found in the graph (one vectorised lookup;
        cheaper than :meth:`address_index` when only a few of millions are wanted)."""
        if self._addr_index is not None:
            return {a: self._addr_index[a] for a in addresses if a in self._addr_index}
        wanted = pa.array(list(addresses), pa.string())
        pos = pc.index_in(wanted, value_set=self.addresses).to_pylist()
        return {a: int(i) for a, i in zip(addresses, pos, strict=True) if i is not None}

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
        return self.addr_outs[self.addr_ptr[addr_id] : self.addr_ptr[addr_id + 1]]

    def address_degree(self) -> np.ndarray:
        """Outputs received per address (int64[A+1], last = no address): ``max_degree``'s degree."""
        if self._addr_degree is None:
            self._addr_degree = np.concatenate((np.diff(self.addr_ptr), [0]))
        return self._addr_degree

    def txid(self, t: int) -> str:
        return str(self.txids[t].as_py())

    def address(self, a: int) -> str | None:
        return None if a < 0 else str(self.addresses[a].as_py())

    def outpoint(self, o: int) -> str:
        return f"{self.txid(int(self.out_tx[o]))}:{int(self.out_vout[o])}"


def segment_sum(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Exact int64 sums of ``values[ptr[i]:ptr[i+1]]``."""
    cs = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
    return cs[ptr[1:]] - cs[ptr[:-1]]


def expand(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR expansion: (row position repeated per element, element index) for ``rows``."""
    starts = ptr[rows]
    counts = ptr[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.repeat(starts, counts) + (np.arange(int(counts.sum())) - first)


def _ids(values: pa.ChunkedArray | pa.Array, keys: pa.Array, what: str) -> np.ndarray:
    idx = pc.index_in(values, value_set=keys)
    missing = pc.and_(pc.is_null(idx), pc.is_valid(values))
    if pc.any(missing).as_py():
        first = pc.filter(values, missing)[0].as_py()
        raise CorruptDataError(f"{what} refers to transaction {first}, which is not in the table")
    return idx.to_numpy(zero_copy_only=False)


def _sorted_txs(transactions: pa.Table) -> pa.Table:
    for name in ("txid", "height", "tx_index"):
        if name not in transactions.column_names:
            raise InvalidInputError(f"transactions table lacks column {name!r}")
    txs = transactions.select(["txid", "height", "tx_index"]).sort_by(
        [("height", "ascending"), ("tx_index", "ascending")]
    )
    if pc.count_distinct(txs["txid"]).as_py() != txs.num_rows:
        raise CorruptDataError("transactions table repeats a txid")
    return txs


def _outputs(outputs: pa.Table, txids: pa.Array, tx_count: int):
    out_tx = _ids(outputs["txid"], txids, "outputs table")
    vout = outputs["vout"].to_numpy().astype(np.int64)
    order = np.lexsort((vout, out_tx))
    out_tx, vout = out_tx[order].astype(np.int64), vout[order]
    counts = np.bincount(out_tx, minlength=tx_count)
    ptr = np.concatenate(([0], np.cumsum(counts)))
    if not np.array_equal(vout, np.arange(len(vout)) - ptr[out_tx]):
        bad = int(np.nonzero(vout != np.arange(len(vout)) - ptr[out_tx])[0][0])
        raise CorruptDataError(
            f"outputs of transaction {txids[int(out_tx[bad])].as_py()} are missing or repeated"
        )
    value = outputs["value"].to_numpy().astype(np.int64)[order]
    if len(value) and (value.min() < 0 or value.max() > MAX_MONEY):
        raise CorruptDataError("an output value is outside 0..21,000,000 BTC")
    return order, out_tx, vout, ptr, value


def _funding(inputs: pa.Table, txids, out_ptr, out_value) -> tuple[np.ndarray, np.ndarray]:
    """Funding output id per input (else COINBASE/OUTSIDE) and the input's value (-1 unknown)."""
    prev_tx = pc.index_in(inputs["prev_txid"], value_set=txids)
    coinbase = pc.is_null(inputs["prev_txid"]).to_numpy(zero_copy_only=False)
    known = pc.is_valid(prev_tx).to_numpy(zero_copy_only=False)
    prev_t = prev_tx.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    prev_vout = inputs["prev_vout"].fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    n_out = out_ptr[prev_t + 1] - out_ptr[prev_t]
    if np.any(known & ((prev_vout < 0) | (prev_vout >= n_out))):
        i = int(np.nonzero(known & ((prev_vout < 0) | (prev_vout >= n_out)))[0][0])
        raise CorruptDataError(
            f"input {inputs['txid'][i].as_py()}:{i} spends a non-existent output "
            f"{inputs['prev_txid'][i].as_py()}:{int(prev_vout[i])}"
        )
    funding = np.where(known, out_ptr[prev_t] + prev_vout, np.where(coinbase, COINBASE, OUTSIDE))
    prev_value = inputs["prev_value"].fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    value = np.where(funding >= 0, out_value[np.maximum(funding, 0)], prev_value)
    clash = (funding >= 0) & (prev_value >= 0) & (prev_value != value)
    if np.any(clash):
        i = int(np.nonzero(clash)[0][0])
        raise CorruptDataError(
            f"input {inputs['txid'][i].as_py()}: prev_value disagrees with output"
        )
    return funding.astype(np.int64), np.where(coinbase, -1, value)


def _addresses(out_address: pa.Array) -> tuple[pa.Array, np.ndarray]:
    enc = pc.dictionary_encode(out_address)  # one plain array in: one dictionary out
    ids = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return enc.dictionary, ids


def _build(transactions: pa.Table, outputs: pa.Table, inputs: pa.Table) -> FlowGraph:
    txs = _sorted_txs(transactions)
    txids = txs["txid"].combine_chunks()
    n_tx = len(txids)
    order, out_tx, vout, out_ptr, out_value = _outputs(outputs, txids, n_tx)
    addresses, out_addr = _addresses(outputs["address"].combine_chunks().take(pa.array(order)))

    in_tx = _ids(inputs["txid"], txids, "inputs table").astype(np.int64)
    in_order = np.lexsort((inputs["vin"].to_numpy().astype(np.int64), in_tx))
    inputs = inputs.take(pa.array(in_order))
    in_tx = in_tx[in_order]
    in_ptr = np.concatenate(([0], np.cumsum(np.bincount(in_tx, minlength=n_tx))))
    funding, in_value = _funding(inputs, txids, out_ptr, out_value)

    spent = funding[funding >= 0]
    if len(np.unique(spent)) != len(spent):
        raise CorruptDataError("an output is spent by two inputs (double spend in the data)")
    out_spent_tx = np.full(len(out_value), -1, dtype=np.int64)
    out_spent_tx[spent] = in_tx[funding >= 0]

    out_total = segment_sum(out_value, out_ptr)
    known_in = segment_sum(np.maximum(in_value, 0), in_ptr)
    unknown_count = segment_sum((in_value < 0).astype(np.int64), in_ptr)
    overspend = (unknown_count == 0) & (known_in < out_total)
    if np.any(overspend):
        t = int(np.nonzero(overspend)[0][0])
        raise CorruptDataError(f"transaction {txids[t].as_py()} spends more than its inputs")
    tx_in_value = np.maximum(known_in, out_total)
    hidden = tx_in_value - known_in  # value of coinbase / unknown inputs, placed last
    fee = tx_in_value - out_total

    forward = _slots(out_ptr, out_value, np.arange(len(out_value)), fee, FEE)
    is_cb = segment_sum((funding == COINBASE).astype(np.int64), in_ptr) > 0
    hidden_target = np.where(is_cb, COINBASE, OUTSIDE)
    backward = _slots(in_ptr, np.maximum(in_value, 0), funding, hidden, hidden_target)

    in_offset = _offsets(np.maximum(in_value, 0), in_ptr)
    out_spend_offset = np.zeros(len(out_value), dtype=np.int64)
    out_spend_offset[spent] = in_offset[funding >= 0]
    addr_order = np.argsort(out_addr, kind="stable")
    addr_order = addr_order[out_addr[addr_order] >= 0]
    addr_ptr = np.concatenate(
        ([0], np.cumsum(np.bincount(out_addr[addr_order], minlength=len(addresses))))
    )
    return FlowGraph(
        txids=txids,
        tx_height=txs["height"].fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32),
        tx_degree=np.diff(in_ptr) + np.diff(out_ptr),
        tx_in_value=tx_in_value,
        tx_coinbase=is_cb,
        out_ptr=out_ptr.astype(np.int64),
        out_tx=out_tx,
        out_vout=vout.astype(np.int32),
        out_value=out_value,
        out_addr=out_addr,
        out_spent_tx=out_spent_tx,
        out_spend_offset=out_spend_offset,
        out_offset=_offsets(out_value, out_ptr),
        addresses=addresses,
        addr_ptr=addr_ptr.astype(np.int64),
        addr_outs=addr_order.astype(np.int64),
        forward=forward,
        backward=backward,
    )


def _offsets(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Satoshis before each element inside its CSR row."""
    cs = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
    owner = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    return cs[:-1] - cs[ptr[owner]]


def _slots(
    ptr: np.ndarray, weight: np.ndarray, target: np.ndarray, extra: np.ndarray, extra_target
) -> Slots:
    """Row slots plus one trailing slot per transaction (fee forward, hidden input backward)."""
    n = len(ptr) - 1
    counts = np.diff(ptr) + 1
    new_ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    w = np.empty(int(new_ptr[-1]), dtype=np.int64)
    tg = np.empty(int(new_ptr[-1]), dtype=np.int64)
    owner = np.repeat(np.arange(n), np.diff(ptr))
    pos = np.arange(len(weight)) - ptr[owner] + new_ptr[owner]
    w[pos], tg[pos] = weight, target
    last = new_ptr[1:] - 1
    w[last], tg[last] = extra, extra_target
    return Slots(ptr=new_ptr, weight=w, offset=_offsets(w, new_ptr), target=tg)
