"""Real blocks framed as Core block files, and small regtest chains where a shape must be shown.

Real data first: the mainnet blocks come from tests/data (block 413,567 and the getblock hex of
blocks 0 and 1). Regtest chains (fork, ties, order) start from the real regtest genesis block
(mainnet's genesis transaction under the regtest header: time 1296688602, bits 0x207fffff,
nonce 2, hash 0f9188f1...) and add crafted blocks whose nonce is ground to meet 0x207fffff.
"""

from __future__ import annotations

import json
from pathlib import Path

from ledgerhound.codecs import compact
from ledgerhound.codecs.address import NETWORKS
from ledgerhound.codecs.block import BlockHeader
from ledgerhound.codecs.hashes import hash256
from ledgerhound.codecs.tx import Tx, TxIn, TxOut

DATA = Path(__file__).resolve().parents[1] / "data"
ETL = DATA / "bitcoin-etl"
REGTEST_BITS = 0x207FFFFF
REGTEST_GENESIS_HASH = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"


def getblock_json(height: int) -> dict:
    """The recorded ``getblock <hash> 2`` answer for a fixture height (0, 1, 50000-50002)."""
    for path in ETL.rglob("rpc_response_getblockhash_*.json"):
        if path.name == f"rpc_response_getblockhash_{height}.json":
            block_hash = json.loads(path.read_text())
            found = next(ETL.rglob(f"rpc_response_getblock_{block_hash}_2.json"))
            return json.loads(found.read_text())
    raise KeyError(height)


def mainnet_block(height: int) -> bytes:
    """A real mainnet block rebuilt from its recorded getblock JSON (header fields + tx hex)."""
    if height == 413567:
        return (DATA / "bitcoin" / "block413567.raw").read_bytes()
    from ledgerhound.sources.corejson import header_bytes

    block = getblock_json(height)
    txs = [bytes.fromhex(tx["hex"]) for tx in block["tx"]]
    return header_bytes(block) + compact.encode(len(txs)) + b"".join(txs)


def regtest_genesis() -> bytes:
    genesis_tx = bytes.fromhex(getblock_json(0)["tx"][0]["hex"])
    merkle = hash256(genesis_tx)
    header = BlockHeader(1, b"\x00" * 32, merkle, 1296688602, REGTEST_BITS, 2)
    assert header.hash == REGTEST_GENESIS_HASH
    return header.serialize() + b"\x01" + genesis_tx


def block_hash(block: bytes) -> str:
    return hash256(block[:80])[::-1].hex()


def child_block(parent: bytes, height: int, tag: int = 0, version: int = 0x20000000) -> bytes:
    """A regtest block on ``parent``: one BIP34 coinbase (``tag`` varies it), PoW satisfied."""
    height_push = height.to_bytes((height.bit_length() + 8) // 8, "little")
    script_sig = bytes([len(height_push)]) + height_push + bytes([1, tag])
    coinbase = Tx(
        version=2,
        inputs=(TxIn(b"\x00" * 32, 0xFFFFFFFF, script_sig, 0xFFFFFFFF),),
        outputs=(TxOut(50_0000_0000, bytes.fromhex("76a914" + "11" * 20 + "88ac")),),
        locktime=0,
    )
    raw_tx = coinbase.serialize()
    prev = hash256(parent[:80])
    time = int.from_bytes(parent[68:72], "little") + 600
    for nonce in range(1 << 16):
        header = BlockHeader(version, prev, hash256(raw_tx), time, REGTEST_BITS, nonce)
        if int.from_bytes(hash256(header.serialize()), "little") <= 0x7FFFFF << (8 * 29):
            return header.serialize() + b"\x01" + raw_tx
    raise AssertionError("no nonce found")  # pragma: no cover


def frame(blocks: list[bytes], network: str = "regtest") -> bytes:
    """``magic | size | block`` records, as Core writes them to blk files."""
    magic = NETWORKS[network].magic
    return b"".join(magic + len(b).to_bytes(4, "little") + b for b in blocks)


def xor(data: bytes, key: bytes, start: int = 0) -> bytes:
    """Obfuscate like Core >= 28: byte at absolute offset i XOR key[i % 8]."""
    return bytes(b ^ key[(start + i) % 8] for i, b in enumerate(data))


# A real segwit (P2WPKH-spending) transaction from Bitcoin Core's src/test/data/tx_valid.json
# (copy: /work/shared/data/bitcoin-test-vectors, PROVENANCE.md there), used as block content.
SEGWIT_TX = bytes.fromhex(
    "0100000000010100010000000000000000000000000000000000000000000000000000000000000000000000"
    "ffffffff01e8030000000000001976a9144c9c3dfac4207d5d8cb89df5722cb3d712385e3f88ac0248304502"
    "2100cfb07164b36ba64c1b1e8c7720a56ad64d96f6ef332d3d37f9cb3c96477dc44502200a464cd7a9cf94cd"
    "70f66ce4f4f0625ef650052c7afcfe29d7d7e01830ff91ed012103596d3451025c19dbbdeb932d6bf8bfb4ad"
    "499b95b6f88db8899efac102e5fc7100000000"
)


def segwit_block(parent: bytes, height: int) -> bytes:
    """A regtest block: BIP34+BIP141 coinbase (reserved value, commitment) and SEGWIT_TX."""
    from ledgerhound.codecs.block import merkle_root

    tx = Tx.parse(SEGWIT_TX)
    reserved = b"\x00" * 32
    witness_root = merkle_root([b"\x00" * 32, bytes.fromhex(tx.wtxid)[::-1]])
    commitment = bytes.fromhex("6a24aa21a9ed") + hash256(witness_root + reserved)
    height_push = height.to_bytes((height.bit_length() + 8) // 8, "little")
    coinbase = Tx(
        version=2,
        inputs=(
            TxIn(b"\x00" * 32, 0xFFFFFFFF, bytes([len(height_push)]) + height_push, 0xFFFFFFFF,
                 witness=(reserved,)),
        ),
        outputs=(
            TxOut(50_0000_0000, bytes.fromhex("0014" + "22" * 20)),
            TxOut(0, commitment),
        ),
        locktime=0,
    )  # fmt: skip
    txids = [bytes.fromhex(t.txid)[::-1] for t in (coinbase, tx)]
    prev = hash256(parent[:80])
    time = int.from_bytes(parent[68:72], "little") + 600
    body = b"\x02" + coinbase.serialize() + SEGWIT_TX
    for nonce in range(1 << 16):
        header = BlockHeader(0x20000000, prev, merkle_root(txids), time, REGTEST_BITS, nonce)
        if int.from_bytes(hash256(header.serialize()), "little") <= 0x7FFFFF << (8 * 29):
            return header.serialize() + body
    raise AssertionError("no nonce found")  # pragma: no cover
