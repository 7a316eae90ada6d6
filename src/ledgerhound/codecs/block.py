"""Bitcoin blocks: the 80-byte header, the transaction list, merkle roots, BIP34 heights."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerhound.codecs import compact
from ledgerhound.codecs.hashes import hash256
from ledgerhound.codecs.tx import Tx
from ledgerhound.errors import CodecError

HEADER_SIZE = 80


@dataclass(frozen=True)
class BlockHeader:
    version: int
    prev_hash: bytes  # internal byte order
    merkle_root: bytes  # internal byte order
    time: int
    bits: int
    nonce: int

    def serialize(self) -> bytes:
        return b"".join(
            [
                (self.version & 0xFFFFFFFF).to_bytes(4, "little"),
                self.prev_hash,
                self.merkle_root,
                self.time.to_bytes(4, "little"),
                self.bits.to_bytes(4, "little"),
                self.nonce.to_bytes(4, "little"),
            ]
        )

    @classmethod
    def parse(cls, data: bytes | memoryview) -> BlockHeader:
        """Exactly 80 bytes; use :meth:`read_from` to read a header at the start of a block."""
        header, end = cls.read_from(data, 0)
        if end != len(data):
            raise CodecError(f"{len(data) - end} trailing bytes after block header", offset=end)
        return header

    @classmethod
    def read_from(cls, buf: bytes | memoryview, pos: int) -> tuple[BlockHeader, int]:
        end = pos + HEADER_SIZE
        if end > len(buf):
            got = max(len(buf) - pos, 0)
            raise CodecError(f"truncated block header: {got} of 80 bytes", offset=pos)
        d = bytes(buf[pos:end])
        header = cls(
            int.from_bytes(d[0:4], "little", signed=True),
            d[4:36],
            d[36:68],
            int.from_bytes(d[68:72], "little"),
            int.from_bytes(d[72:76], "little"),
            int.from_bytes(d[76:80], "little"),
        )
        return header, end

    @property
    def hash(self) -> str:
        return hash256(self.serialize())[::-1].hex()

    @property
    def prev_hash_hex(self) -> str:
        return self.prev_hash[::-1].hex()


@dataclass(frozen=True)
class Block:
    header: BlockHeader
    txs: tuple[Tx, ...]

    @classmethod
    def parse(cls, data: bytes | memoryview) -> Block:
        header, pos = BlockHeader.read_from(data, 0)
        n, pos = compact.decode(data, pos)
        txs = []
        for _ in range(n):
            tx, pos = Tx.read_from(data, pos)
            txs.append(tx)
        if pos != len(data):
            raise CodecError(f"{len(data) - pos} trailing bytes after block", offset=pos)
        return cls(header, tuple(txs))

    def serialize(self) -> bytes:
        parts = [self.header.serialize(), compact.encode(len(self.txs))]
        return b"".join(parts + [tx.raw for tx in self.txs])

    @property
    def hash(self) -> str:
        return self.header.hash

    def computed_merkle_root(self) -> bytes:
        return merkle_root([bytes.fromhex(tx.txid)[::-1] for tx in self.txs])


def merkle_root(hashes: list[bytes]) -> bytes:
    """Merkle root over internal-order hashes, duplicating the last one on odd levels."""
    if not hashes:
        raise CodecError("merkle root of an empty list")
    level = list(hashes)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hash256(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def bip34_height(coinbase_script_sig: bytes) -> int | None:
    """The block height a BIP34 coinbase commits to (first push, little-endian), or None."""
    if not coinbase_script_sig:
        return None
    op = coinbase_script_sig[0]
    if 1 <= op <= 8 and len(coinbase_script_sig) > op:
        number = coinbase_script_sig[1 : 1 + op]
        if number[-1] & 0x80:  # a CScriptNum with the sign bit set is negative: no height
            return None
        return int.from_bytes(number, "little")
    if 0x51 <= op <= 0x60:  # OP_1..OP_16 (heights 1..16 on regtest-like chains)
        return op - 0x50
    return None
