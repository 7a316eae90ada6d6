"""Integrity checks shared by the sources: proof of work, merkle roots, witness commitments.

They run on what a source already decoded (headers, the batch's ``transactions`` rows), so a
flipped bit anywhere in a block is caught without parsing the block a second time: the merkle
root commits to every non-witness byte, the BIP141 witness commitment to the rest, and the
header hash (checked against its own ``bits`` target) to the header.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pyarrow.compute as pc

from ledgerhound.codecs.block import merkle_root
from ledgerhound.codecs.hashes import hash256
from ledgerhound.sources.batch import ChainBatch

WITNESS_COMMITMENT_PREFIX = bytes.fromhex("6a24aa21a9ed")


def target_from_bits(bits: int) -> int | None:
    """The target a compact ``bits`` field encodes; None if negative, zero or overflowing."""
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if bits & 0x00800000 or mantissa == 0:
        return None
    if exponent <= 3:
        target = mantissa >> (8 * (3 - exponent))
    else:
        target = mantissa << (8 * (exponent - 3))
    return target if 0 < target < 1 << 256 else None


def block_work(bits: int) -> int:
    """Expected hashes to find a block at this target (Core's ``GetBlockProof``)."""
    target = target_from_bits(bits)
    return 0 if target is None else (1 << 256) // (target + 1)


def pow_problem(header: bytes, bits: int) -> str | None:
    """Why ``header`` fails its own proof of work, or None when the hash meets the target."""
    target = target_from_bits(bits)
    if target is None:
        return f"invalid compact target bits 0x{bits:08x}"
    if int.from_bytes(hash256(header), "little") > target:
        return f"header hash does not meet its target (bits 0x{bits:08x})"
    return None


def first_inconsistent_block(batch: ChainBatch, merkle: bool = True) -> tuple[str, str] | None:
    """``(block_hash, reason)`` of the first block whose transactions do not match its header.

    Checks the transaction count, the merkle root over the txids (unless ``merkle=False``: the
    compiled scanner already did) and, for blocks carrying witness data, the BIP141 commitment
    in the coinbase.
    """
    txs = batch.transactions.select(["block_hash", "tx_index", "txid", "wtxid"]).to_pydict()
    groups: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
    for bh, index, txid, wtxid in zip(
        txs["block_hash"], txs["tx_index"], txs["txid"], txs["wtxid"], strict=True
    ):
        groups[bh].append((index, txid, wtxid))
    blocks = batch.blocks.select(["hash", "merkle_root", "tx_count"]).to_pydict()
    witness_blocks: dict[str, list[tuple[int, str, str | None]]] = {}
    for bh, root, count in zip(
        blocks["hash"], blocks["merkle_root"], blocks["tx_count"], strict=True
    ):
        rows = sorted(groups.get(bh, []))
        if len(rows) != count or not rows:
            return bh, f"block declares {count} transactions, {len(rows)} decoded"
        if merkle and merkle_root([bytes.fromhex(t)[::-1] for _, t, _ in rows])[::-1].hex() != root:
            return bh, "merkle root does not match the transactions"
        if any(w is not None and w != t for _, t, w in rows[1:]):
            witness_blocks[bh] = rows
    if not witness_blocks:
        return None
    scripts, witnesses = _coinbase_data(batch, [rows[0][1] for rows in witness_blocks.values()])
    for bh, rows in witness_blocks.items():
        problem = _witness_problem(rows, scripts.get(rows[0][1], []), witnesses.get(rows[0][1]))
        if problem:
            return bh, problem
    return None


def _coinbase_data(
    batch: ChainBatch, coinbases: list[str]
) -> tuple[dict[str, list[bytes]], dict[str, list[bytes]]]:
    """Output scripts and input witness of each coinbase, found in one pass over the batch."""
    wanted = pa.array(coinbases, pa.string())
    outs = batch.outputs.filter(pc.is_in(batch.outputs["txid"], value_set=wanted))
    scripts: dict[str, list[bytes]] = defaultdict(list)
    for txid, script in zip(outs["txid"].to_pylist(), outs["script"].to_pylist(), strict=True):
        scripts[txid].append(script)
    ins = batch.inputs.filter(pc.is_in(batch.inputs["txid"], value_set=wanted))
    witnesses = dict(zip(ins["txid"].to_pylist(), ins["witness"].to_pylist(), strict=True))
    return scripts, witnesses


def _witness_problem(
    rows: list[tuple[int, str, str | None]], scripts: list[bytes], witness: list[bytes] | None
) -> str | None:
    commitments = [s for s in scripts if s.startswith(WITNESS_COMMITMENT_PREFIX)]
    if not commitments:
        return "block has witness data but no witness commitment"
    witness = witness or []
    if len(witness) != 1 or len(witness[0]) != 32:
        return "coinbase witness reserved value missing"
    leaves = [b"\x00" * 32] + [bytes.fromhex(w)[::-1] for _, _, w in rows[1:] if w]
    if len(leaves) != len(rows):
        return "witness txids unavailable"
    commitment = hash256(merkle_root(leaves) + witness[0])
    if commitments[-1][6:38] != commitment:
        return "witness commitment does not match the witness data"
    return None
