"""Integrity checks shared by the sources: proof of work, merkle roots, witness commitments.

They run on what a source already decoded (headers, the batch's ``transactions`` rows), so a
flipped bit anywhere in a block is caught without parsing the block a second time: the merkle
root commits to every non-witness byte, the BIP141 witness commitment to the rest, and the
header hash (checked against its own ``bits`` target) to the header.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from ledgerhound.codecs import blockscan
from ledgerhound.codecs.block import merkle_root
from ledgerhound.codecs.blockscan import witness_verdict
from ledgerhound.codecs.chainwork import target_from_bits
from ledgerhound.codecs.hashes import hash256
from ledgerhound.sources.batch import ChainBatch

WITNESS_PROBLEMS = {  # blockscan's b_witness codes -> the reason reported
    blockscan.WITNESS_NO_COMMITMENT: "block has witness data but no witness commitment",
    blockscan.WITNESS_NO_RESERVED: "coinbase witness reserved value missing",
    blockscan.WITNESS_UNAVAILABLE: "witness txids unavailable",
    blockscan.WITNESS_MISMATCH: "witness commitment does not match the witness data",
}

Row = tuple[int, str, str | None]  # (tx_index, txid, wtxid) of one transaction


def pow_problem(header: bytes, bits: int) -> str | None:
    """Why ``header`` fails its own proof of work, or None when the hash meets the target."""
    target = target_from_bits(bits)
    if target is None:
        return f"invalid compact target bits 0x{bits:08x}"
    if int.from_bytes(hash256(header), "little") > target:
        return f"header hash does not meet its target (bits 0x{bits:08x})"
    return None


def first_inconsistent_block(
    batch: ChainBatch, merkle: bool = True, witness: Mapping[str, int] | None = None
) -> tuple[str, str] | None:
    """``(block_hash, reason)`` of the first block whose transactions do not match its header.

    Checks the transaction count, the merkle root over the txids (unless ``merkle=False``: the
    compiled scanner already did) and, for blocks carrying witness data, the BIP141 commitment
    in the coinbase. ``witness`` maps block hashes to the scanner's verdicts
    (:func:`ledgerhound.codecs.blockscan.witness_verdicts`): those blocks' commitment is not
    recomputed here, and when every block has one and ``merkle=False`` no per-row Python runs.
    Count and merkle problems are reported before any witness problem.
    """
    verdicts = witness or {}
    blocks = batch.blocks.select(["hash", "merkle_root", "tx_count"]).to_pydict()
    rows_needed = merkle or not all(bh in verdicts for bh in blocks["hash"])
    groups = _rows_by_block(batch) if rows_needed else {}
    counts = {bh: len(rows) for bh, rows in groups.items()} if rows_needed else _tx_counts(batch)
    pending: list[tuple[str, int | list[Row]]] = []  # witness checks, in block order
    for bh, root, count in zip(
        blocks["hash"], blocks["merkle_root"], blocks["tx_count"], strict=True
    ):
        decoded = counts.get(bh, 0)
        if decoded != count or not decoded:
            return bh, f"block declares {count} transactions, {decoded} decoded"
        rows = sorted(groups[bh]) if rows_needed else []
        if merkle and merkle_root([bytes.fromhex(t)[::-1] for _, t, _ in rows])[::-1].hex() != root:
            return bh, "merkle root does not match the transactions"
        if bh in verdicts:
            pending.append((bh, verdicts[bh]))
        elif any(w is not None and w != t for _, t, w in rows[1:]):
            pending.append((bh, rows))
    return _first_witness_problem(batch, pending)


def _rows_by_block(batch: ChainBatch) -> dict[str, list[Row]]:
    txs = batch.transactions.select(["block_hash", "tx_index", "txid", "wtxid"]).to_pydict()
    groups: dict[str, list[Row]] = defaultdict(list)
    for bh, index, txid, wtxid in zip(
        txs["block_hash"], txs["tx_index"], txs["txid"], txs["wtxid"], strict=True
    ):
        groups[bh].append((index, txid, wtxid))
    return groups


def _tx_counts(batch: ChainBatch) -> dict[str, int]:
    """Transaction rows per block hash, counted in Arrow (no per-row Python)."""
    counts = pc.value_counts(batch.transactions["block_hash"])
    return dict(
        zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
    )


def _first_witness_problem(
    batch: ChainBatch, pending: list[tuple[str, int | list[Row]]]
) -> tuple[str, str] | None:
    """The first failing check: a scanner verdict, or the commitment recomputed from the rows."""
    coinbases = [check[0][1] for _, check in pending if isinstance(check, list)]
    scripts, witnesses = _coinbase_data(batch, coinbases) if coinbases else ({}, {})
    for bh, check in pending:
        if isinstance(check, list):
            cb = check[0][1]
            wtxids = [bytes.fromhex(w)[::-1] if w else None for _, _, w in check]
            check = witness_verdict(wtxids, scripts.get(cb, []), witnesses.get(cb) or [])
        if check in WITNESS_PROBLEMS:
            return bh, WITNESS_PROBLEMS[check]
    return None


def _coinbase_data(
    batch: ChainBatch, coinbases: list[str]
) -> tuple[dict[str, list[bytes]], dict[str, list[bytes]]]:
    """Output scripts and first input's witness of each coinbase, in one pass over the batch."""
    wanted = pa.array(coinbases, pa.string())
    outs = batch.outputs.filter(pc.is_in(batch.outputs["txid"], value_set=wanted))
    scripts: dict[str, list[bytes]] = defaultdict(list)
    for txid, script in zip(outs["txid"].to_pylist(), outs["script"].to_pylist(), strict=True):
        scripts[txid].append(script)
    ins = batch.inputs.filter(pc.is_in(batch.inputs["txid"], value_set=wanted))
    ins = ins.filter(pc.equal(ins["vin"], 0))
    witnesses = dict(zip(ins["txid"].to_pylist(), ins["witness"].to_pylist(), strict=True))
    return scripts, witnesses
