"""Blocks and Bitcoin Core block files: coinbase, merkle roots, proof of work, blk*.dat framing.

Blocks follow consensus rules that can be checked without signatures: BIP34 height in the
coinbase, a BIP141 witness commitment when the block has witness data, coinbase value = subsidy
+ fees, merkle root over txids, prev-hash links, and a header hash below the target of bits
``0x207fffff`` (regtest's difficulty: about two nonces per block). Files use Core's framing
``magic | size (u32 LE) | block``, roll over at ``max_file_size``, store blocks slightly out of
height order (as headers-first download does), zero-pad the last file as Core's pre-allocation
does, and can be XOR-obfuscated with ``blocks/xor.dat`` (Core v28+).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from ledgerhound.codecs import compact
from ledgerhound.codecs.block import BlockHeader, merkle_root
from ledgerhound.codecs.hashes import hash256
from ledgerhound.codecs.tx import Tx, TxIn, TxOut
from ledgerhound.sim.keys import Lock

REGTEST_BITS = 0x207FFFFF
TARGET = (REGTEST_BITS & 0xFFFFFF) << (8 * ((REGTEST_BITS >> 24) - 3))
WITNESS_MAGIC = bytes.fromhex("6a24aa21a9ed")
PAD_CHUNK = 64 * 1024
# The genesis coinbase shared by mainnet and regtest ("The Times 03/Jan/2009 ...").
GENESIS_TX = bytes.fromhex(
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff"
    "001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e"
    "6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104"
    "678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51e"
    "c112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000"
)
GENESIS_HEADER = {  # (time, bits, nonce)
    "mainnet": (1231006505, 0x1D00FFFF, 2083236893),
    "regtest": (1296688602, 0x207FFFFF, 2),
}
HALVING = {"regtest": 150, "mainnet": 210_000}


def genesis_block(network: str) -> tuple[bytes, bytes]:
    """``(raw block, hash internal order)`` of the network's real genesis block."""
    time, bits, nonce = GENESIS_HEADER[network]
    root = hash256(GENESIS_TX)
    header = BlockHeader(1, b"\x00" * 32, root, time, bits, nonce).serialize()
    return header + b"\x01" + GENESIS_TX, hash256(header)


def subsidy(height: int, network: str) -> int:
    halvings = height // HALVING[network]
    return 0 if halvings >= 64 else (50 * 100_000_000) >> halvings


def script_num(n: int) -> bytes:
    """Core's ``CScript() << n`` for a non-negative height (BIP34)."""
    if 1 <= n <= 16:
        return bytes([0x50 + n])
    data = n.to_bytes((n.bit_length() + 7) // 8 or 1, "little")
    if data[-1] & 0x80:
        data += b"\x00"
    return bytes([len(data)]) + data


def _mine(prev_hash: bytes, root: bytes, time: int) -> tuple[bytes, bytes]:
    """Grind the nonce until the header hash meets the 0x207fffff target; (header, hash)."""
    nonce = 0
    while True:
        raw = BlockHeader(0x20000000, prev_hash, root, time, REGTEST_BITS, nonce).serialize()
        block_hash = hash256(raw)
        if int.from_bytes(block_hash, "little") <= TARGET:
            return raw, block_hash
        nonce += 1


class BlockAssembler:
    """Collects transactions for the block at ``height`` and seals it with a coinbase."""

    def __init__(self, writer: BlkWriter, network: str, prev_hash: bytes) -> None:
        self.writer = writer
        self.network = network
        self.prev_hash = prev_hash
        self.height = 1
        self.txs: list[bytes] = []
        self.txids: list[bytes] = []
        self.wtxids: list[bytes] = []
        self.fees = 0
        self.witness = False
        self.tx_count = 0
        self.coinbase_outputs = 0
        self.stale_blocks = 0
        self.parent_hash = b"\x00" * 32

    def add(self, raw: bytes, txid_le: bytes, wtxid_le: bytes, fee: int) -> None:
        self.txs.append(raw)
        self.txids.append(txid_le)
        self.wtxids.append(wtxid_le)
        self.fees += fee
        self.witness = self.witness or txid_le != wtxid_le

    def seal(self, time: int, payout: Lock) -> tuple[bytes, int]:
        """Write the block; return the coinbase txid (internal order) and its payout value."""
        value = subsidy(self.height, self.network) + self.fees
        coinbase = self._coinbase(value, payout)
        cb_txid = hash256(coinbase.serialize(include_witness=False))
        raw_header, block_hash = _mine(self.prev_hash, merkle_root([cb_txid, *self.txids]), time)
        body = [raw_header, compact.encode(len(self.txs) + 1), coinbase.serialize(), *self.txs]
        self.writer.add(b"".join(body))
        self.tx_count += len(self.txs) + 1
        self.coinbase_outputs += len(coinbase.outputs)
        self.parent_hash, self.prev_hash = self.prev_hash, block_hash
        self.height += 1
        self.txs, self.txids, self.wtxids, self.fees, self.witness = [], [], [], 0, False
        return cb_txid, value

    def stale(self, time: int, payout: Lock) -> None:
        """A competing coinbase-only sibling of the last sealed block (a stale block).

        Core keeps such blocks in its files; the main chain continues from the sealed sibling,
        so this one ends up with less work. Its coinbase is never spent.
        """
        height = self.height - 1
        tag = b"/ledgerhound-sim/stale/"
        script_sig = script_num(height) + bytes([len(tag)]) + tag
        cb_in = TxIn(b"\x00" * 32, 0xFFFFFFFF, script_sig, 0xFFFFFFFF)
        coinbase = Tx(2, (cb_in,), (TxOut(subsidy(height, self.network), payout.script),), 0)
        raw = coinbase.serialize()
        raw_header, _ = _mine(self.parent_hash, hash256(raw), time)
        self.writer.add(raw_header + b"\x01" + raw)
        self.tx_count += 1
        self.coinbase_outputs += 1
        self.stale_blocks += 1

    def _coinbase(self, value: int, payout: Lock) -> Tx:
        tag = b"/ledgerhound-sim/"
        script_sig = script_num(self.height) + b"\x04" + self.height.to_bytes(4, "little")
        script_sig += bytes([len(tag)]) + tag
        outputs = [TxOut(value, payout.script)]
        witness: tuple[bytes, ...] = ()
        if self.witness:
            wroot = merkle_root([b"\x00" * 32, *self.wtxids])
            commitment = hash256(wroot + b"\x00" * 32)
            outputs.append(TxOut(0, WITNESS_MAGIC + commitment))
            witness = (b"\x00" * 32,)
        cb_in = TxIn(b"\x00" * 32, 0xFFFFFFFF, script_sig, 0xFFFFFFFF, witness)
        return Tx(2, (cb_in,), tuple(outputs), 0)


class BlkWriter:
    """Writes framed blocks into ``blkNNNNN.dat`` files, a few blocks out of order, optional XOR."""

    def __init__(
        self,
        directory: Path,
        magic: bytes,
        rng: random.Random,
        max_file_size: int,
        xor_key: bytes | None = None,
        window: int = 4,
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        self.magic = magic
        self.rng = rng
        self.max_file_size = max_file_size
        self.key = np.frombuffer(xor_key or b"\x00" * 8, dtype=np.uint8)
        self.window = window
        self.pending: list[bytes] = []
        self.file_no = -1
        self.offset = 0
        self.fh = None
        self.blocks = 0
        self.files: list[str] = []
        if xor_key is not None:
            (directory / "xor.dat").write_bytes(xor_key)

    def add(self, block: bytes) -> None:
        self.pending.append(block)
        if len(self.pending) > self.window:
            # Mostly in order; sometimes a later block overtakes (headers-first download).
            idx = 0 if self.rng.random() < 0.8 else self.rng.randrange(len(self.pending))
            self._write(self.pending.pop(idx))

    def _write(self, block: bytes) -> None:
        record = self.magic + len(block).to_bytes(4, "little") + block
        if self.fh is None or (self.offset and self.offset + len(record) > self.max_file_size):
            self._next_file()
        self._raw(record)
        self.blocks += 1

    def _next_file(self) -> None:
        if self.fh is not None:
            self.fh.close()
        self.file_no += 1
        name = f"blk{self.file_no:05d}.dat"
        self.files.append(name)
        self.fh = open(self.dir / name, "wb")  # noqa: SIM115 - closed in _next_file/close
        self.offset = 0

    def _raw(self, data: bytes) -> None:
        if self.key.any():
            arr = np.frombuffer(data, dtype=np.uint8)
            start = self.offset % 8
            key = np.roll(self.key, -start)
            reps = len(data) // 8 + 1
            data = (arr ^ np.tile(key, reps)[: len(data)]).tobytes()
        assert self.fh is not None
        self.fh.write(data)
        self.offset += len(data)

    def close(self) -> None:
        """Flush the reorder window and zero-pad the last file to Core's allocation chunk."""
        while self.pending:
            self._write(self.pending.pop(0))
        if self.fh is not None:
            pad = -self.offset % PAD_CHUNK
            if pad:
                self._raw(b"\x00" * pad)
            self.fh.close()
            self.fh = None
