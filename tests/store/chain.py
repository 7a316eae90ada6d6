"""Build small, valid-by-construction regtest chains with the codecs (no proof of work).

Each block after the first has a coinbase and two spends: one spending the oldest unspent
output of an earlier block (so spends cross batch boundaries) and one spending the first
output of that spend inside the same block. Addresses repeat across blocks; every spend also
carries an OP_RETURN output (no address).
"""

from __future__ import annotations

from ledgerhound.codecs.address import NETWORKS
from ledgerhound.codecs.block import Block, BlockHeader, merkle_root
from ledgerhound.codecs.hashes import hash160
from ledgerhound.codecs.tx import Tx, TxIn, TxOut
from ledgerhound.sources.rawblocks import RawBlock, blocks_to_batch
from ledgerhound.store.batch import ChainBatch

REGTEST = NETWORKS["regtest"]
SUBSIDY = 50 * 100_000_000
FEE = 1_000


def p2wpkh(key: int) -> bytes:
    return bytes([0, 20]) + hash160(bytes([2, key % 256]) + bytes(32))


def p2pkh(key: int) -> bytes:
    return (
        bytes([0x76, 0xA9, 20]) + hash160(bytes([3, key % 256]) + bytes(32)) + bytes([0x88, 0xAC])
    )


def _coinbase(height: int) -> Tx:
    script_sig = bytes([1, height & 0xFF, 0x51]) if height else bytes([0x51, 0x51])
    txin = TxIn(bytes(32), 0xFFFFFFFF, script_sig, 0xFFFFFFFF)
    return Tx(2, (txin,), (TxOut(SUBSIDY, p2wpkh(height % 3)),), 0)


def _spend(prev: tuple[str, int, int], outs: list[tuple[int, bytes]], segwit: bool) -> Tx:
    txid, vout, _ = prev
    witness = (bytes([0x30]) * 71, bytes([2]) * 33) if segwit else ()
    sig = b"" if segwit else bytes([71]) + bytes([0x30]) * 71
    txin = TxIn(bytes.fromhex(txid)[::-1], vout, sig, 0xFFFFFFFE, witness)
    return Tx(2, (txin,), tuple(TxOut(v, s) for v, s in outs), 0)


def build_chain(n: int) -> list[bytes]:
    """``n`` serialized blocks, heights 0..n-1, each linked to the previous one."""
    utxos: list[tuple[str, int, int]] = []  # (txid, vout, value), oldest first
    prev_hash = bytes(32)
    blocks = []
    for height in range(n):
        coinbase = _coinbase(height)
        txs = [coinbase]
        if utxos:
            old = utxos.pop(0)
            half = (old[2] - FEE) // 2
            first = _spend(old, [(half, p2pkh(height)), (old[2] - FEE - half, p2wpkh(7))], True)
            second = _spend(
                (first.txid, 0, half),
                [(half - FEE, p2pkh(9)), (0, bytes([0x6A, 2, 0xAB, 0xCD]))],
                False,
            )
            txs += [first, second]
            utxos += [(first.txid, 1, old[2] - FEE - half), (second.txid, 0, half - FEE)]
        utxos.append((coinbase.txid, 0, SUBSIDY))
        root = merkle_root([bytes.fromhex(t.txid)[::-1] for t in txs])
        header = BlockHeader(
            0x20000000, prev_hash, root, 1_600_000_000 + 600 * height, 0x207FFFFF, 0
        )
        block = Block(header, tuple(txs))
        blocks.append(block.serialize())
        prev_hash = bytes.fromhex(block.hash)[::-1]
    return blocks


def batches(
    blocks: list[bytes], heights: range | list[int], per_batch: int = 2
) -> list[ChainBatch]:
    """ChainBatches of ``per_batch`` blocks for the given heights (blocks[h] is height h)."""
    heights = list(heights)
    out = []
    for i in range(0, len(heights), per_batch):
        raws = [RawBlock(blocks[h], h) for h in heights[i : i + per_batch]]
        out.append(blocks_to_batch(raws, REGTEST, origin=f"chain:{heights[i]}"))
    return out
