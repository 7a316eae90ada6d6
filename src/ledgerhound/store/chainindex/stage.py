"""The index during ingest: each batch appended as it arrives, its inputs resolved from it.

Why here and not at commit: the batch is already in memory, so indexing it costs no re-read,
and once its transactions are in the index an input's funding output is a binary search away --
``prev_value``/``prev_address``/``prev_script_type`` come from the index instead of a join over
every committed output, and the inputs table is written once. New addresses are numbered by
the index in order of first appearance on the main chain, exactly as the store's rule does.

This path holds while the chain grows upwards: a batch with a main-chain block at or below the
highest indexed height (a backfill) turns it off for the rest of the commit, and the commit
falls back to the bulk DuckDB resolution and an index rebuild (``commit.index_commit``).
Inputs of stale blocks are resolved from the index too when they spend main-chain outputs; the
few that spend other stale outputs (which the index does not hold) take the DuckDB path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerhound.store.chainindex.index import IndexWriter, recover
from ledgerhound.store.chainindex.keys import hex_to_hashes


class IndexStage:
    """Index appends and input resolution for one staging area (one commit)."""

    def __init__(self, root: Path, generation: int, committed_addresses: int) -> None:
        self.root, self.generation = root, generation
        state = recover(root, generation) if generation else None
        mirrors = state is not None and max(state.lengths["addr_off"] - 1, 0) == committed_addresses
        fresh = generation == 0 and committed_addresses == 0
        self.writer: IndexWriter | None = None
        if mirrors or fresh:
            self.writer = IndexWriter(root, state if mirrors else None, rebuild=not mirrors)
        self.first_id = committed_addresses
        self.new: list[tuple[pa.Array, np.ndarray, np.ndarray]] = []  # (address, height, key)

    @property
    def active(self) -> bool:
        return self.writer is not None

    def abandon(self) -> None:
        """Fall back to the bulk path for this commit (the committed index is untouched)."""
        if self.writer is not None:
            recover(self.root, self.generation)
            self.writer = None

    def add(self, tables: dict[str, pa.Table]) -> tuple[pa.Table, pa.Table] | None:
        """Index the batch's main-chain rows; return (its resolved main-chain inputs, its stale
        blocks' raw inputs), or None when this commit can no longer take this path."""
        if self.writer is None:
            return None
        blocks = tables["blocks"]
        main = (pc.fill_null(blocks["in_main_chain"], False).to_numpy(zero_copy_only=False)
                & pc.is_valid(blocks["height"]).to_numpy(zero_copy_only=False))  # fmt: skip
        heights = blocks["height"].fill_null(-1).to_numpy(zero_copy_only=False)[main]
        if len(heights) and (heights.min() <= self.writer.state.max_height
                             or len(np.unique(heights)) != len(heights)):  # fmt: skip
            self.abandon()
            return None
        txs = tables["transactions"]
        tx_main = np.repeat(main, blocks["tx_count"].to_numpy())
        out_main = np.repeat(tx_main, txs["output_count"].to_numpy())
        in_main = np.repeat(tx_main, txs["input_count"].to_numpy())
        pick = lambda t, m: t if m.all() else t.filter(pa.array(m))  # noqa: E731
        m_txs, m_outs, m_ins = (
            pick(txs, tx_main),
            pick(tables["outputs"], out_main),
            pick(tables["inputs"], in_main),
        )
        chunk = self.writer.append(m_txs, m_outs, m_ins, None)
        if chunk.new_first_key is not None and len(chunk.new_first_key):
            self.new.append((chunk.new_addresses, chunk.new_first_height, chunk.new_first_key))
        funding = np.full(m_ins.num_rows, -1, dtype=np.int64)
        funding[chunk.in_order] = chunk.in_funding
        view = self.writer.view()  # one mapping for this batch's look-ups
        main_inputs = self._resolve(view, m_ins, funding)
        stale = pick(tables["inputs"], ~in_main)
        if not stale.num_rows:
            return main_inputs, stale
        return self._stale(view, main_inputs, stale)

    def _stale(self, view, main_inputs: pa.Table, stale: pa.Table) -> tuple[pa.Table, pa.Table]:
        """Stale blocks' inputs that spend indexed outputs are resolved here (without marking
        the output spent: a stale block moved nothing); the rest go to the bulk path."""
        spends = np.flatnonzero(pc.is_valid(stale["prev_txid"]).to_numpy(zero_copy_only=False))
        funding = np.full(stale.num_rows, -1, dtype=np.int64)
        if len(spends):
            prev = hex_to_hashes(stale["prev_txid"].take(pa.array(spends)), what="prev_txid")
            t = view.find_txs(prev)
            vout = stale["prev_vout"].take(pa.array(spends)).to_numpy(zero_copy_only=False)
            ok = t >= 0
            start = np.where(ok, np.asarray(view.out_ptr[np.maximum(t, 0)]), 0)
            count = np.where(ok, np.asarray(view.out_ptr[np.maximum(t, 0) + 1]) - start, 0)
            ok &= (vout >= 0) & (vout < count)
            funding[spends[ok]] = (start + vout)[ok]
        coinbase = pc.is_null(stale["prev_txid"]).to_numpy(zero_copy_only=False)
        done = (funding >= 0) | coinbase
        resolved = self._resolve(view, stale.filter(pa.array(done)), funding[done])
        return pa.concat_tables([main_inputs, resolved]), stale.filter(pa.array(~done))

    def _resolve(self, view, inputs: pa.Table, funding: np.ndarray) -> pa.Table:
        """``inputs`` with ``prev_*`` filled from their funding outputs' index rows (values a
        source gave are kept)."""
        has = funding >= 0
        f = np.where(has, funding, 0)
        value = np.where(has, np.asarray(view.out_value[f]) if len(f) else f, 0)
        addr = np.where(has, np.asarray(view.out_addr[f]) if len(f) else f, -1)
        types = pa.array(self.writer.state.script_types or [""], pa.string())
        codes = np.asarray(view.out_type[f]) if len(f) else f
        given = pc.is_valid(inputs["prev_value"]).to_numpy(zero_copy_only=False)
        fill = has & ~given
        mask = pa.array(~fill)
        new_value = pa.array(value, pa.int64(), mask=~fill)
        new_addr = view.addresses.take(np.where(fill, addr, -1))
        new_type = types.take(pa.array(codes.astype(np.int64), mask=~fill))
        cols = {
            "prev_value": pc.if_else(mask, inputs["prev_value"], new_value),
            "prev_address": pc.if_else(mask, inputs["prev_address"], new_addr),
            "prev_script_type": pc.if_else(mask, inputs["prev_script_type"], new_type),
        }
        for name, column in cols.items():
            inputs = inputs.set_column(inputs.schema.get_field_index(name), name, column)
        return inputs

    def addresses(self) -> tuple[pa.Table, int] | None:
        """The commit's new addresses (``address_id, address, first_height``) and their largest
        first-appearance key; None when this commit left the index path."""
        if self.writer is None:
            return None
        names = pa.concat_arrays([pa.array(a, pa.string()) for a, _h, _k in self.new] or
                                 [pa.array([], pa.string())])  # fmt: skip
        heights = np.concatenate([h for _a, h, _k in self.new] or [np.zeros(0, np.int32)])
        keys = np.concatenate([k for _a, _h, k in self.new] or [np.zeros(0, np.int64)])
        ids = self.first_id + np.arange(len(names), dtype=np.int64)
        table = pa.table({"address_id": pa.array(ids, pa.int64()), "address": names,
                          "first_height": pa.array(heights, pa.int32())})  # fmt: skip
        return table, int(keys.max()) if len(keys) else -1
