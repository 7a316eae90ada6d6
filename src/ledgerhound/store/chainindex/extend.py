"""The chain index's arithmetic: what one chunk of transactions adds to the index.

Why one function for memory and disk: a flow graph built from tables (tests, ``evaluate``) and
the persistent index written at ingest must agree to the satoshi, so both run :func:`extend` --
the in-memory graph is one chunk appended to nothing, the store's index one chunk per commit.
Ids: transactions in chain order (height, tx_index), outputs in (tx, vout) order, addresses in
order of first appearance. Each transaction has two *slot* lists (see ``trace.graph``):
forward = its outputs then the fee, backward = its inputs then one hidden input holding value
the data cannot see (coinbase or an unknown funding output).

A chunk may spend outputs committed before it; those spends are returned as updates
(``spent``) because an output's spender is only known when the spender arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerhound.errors import CorruptDataError, InvalidInputError
from ledgerhound.store.chainindex.columns import StringColumn
from ledgerhound.store.chainindex.keys import address_keys, hash_keys, hex_to_hashes
from ledgerhound.store.chainindex.runs import SortedRuns

FEE = -1  # forward: the miner fee
COINBASE = -1  # backward: newly minted coins
OUTSIDE = -2  # backward: an input whose funding output is not in the data
MAX_MONEY = 21_000_000 * 100_000_000


@dataclass
class Chunk:
    """New rows for every index column plus the updates to rows committed before."""

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    hashes: np.ndarray | None = None  # uint8[T, 32]
    new_addresses: pa.Array | None = None
    tx_run: tuple[np.ndarray, np.ndarray] | None = None  # (keys, tx ids)
    addr_run: tuple[np.ndarray, np.ndarray] | None = None  # (keys, address ids)
    addr_out_run: tuple[np.ndarray, np.ndarray] | None = None  # (address ids, output ids)
    spent: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # (output, tx, offset)
    out_order: np.ndarray | None = None  # caller's output rows in index order
    in_order: np.ndarray | None = None  # caller's input rows in index order
    in_funding: np.ndarray | None = None  # funding output per input, index order
    new_first_out: np.ndarray | None = None  # first output (index order) of each new address
    new_first_height: np.ndarray | None = None  # ... its height
    new_first_key: np.ndarray | None = None  # ... (height << 40) + (tx_index << 20) + vout


def extend(prior: Any, txs: pa.Table, outputs: pa.Table, inputs: pa.Table,
           new_addresses: pa.Array | None = None) -> Chunk:  # fmt: skip
    """Index rows for ``txs`` (and their outputs and inputs) after ``prior`` (a FlowGraph or
    None). ``new_addresses``: the addresses these outputs introduce, in id order, when the
    caller (the store) has numbered them already; else they are numbered here."""
    base = _Base.of(prior)
    txs = _sorted_txs(txs)
    hashes = hex_to_hashes(txs["txid"])
    keys = hash_keys(hashes)
    local = SortedRuns.from_pairs(keys, np.arange(len(keys)))
    _check_unique(prior, hashes, keys, local)
    out_order, out_t, vout, out_ptr, value, addresses = _outputs(outputs, hashes, local)
    chunk = Chunk(hashes=hashes, tx_run=(keys, base.tx + np.arange(len(keys))),
                  out_order=out_order)  # fmt: skip
    out_addr = _address_ids(prior, base, addresses, new_addresses, chunk)
    if chunk.new_first_out is not None:  # first appearance of each new address
        t = out_t[chunk.new_first_out]
        height = txs["height"].fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)[t]
        tx_index = txs["tx_index"].to_numpy().astype(np.int64)[t]
        chunk.new_first_height = height.astype(np.int32)
        chunk.new_first_key = (height << 40) + (tx_index << 20) + vout[chunk.new_first_out]
    chunk.in_order, in_t, funding, in_value = _inputs(prior, base, inputs, hashes, local,
                                                      out_ptr, value)  # fmt: skip
    chunk.in_funding = funding
    in_ptr = np.concatenate(([0], np.cumsum(np.bincount(in_t, minlength=len(keys)))))
    cols = _tx_columns(txs, out_ptr, in_ptr, value, in_value, funding, hashes)
    _spends(prior, base, chunk, funding, in_t, in_value, in_ptr, len(value))
    out_ids = base.out + np.arange(len(value))
    cols.update(out_tx=base.tx + out_t, out_vout=vout.astype(np.int32), out_value=value,
                out_addr=out_addr, out_offset=_offsets(value, out_ptr),
                out_spent_tx=chunk.columns.pop("out_spent_tx"),
                out_spend_offset=chunk.columns.pop("out_spend_offset"))  # fmt: skip
    _slot_columns(cols, base, out_ptr, in_ptr, value, in_value, funding, out_ids)
    chunk.columns.update(cols)
    has = out_addr >= 0
    chunk.addr_out_run = (out_addr[has], out_ids[has])
    return chunk


@dataclass
class _Base:
    tx: int = 0
    out: int = 0
    addr: int = 0
    fwd: int = 0
    bwd: int = 0

    @classmethod
    def of(cls, prior: Any) -> _Base:
        if prior is None:
            return cls()
        return cls(prior.tx_count, prior.output_count, len(prior.addresses),
                   len(prior.forward.weight), len(prior.backward.weight))  # fmt: skip


def _sorted_txs(transactions: pa.Table) -> pa.Table:
    for name in ("txid", "height", "tx_index"):
        if name not in transactions.column_names:
            raise InvalidInputError(f"transactions table lacks column {name!r}")
    return transactions.select(["txid", "height", "tx_index"]).sort_by(
        [("height", "ascending"), ("tx_index", "ascending")]
    )


def _check_unique(prior: Any, hashes: np.ndarray, keys: np.ndarray, local: SortedRuns) -> None:
    run = local.runs[0]
    same = np.nonzero(run.keys[1:] == run.keys[:-1])[0]
    for i in same:  # equal keys: a repeat only if the whole hash repeats
        a, b = int(run.values[i]), int(run.values[i + 1])
        if np.array_equal(hashes[a], hashes[b]):
            raise CorruptDataError("transactions table repeats a txid")
    if prior is not None and len(keys) and (prior.find_txs(hashes) >= 0).any():
        raise CorruptDataError("transactions table repeats a txid")


def find_hashes(hashes: np.ndarray, runs: SortedRuns, stored: Any) -> np.ndarray:
    """Id of each 32-byte hash in ``runs`` (verified against ``stored`` rows), -1 if absent."""
    owner, cand = runs.candidates(hash_keys(hashes))
    found = np.full(len(hashes), -1, dtype=np.int64)
    if len(owner):
        ok = np.all(np.asarray(stored[cand]) == hashes[owner], axis=1)
        found[owner[ok][::-1]] = cand[ok][::-1]  # first match wins
    return found


def find_strings(query: pa.Array, runs: SortedRuns, stored: StringColumn) -> np.ndarray:
    """Id of each string in ``runs`` (verified against ``stored``), -1 if absent or null."""
    found = np.full(len(query), -1, dtype=np.int64)
    valid = np.flatnonzero(pc.is_valid(query).to_numpy(zero_copy_only=False))
    if not len(valid) or not len(runs):
        return found
    wanted = query.take(pa.array(valid))
    owner, cand = runs.candidates(address_keys(wanted))
    if len(owner):
        ok = pc.equal(stored.take(cand), wanted.take(pa.array(owner))).to_numpy(
            zero_copy_only=False
        )
        found[valid[owner[ok][::-1]]] = cand[ok][::-1]
    return found


def _local_tx(txids: pa.Array, hashes: np.ndarray, local: SortedRuns, what: str) -> np.ndarray:
    wanted = hex_to_hashes(txids, what=f"{what} txid")
    idx = find_hashes(wanted, local, hashes)
    if (idx < 0).any():
        first = pa.array(txids)[int(np.nonzero(idx < 0)[0][0])].as_py()
        raise CorruptDataError(f"{what} refers to transaction {first}, which is not in the table")
    return idx


def _outputs(outputs: pa.Table, hashes: np.ndarray, local: SortedRuns):
    out_t = _local_tx(outputs["txid"], hashes, local, "outputs table")
    vout = outputs["vout"].to_numpy().astype(np.int64)
    order = np.lexsort((vout, out_t))
    out_t, vout = out_t[order], vout[order]
    ptr = np.concatenate(([0], np.cumsum(np.bincount(out_t, minlength=len(hashes)))))
    expected = np.arange(len(vout)) - ptr[out_t]
    if not np.array_equal(vout, expected):
        bad = int(np.nonzero(vout != expected)[0][0])
        txid = bytes(hashes[int(out_t[bad])]).hex()
        raise CorruptDataError(f"outputs of transaction {txid} are missing or repeated")
    value = outputs["value"].to_numpy().astype(np.int64)[order]
    if len(value) and (value.min() < 0 or value.max() > MAX_MONEY):
        raise CorruptDataError("an output value is outside 0..21,000,000 BTC")
    addresses = outputs["address"].combine_chunks().take(pa.array(order))
    return order, out_t, vout, ptr, value, addresses


def _address_ids(prior: Any, base: _Base, addresses: pa.Array, new: pa.Array | None,
                 chunk: Chunk) -> np.ndarray:  # fmt: skip
    """Address id per output (-1 none); numbers the chunk's new addresses."""
    known = prior.find_addresses(addresses) if prior is not None else np.full(len(addresses), -1)
    if new is None:
        unknown = np.flatnonzero(
            (known < 0) & pc.is_valid(addresses).to_numpy(zero_copy_only=False)
        )
        enc = pc.dictionary_encode(addresses.take(pa.array(unknown)))
        codes = enc.indices.to_numpy(zero_copy_only=False)
        known[unknown] = base.addr + codes
        new = enc.dictionary
        chunk.new_first_out = unknown[np.unique(codes, return_index=True)[1]]
    else:
        new = new.combine_chunks() if isinstance(new, pa.ChunkedArray) else new
        column = StringColumn.from_arrow(new)
        runs = SortedRuns.from_pairs(address_keys(new), np.arange(len(new)))
        mine = find_strings(addresses, runs, column)
        known = np.where((known < 0) & (mine >= 0), base.addr + mine, known)
        missing = (known < 0) & pc.is_valid(addresses).to_numpy(zero_copy_only=False)
        if missing.any():
            first = addresses[int(np.nonzero(missing)[0][0])].as_py()
            raise CorruptDataError(f"address {first} has no id in the addresses table")
    chunk.new_addresses = new
    chunk.addr_run = (address_keys(new), base.addr + np.arange(len(new)))
    return known.astype(np.int64)


def _inputs(prior: Any, base: _Base, inputs: pa.Table, hashes, local, out_ptr, value):
    """(local spending tx, global funding output or COINBASE/OUTSIDE, value or -1) per input,
    in (tx, vin) order."""
    in_t = _local_tx(inputs["txid"], hashes, local, "inputs table")
    order = np.lexsort((inputs["vin"].to_numpy().astype(np.int64), in_t))
    inputs, in_t = inputs.take(pa.array(order)), in_t[order]
    coinbase = pc.is_null(inputs["prev_txid"]).to_numpy(zero_copy_only=False)
    prev_vout = inputs["prev_vout"].fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    funding = np.where(coinbase, COINBASE, OUTSIDE).astype(np.int64)
    spends = np.flatnonzero(~coinbase)
    prev = hex_to_hashes(inputs["prev_txid"].take(pa.array(spends)), what="prev_txid")
    mine = find_hashes(prev, local, hashes)
    theirs = prior.find_txs(prev) if prior is not None else np.full(len(prev), -1)
    start = np.where(mine >= 0, base.out + out_ptr[np.maximum(mine, 0)], -1)
    count = np.where(mine >= 0, np.diff(out_ptr)[np.maximum(mine, 0)] if len(out_ptr) > 1 else 0, 0)
    if prior is not None and (theirs >= 0).any():
        t = np.maximum(theirs, 0)
        pstart, pend = np.asarray(prior.out_ptr[t]), np.asarray(prior.out_ptr[t + 1])
        start = np.where(theirs >= 0, pstart, start)
        count = np.where(theirs >= 0, pend - pstart, count)
    known = start >= 0
    pv = prev_vout[spends]
    bad = known & ((pv < 0) | (pv >= count))
    if bad.any():
        i = int(spends[np.nonzero(bad)[0][0]])
        raise CorruptDataError(
            f"input {inputs['txid'][i].as_py()}:{i} spends a non-existent output "
            f"{inputs['prev_txid'][i].as_py()}:{int(prev_vout[i])}"
        )
    funding[spends[known]] = (start + pv)[known]
    return order, in_t, funding, _input_values(prior, base, inputs, funding, coinbase, value)


def _input_values(prior, base, inputs, funding, coinbase, value) -> np.ndarray:
    prev_value = inputs["prev_value"].fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    found = np.full(len(funding), -1, dtype=np.int64)
    mine = funding >= base.out
    found[mine] = value[funding[mine] - base.out]
    older = (funding >= 0) & ~mine
    if older.any():
        found[older] = np.asarray(prior.out_value[funding[older]])
    clash = (funding >= 0) & (prev_value >= 0) & (prev_value != found)
    if clash.any():
        i = int(np.nonzero(clash)[0][0])
        raise CorruptDataError(
            f"input {inputs['txid'][i].as_py()}: prev_value disagrees with output"
        )
    in_value = np.where(funding >= 0, found, prev_value)
    return np.where(coinbase, -1, in_value)


def _tx_columns(txs, out_ptr, in_ptr, value, in_value, funding, hashes) -> dict[str, np.ndarray]:
    out_total = _segment_sum(value, out_ptr)
    known_in = _segment_sum(np.maximum(in_value, 0), in_ptr)
    unknown = _segment_sum((in_value < 0).astype(np.int64), in_ptr)
    over = (unknown == 0) & (known_in < out_total)
    if over.any():
        t = int(np.nonzero(over)[0][0])
        raise CorruptDataError(f"transaction {bytes(hashes[t]).hex()} spends more than its inputs")
    is_cb = _segment_sum((funding == COINBASE).astype(np.int64), in_ptr) > 0
    return {
        "tx_height": txs["height"].fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32),
        "tx_degree": (np.diff(in_ptr) + np.diff(out_ptr)).astype(np.int64),
        "tx_in_value": np.maximum(known_in, out_total),
        "tx_coinbase": is_cb,
    }


def _spends(prior, base, chunk, funding, in_t, in_value, in_ptr, n_out) -> None:
    """Spender and spend offset of every funded output: chunk rows, or updates to older ones."""
    spent_tx = np.full(n_out, -1, dtype=np.int64)
    spend_off = np.zeros(n_out, dtype=np.int64)
    has = funding >= 0
    f = funding[has]
    if len(np.unique(f)) != len(f):
        raise CorruptDataError("an output is spent by two inputs (double spend in the data)")
    offsets = _offsets(np.maximum(in_value, 0), in_ptr)[has]
    spender = base.tx + in_t[has]
    mine = f >= base.out
    spent_tx[f[mine] - base.out] = spender[mine]
    spend_off[f[mine] - base.out] = offsets[mine]
    older = ~mine
    if older.any():
        if (np.asarray(prior.out_spent_tx[f[older]]) >= 0).any():
            raise CorruptDataError("an output is spent by two inputs (double spend in the data)")
        chunk.spent = (f[older], spender[older], offsets[older])
    chunk.columns["out_spent_tx"], chunk.columns["out_spend_offset"] = spent_tx, spend_off


def _slot_columns(cols, base, out_ptr, in_ptr, value, in_value, funding, out_ids) -> None:
    fee = cols["tx_in_value"] - _segment_sum(value, out_ptr)
    hidden = cols["tx_in_value"] - _segment_sum(np.maximum(in_value, 0), in_ptr)
    hidden_target = np.where(cols["tx_coinbase"], COINBASE, OUTSIDE)
    for side, ptr, weight, target, extra, extra_target, start in (
        ("fwd", out_ptr, value, out_ids, fee, FEE, base.fwd),
        ("bwd", in_ptr, np.maximum(in_value, 0), funding, hidden, hidden_target, base.bwd),
    ):
        sptr, w, tg = _slots(ptr, weight, target, extra, extra_target)
        cols[f"{side}_ptr"] = start + sptr
        cols[f"{side}_weight"], cols[f"{side}_target"] = w, tg
        cols[f"{side}_offset"] = _offsets(w, sptr)
    cols["out_ptr"] = base.out + out_ptr


def _segment_sum(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    cs = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
    return cs[ptr[1:]] - cs[ptr[:-1]]


def _offsets(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Satoshis before each element inside its CSR row."""
    cs = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
    owner = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    return cs[:-1] - cs[ptr[owner]]


def _slots(ptr, weight, target, extra, extra_target):
    """Row slots plus one trailing slot per transaction (fee forward, hidden input backward)."""
    n = len(ptr) - 1
    new_ptr = np.concatenate(([0], np.cumsum(np.diff(ptr) + 1))).astype(np.int64)
    w = np.empty(int(new_ptr[-1]), dtype=np.int64)
    tg = np.empty(int(new_ptr[-1]), dtype=np.int64)
    owner = np.repeat(np.arange(n), np.diff(ptr))
    pos = np.arange(len(weight)) - ptr[owner] + new_ptr[owner]
    w[pos], tg[pos] = weight, target
    last = new_ptr[1:] - 1
    w[last], tg[last] = extra, extra_target
    return new_ptr, w, tg
