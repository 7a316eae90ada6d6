"""Raw serialized blocks -> :class:`ChainBatch` (the path shared by block files and ``getblock 0``).

This is the straightforward reference implementation over :mod:`ledgerhound.codecs`; a compiled
scanner may replace the hot loop but must produce identical tables (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from ledgerhound.codecs.address import MAINNET, Network, script_to_address
from ledgerhound.codecs.block import Block
from ledgerhound.codecs.script import classify
from ledgerhound.sources.batch import ChainBatch
from ledgerhound.store.schema import arrow_schema


@dataclass(frozen=True)
class RawBlock:
    """One block's bytes plus what the chain order says about it."""

    data: bytes
    height: int | None
    in_main_chain: bool = True


def blocks_to_batch(
    blocks: Sequence[RawBlock], network: Network = MAINNET, origin: str = ""
) -> ChainBatch:
    cols: dict[str, dict[str, list]] = {
        name: {c: [] for c in arrow_schema(name).names}
        for name in ("blocks", "transactions", "outputs", "inputs")
    }
    for raw in blocks:
        _add_block(cols, Block.parse(raw.data), raw, network)
    tables = {
        name: pa.Table.from_pydict(columns, schema=arrow_schema(name))
        for name, columns in cols.items()
    }
    return ChainBatch(**tables, network=network.name, origin=origin)


def _add_block(cols: dict[str, dict[str, list]], block: Block, raw: RawBlock, net: Network) -> None:
    h = block.header
    stripped = 80 + len(raw.data) - 80 - sum(t.size - len(t.serialize(False)) for t in block.txs)
    _append(
        cols["blocks"],
        height=raw.height, hash=block.hash, prev_hash=h.prev_hash_hex,
        merkle_root=h.merkle_root[::-1].hex(), version=h.version, timestamp=h.time,
        bits=h.bits, nonce=h.nonce, tx_count=len(block.txs), size=len(raw.data),
        stripped_size=stripped, weight=stripped * 3 + len(raw.data),
        in_main_chain=raw.in_main_chain,
    )  # fmt: skip
    for index, tx in enumerate(block.txs):
        _add_tx(cols, tx, index, block.hash, raw.height, net)


def _add_tx(cols, tx, index: int, block_hash: str, height: int | None, net: Network) -> None:
    txid = tx.txid
    _append(
        cols["transactions"],
        txid=txid, wtxid=tx.wtxid, block_hash=block_hash, height=height, tx_index=index,
        version=tx.version, locktime=tx.locktime, size=tx.size, vsize=tx.vsize,
        weight=tx.weight, is_coinbase=tx.is_coinbase, input_count=len(tx.inputs),
        output_count=len(tx.outputs), output_value=sum(o.value for o in tx.outputs),
    )  # fmt: skip
    for vout, out in enumerate(tx.outputs):
        kind = classify(out.script)
        addr = script_to_address(out.script, net, kind)
        _append(
            cols["outputs"],
            txid=txid, vout=vout, height=height, value=out.value, script_type=kind,
            address=addr.address, address_derived=addr.derived, script=out.script,
        )  # fmt: skip
    coinbase = tx.is_coinbase
    for vin, txin in enumerate(tx.inputs):
        _append(
            cols["inputs"],
            txid=txid, vin=vin, height=height,
            prev_txid=None if coinbase else txin.prev_txid_hex,
            prev_vout=None if coinbase else txin.prev_vout,
            sequence=txin.sequence, script_sig=txin.script_sig, witness=list(txin.witness),
            prev_value=None, prev_address=None, prev_script_type=None,
        )  # fmt: skip


def _append(columns: dict[str, list], **row: object) -> None:
    for key, value in row.items():
        columns[key].append(value)
