"""Simulated block files checked by an independent decoder (python-bitcoinlib)."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import bitcoin
import pytest
from bitcoin.core import CBlock, CheckBlock, b2lx
from bitcoin.core.script import CScript

from ledgerhound.codecs.hashes import hash160
from ledgerhound.sim.blkwriter import genesis_block, script_num


def read_blk_dir(blocks: Path) -> list[tuple[str, int, CBlock]]:
    """Every framed block as (file, offset, CBlock), un-XORed with xor.dat when present."""
    key_path = blocks / "xor.dat"
    key = key_path.read_bytes() if key_path.exists() else b"\x00" * 8
    out = []
    for f in sorted(blocks.glob("blk*.dat")):
        enc = f.read_bytes()
        data = bytes(b ^ key[i % 8] for i, b in enumerate(enc))
        pos = 0
        while pos + 8 <= len(data) and data[pos : pos + 4] != b"\x00" * 4:
            assert data[pos : pos + 4] == bytes.fromhex("fabfb5da"), f"{f.name}@{pos}"
            (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
            out.append((f.name, pos, CBlock.deserialize(data[pos + 8 : pos + 8 + size])))
            pos += 8 + size
        assert not data[pos:].strip(b"\x00"), "only zero padding may follow the last block"
    return out


@pytest.fixture(scope="module")
def chain(scenario: Path) -> dict:
    records = read_blk_dir(scenario / "blocks")
    by_hash = {blk.GetHash(): blk for _, _, blk in records}
    summary = json.loads((scenario / "truth" / "summary.json").read_text())
    h = bytes.fromhex(summary["tip_hash"])[::-1]
    order = [h]  # the main chain, walked back from the tip
    while by_hash[h].hashPrevBlock in by_hash:
        h = by_hash[h].hashPrevBlock
        order.append(h)
    order.reverse()
    assert order[0] == genesis_block("regtest")[1]
    return {"records": records, "order": order, "blocks": by_hash, "summary": summary}


def test_genesis_blocks_are_the_real_ones():
    assert genesis_block("regtest")[1][::-1].hex() == (
        "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
    )
    assert genesis_block("mainnet")[1][::-1].hex() == (
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
    )


def test_script_num_matches_core():
    assert script_num(1) == b"\x51" and script_num(16) == b"\x60"
    assert script_num(17) == b"\x01\x11"
    assert script_num(128) == b"\x02\x80\x00"
    assert script_num(413567) == b"\x03\x7f\x4f\x06"


def test_blocks_pass_bitcoinlib_checks_and_counts_match(chain: dict):
    bitcoin.SelectParams("regtest")
    genesis = genesis_block("regtest")[1]
    try:
        for h, blk in chain["blocks"].items():
            if h != genesis:
                CheckBlock(blk, fCheckPoW=True, cur_time=2**32 - 1)
    finally:
        bitcoin.SelectParams("mainnet")
    summary = chain["summary"]
    blocks = [blk for _, _, blk in chain["records"]]  # main chain and stale blocks
    assert len(blocks) == len(chain["blocks"]) == summary["blocks"]
    assert len(chain["order"]) == summary["tip_height"] + 1
    assert len(blocks) - len(chain["order"]) == summary["stale_blocks"] == 2
    assert sum(len(b.vtx) for b in blocks) == summary["transactions"]
    assert sum(len(tx.vin) for b in blocks for tx in b.vtx) == summary["inputs"]
    assert sum(len(tx.vout) for b in blocks for tx in b.vtx) == summary["outputs"]
    assert all(b.calc_merkle_root() == b.hashMerkleRoot for b in blocks)
    assert b2lx(chain["order"][-1]) == summary["tip_hash"]


def test_files_are_several_out_of_order_and_xored(scenario: Path, chain: dict):
    files = {name for name, _, _ in chain["records"]}
    assert len(files) >= 3
    main = set(chain["order"])
    stored = [blk.GetHash() for _, _, blk in chain["records"] if blk.GetHash() in main]
    assert stored != chain["order"] and sorted(stored) == sorted(chain["order"])
    raw = (scenario / "blocks" / "blk00000.dat").read_bytes()
    assert raw[:4] != bytes.fromhex("fabfb5da")  # obfuscated on disk


def test_bip34_heights_and_witness_commitments(chain: dict):
    for height, h in enumerate(chain["order"][1:], start=1):
        block = chain["blocks"][h]
        cb = block.vtx[0]
        assert bytes(cb.vin[0].scriptSig).startswith(script_num(height))
        if any(tx.has_witness() for tx in block.vtx[1:]):
            wtxids = [b"\x00" * 32] + [tx.GetHash() for tx in block.vtx[1:]]
            root = _merkle(wtxids)
            commit = hashlib.sha256(hashlib.sha256(root + b"\x00" * 32).digest()).digest()
            assert bytes(cb.vout[-1].scriptPubKey) == bytes.fromhex("6a24aa21a9ed") + commit


def _merkle(level: list[bytes]) -> bytes:
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [
            hashlib.sha256(hashlib.sha256(level[i] + level[i + 1]).digest()).digest()
            for i in range(0, len(level), 2)
        ]
    return level[0]


def test_value_conservation_and_keys_hash_to_spent_scripts(chain: dict):
    utxo: dict[tuple[bytes, int], tuple[int, bytes]] = {}
    for height, h in enumerate(chain["order"]):
        block = chain["blocks"][h]
        fees = 0
        for i, tx in enumerate(block.vtx):
            if i:
                spent = 0
                for n, txin in enumerate(tx.vin):
                    value, script = utxo.pop((txin.prevout.hash, txin.prevout.n))
                    spent += value
                    witness = tx.wit.vtxinwit[n].scriptWitness.stack if tx.has_witness() else []
                    _check_key(script, bytes(txin.scriptSig), [bytes(x) for x in witness])
                fees += spent - sum(o.nValue for o in tx.vout)
                assert spent >= sum(o.nValue for o in tx.vout)
            for n, out in enumerate(tx.vout):
                utxo[(tx.GetTxid(), n)] = (out.nValue, bytes(out.scriptPubKey))
        if height:
            subsidy = (50 * 10**8) >> (height // 150)
            assert sum(o.nValue for o in block.vtx[0].vout) == subsidy + fees


def _check_key(script: bytes, script_sig: bytes, witness: list[bytes]) -> None:
    if script[:3] == b"\x76\xa9\x14":  # P2PKH: last push is the key
        assert hash160(list(CScript(script_sig))[-1]) == script[3:23]
    elif script[:2] == b"\x00\x14":
        assert hash160(witness[1]) == script[2:]
    elif script[:2] == b"\xa9\x14":
        redeem = list(CScript(script_sig))[-1]
        assert hash160(redeem) == script[2:22] and redeem[2:] == hash160(witness[1])
    elif script[:2] == b"\x00\x20":
        assert hashlib.sha256(witness[-1]).digest() == script[2:]
