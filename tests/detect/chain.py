"""Hand-built chains written into a real store (ChainBatch -> Store.ingest), for detector tests.

Addresses are real regtest P2WPKH addresses derived from a name, so tags can be imported through
the real TagPack importer; clustering is the real ``cluster build``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa

from ledgerhound.attribution.importer import import_files
from ledgerhound.cluster.build import build
from ledgerhound.codecs import bech32
from ledgerhound.store import Store
from ledgerhound.store.batch import ChainBatch
from ledgerhound.store.schema import arrow_schema

T0 = 1_546_300_800  # 2019-01-01 00:00 UTC: the default time of block 0


def addr(name: str) -> str:
    """A valid regtest P2WPKH address for ``name``."""
    program = hashlib.sha256(name.encode()).digest()[:20]
    return bech32.encode_segwit("bcrt", 0, program)


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Chain:
    """Append transactions block by block; ``store(path)`` ingests, clusters and tags them."""

    def __init__(self) -> None:
        self.blocks: list[list[dict]] = []
        self.values: dict[tuple[str, int], int] = {}
        self.tags: dict[str, str] = {}  # address -> exchange label
        self.times: dict[int, int] = {}  # height -> header timestamp overriding the default

    def block(self, timestamp: int | None = None) -> int:
        """Start a block; ``timestamp`` overrides its header time (default: 10 minutes apart)."""
        self.blocks.append([])
        if timestamp is not None:
            self.times[len(self.blocks) - 1] = timestamp
        return len(self.blocks) - 1

    def coinbase(self, to: str, value: int = 50 * 10**8) -> tuple[str, int]:
        return (self.tx([], [(to, value)]), 0)

    def tx(self, inputs: list[tuple[str, int]], outputs: list[tuple[str, int]]) -> str:
        """Spend ``inputs`` (txid, vout) into ``outputs`` (name, sats) in the current block."""
        if not self.blocks:
            self.block()
        height = len(self.blocks) - 1
        txid = _h(f"{height}/{len(self.blocks[-1])}/{inputs}/{outputs}")
        for vout, (_, value) in enumerate(outputs):
            self.values[(txid, vout)] = value
        self.blocks[-1].append({"txid": txid, "inputs": inputs, "outputs": outputs})
        return txid

    def batch(self) -> ChainBatch:
        blocks, txs, outs, ins = [], [], [], []
        prev = "00" * 32
        for height, block in enumerate(self.blocks):
            bhash = _h(f"block{height}")
            blocks.append(
                {
                    "height": height,
                    "hash": bhash,
                    "prev_hash": prev,
                    "merkle_root": bhash,
                    "version": 2,
                    "timestamp": self.times.get(height, T0 + 600 * height),
                    "bits": 0x207FFFFF,
                    "nonce": 0,
                    "tx_count": len(block),
                    "size": 1000,
                    "stripped_size": 1000,
                    "weight": 4000,
                    "in_main_chain": True,
                }
            )
            prev = bhash
            for index, tx in enumerate(block):
                _rows(tx, height, bhash, index, txs, outs, ins)
        return ChainBatch(*(pa.Table.from_pylist(rows, schema=arrow_schema(name)) for name, rows in
                            (("blocks", blocks), ("transactions", txs), ("outputs", outs),
                             ("inputs", ins))), network="regtest", origin="hand-built")  # fmt: skip

    def store(self, path: Path, cluster: bool = True) -> Store:
        store = Store(path)
        store.ingest([self.batch()])
        if cluster:
            build(store)
        if self.tags:
            pack = path.parent / f"{path.name}-tags.yaml"
            lines = ["title: test", "creator: test", "is_public: true",
                     "confidence: service_data", "category: exchange", "currency: BTC",
                     "network: BTC", "lastmod: '2020-01-01'", "source: https://example.invalid/t",
                     "tags:"]  # fmt: skip
            for a, label in sorted(self.tags.items()):
                lines += [f"- address: {a}", f"  label: {label}"]
            pack.write_text("\n".join(lines) + "\n", encoding="utf-8")
            import_files(store.root, [pack])
        return store


def _rows(tx: dict, height: int, bhash: str, index: int, txs, outs, ins) -> None:
    txid, inputs, outputs = tx["txid"], tx["inputs"], tx["outputs"]
    total = sum(v for _, v in outputs)
    txs.append({"txid": txid, "wtxid": txid, "block_hash": bhash, "height": height,
                "tx_index": index, "version": 2, "locktime": 0, "size": 200, "vsize": 200,
                "weight": 800, "is_coinbase": not inputs, "input_count": max(1, len(inputs)),
                "output_count": len(outputs), "output_value": total})  # fmt: skip
    for vout, (name, value) in enumerate(outputs):
        a = name if name.startswith("bcrt1") else addr(name)
        program = bech32.decode_segwit("bcrt", a)[1]
        outs.append({"txid": txid, "vout": vout, "height": height, "value": value,
                     "script_type": "witness_v0_keyhash", "address": a, "address_derived": False,
                     "script": bytes([0, 20]) + bytes(program)})  # fmt: skip
    for vin, (prev, pvout) in enumerate(inputs or [(None, None)]):
        ins.append({"txid": txid, "vin": vin, "height": height, "prev_txid": prev,
                    "prev_vout": pvout if prev else None, "sequence": 0xFFFFFFFF,
                    "script_sig": b"", "witness": [], "prev_value": None, "prev_address": None,
                    "prev_script_type": None})  # fmt: skip
