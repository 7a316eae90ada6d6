"""Raw serialized blocks -> :class:`ChainBatch` (the path shared by block files and ``getblock 0``).

:func:`blocks_to_batch` runs the columnar scanner (:mod:`ledgerhound.codecs.blockscan`, compiled
when built) and wraps its buffers as Arrow arrays with vectorised ``take``s, no per-row Python.
:func:`blocks_to_batch_reference` is the straightforward row-by-row version over the codecs; the
two produce identical tables (tested on real and generated blocks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ledgerhound.codecs import blockscan
from ledgerhound.codecs.address import MAINNET, Network, script_to_address
from ledgerhound.codecs.block import Block
from ledgerhound.codecs.script import SCRIPT_TYPES, classify
from ledgerhound.errors import CodecError
from ledgerhound.store.batch import ChainBatch
from ledgerhound.store.schema import arrow_schema

_SCRIPT_TYPE_NAMES = pa.array(SCRIPT_TYPES, pa.string())


@dataclass(frozen=True)
class RawBlock:
    """One block's bytes plus what the chain order says about it."""

    data: bytes
    height: int | None
    in_main_chain: bool = True


def blocks_to_batch(
    blocks: Sequence[RawBlock],
    network: Network = MAINNET,
    origin: str = "",
    *,
    verify_merkle: bool = False,
    native: bool | None = None,
) -> ChainBatch:
    """Parse ``blocks`` into store tables; ``verify_merkle`` rejects a header/txid mismatch.

    Raises :class:`CodecError` (details: ``offset`` inside the block, ``block`` index) on bytes
    that do not parse. ``native=False`` forces the pure-Python scanner (same output).
    """
    batch, _ = scan_blocks(blocks, network, origin, verify_merkle=verify_merkle, native=native)
    return batch


def scan_blocks(
    blocks: Sequence[RawBlock],
    network: Network = MAINNET,
    origin: str = "",
    *,
    verify_merkle: bool = False,
    native: bool | None = None,
) -> tuple[ChainBatch, dict[str, int]]:
    """:func:`blocks_to_batch` plus the scanner's BIP141 verdict of every block.

    The verdicts map block hashes to ``blockscan.WITNESS_*`` codes, computed during the scan (in
    C when built, else by :func:`blockscan.witness_verdict`); pass them to
    :func:`ledgerhound.sources.verify.first_inconsistent_block` so it does not recompute them.
    """
    cols = blockscan.scan([raw.data for raw in blocks], network, native=native)
    if verify_merkle:
        _check_merkle(cols)
    return _batch(cols, blocks, network, origin), blockscan.witness_verdicts(cols)


def _batch(cols: dict, blocks: Sequence[RawBlock], network: Network, origin: str) -> ChainBatch:
    heights = pa.array([raw.height for raw in blocks], pa.int32())
    t_block = _ints(cols, "t_block", np.int32)
    txids = _hex(cols, "t_txid")
    tx = _transactions(cols, blocks, heights, t_block, txids)
    o_tx, i_tx = _ints(cols, "o_tx", np.int32), _ints(cols, "i_tx", np.int32)
    outputs = _outputs(cols, txids.take(o_tx), _heights(heights, t_block[o_tx]))
    inputs = _inputs(cols, txids.take(i_tx), _heights(heights, t_block[i_tx]))
    return ChainBatch(
        blocks=_blocks(cols, blocks, heights),
        transactions=tx,
        outputs=outputs,
        inputs=inputs,
        network=network.name,
        origin=origin,
    )


def _heights(heights: pa.Array, block_rows: np.ndarray) -> pa.Array:
    """Per-row heights from per-block ones (numpy gather when no block lacks a height)."""
    if heights.null_count:
        return heights.take(block_rows)
    return pa.array(heights.to_numpy()[block_rows], pa.int32())


def _check_merkle(cols: dict) -> None:
    ok = np.frombuffer(cols["b_merkle_ok"], np.uint8)
    bad = np.flatnonzero(ok == 0)
    if bad.size:
        index = int(bad[0])
        block_hash = bytes(cols["b_hash"][64 * index : 64 * index + 64]).decode()
        raise CodecError(
            f"block {block_hash}: merkle root does not match the transactions",
            offset=36,
            block=index,
        )


# --- buffers -> Arrow arrays ----------------------------------------------------------------


def _ints(cols: dict, name: str, dtype: type) -> np.ndarray:
    return np.frombuffer(cols[name], dtype)


def _num(cols: dict, name: str, type_: pa.DataType) -> pa.Array:
    width = type_.bit_width // 8
    return pa.Array.from_buffers(type_, len(cols[name]) // width, [None, pa.py_buffer(cols[name])])


def _flag(cols: dict, name: str) -> pa.Array:
    return pa.array(np.frombuffer(cols[name], np.bool_), pa.bool_())


def _hex(cols: dict, name: str) -> pa.Array:
    n = len(cols[name]) // 64
    offsets = np.arange(0, 64 * (n + 1), 64, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(cols[name])]
    )


def _var(cols: dict, name: str, type_: pa.DataType, valid: str | None = None) -> pa.Array:
    offsets = cols[name + "_off"]
    n = len(offsets) // 4 - 1
    bitmap = None
    if valid is not None:
        flags = np.frombuffer(cols[valid], np.uint8)
        bitmap = pa.py_buffer(np.packbits(flags, bitorder="little"))
    buffers = [bitmap, pa.py_buffer(offsets), pa.py_buffer(cols[name])]
    return pa.Array.from_buffers(type_, n, buffers)


def _with_validity(array: pa.Array, cols: dict, valid: str) -> pa.Array:
    bitmap = pa.py_buffer(np.packbits(np.frombuffer(cols[valid], np.uint8), bitorder="little"))
    return pa.Array.from_buffers(array.type, len(array), [bitmap, *array.buffers()[1:]])


_SCHEMAS: dict[str, pa.Schema] = {}


def _table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    schema = _SCHEMAS.get(name)
    if schema is None:  # built once: the declarations are constant for the process
        schema = _SCHEMAS[name] = arrow_schema(name)
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


# --- the four tables ------------------------------------------------------------------------


def _blocks(cols: dict, blocks: Sequence[RawBlock], heights: pa.Array) -> pa.Table:
    return _table(
        "blocks",
        {
            "height": heights,
            "hash": _hex(cols, "b_hash"),
            "prev_hash": _hex(cols, "b_prev"),
            "merkle_root": _hex(cols, "b_merkle"),
            "version": _num(cols, "b_version", pa.int64()),
            "timestamp": _num(cols, "b_time", pa.int64()),
            "bits": _num(cols, "b_bits", pa.int64()),
            "nonce": _num(cols, "b_nonce", pa.int64()),
            "tx_count": _num(cols, "b_tx_count", pa.int32()),
            "size": _num(cols, "b_size", pa.int32()),
            "stripped_size": _num(cols, "b_stripped", pa.int32()),
            "weight": _num(cols, "b_weight", pa.int32()),
            "in_main_chain": pa.array([raw.in_main_chain for raw in blocks], pa.bool_()),
        },
    )


def _transactions(
    cols: dict, blocks: Sequence[RawBlock], heights: pa.Array, t_block: np.ndarray, txids: pa.Array
) -> pa.Table:
    return _table(
        "transactions",
        {
            "txid": txids,
            "wtxid": _hex(cols, "t_wtxid"),
            "block_hash": _hex(cols, "b_hash").take(t_block),
            "height": _heights(heights, t_block),
            "tx_index": _num(cols, "t_index", pa.int32()),
            "version": _num(cols, "t_version", pa.int64()),
            "locktime": _num(cols, "t_locktime", pa.int64()),
            "size": _num(cols, "t_size", pa.int32()),
            "vsize": _num(cols, "t_vsize", pa.int32()),
            "weight": _num(cols, "t_weight", pa.int32()),
            "is_coinbase": _flag(cols, "t_coinbase"),
            "input_count": _num(cols, "t_n_in", pa.int32()),
            "output_count": _num(cols, "t_n_out", pa.int32()),
            "output_value": _num(cols, "t_value", pa.int64()),
        },
    )


def _outputs(cols: dict, txids: pa.Array, heights: pa.Array) -> pa.Table:
    return _table(
        "outputs",
        {
            "txid": txids,
            "vout": _num(cols, "o_vout", pa.int32()),
            "height": heights,
            "value": _num(cols, "o_value", pa.int64()),
            "script_type": _SCRIPT_TYPE_NAMES.take(np.frombuffer(cols["o_type"], np.uint8)),
            "address": _var(cols, "o_addr", pa.string(), valid="o_addr_valid"),
            "address_derived": _flag(cols, "o_derived"),
            "script": _var(cols, "o_script", pa.binary()),
        },
    )


def _inputs(cols: dict, txids: pa.Array, heights: pa.Array) -> pa.Table:
    n = len(txids)
    items = pa.Array.from_buffers(
        pa.binary(),
        len(cols["w_off"]) // 4 - 1,
        [None, pa.py_buffer(cols["w_off"]), pa.py_buffer(cols["w_data"])],
    )
    witness = pa.ListArray.from_arrays(_num(cols, "i_wit_off", pa.int32()), items)
    return _table(
        "inputs",
        {
            "txid": txids,
            "vin": _num(cols, "i_vin", pa.int32()),
            "height": heights,
            "prev_txid": _var(cols, "i_prev", pa.string(), valid="i_valid"),
            "prev_vout": _with_validity(_num(cols, "i_prev_vout", pa.int64()), cols, "i_valid"),
            "sequence": _num(cols, "i_seq", pa.int64()),
            "script_sig": _var(cols, "i_sig", pa.binary()),
            "witness": witness,
            "prev_value": pa.nulls(n, pa.int64()),
            "prev_address": pa.nulls(n, pa.string()),
            "prev_script_type": pa.nulls(n, pa.string()),
        },
    )


# --- the row-by-row reference ---------------------------------------------------------------


def blocks_to_batch_reference(
    blocks: Sequence[RawBlock], network: Network = MAINNET, origin: str = ""
) -> ChainBatch:
    """The readable oracle: one codec object and one Python row at a time (~10k tx/s)."""
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
