"""Hand-built chains in the store's exact Arrow schemas, for tracing tests."""

from __future__ import annotations

import hashlib

import pyarrow as pa

from ledgerhound.store.schema import arrow_schema
from ledgerhound.trace import FlowGraph


class Chain:
    """Append transactions by hand; ``graph()`` builds the FlowGraph via the real Arrow path."""

    def __init__(self) -> None:
        self.txs: list[dict] = []
        self.outs: list[dict] = []
        self.ins: list[dict] = []
        self.values: dict[tuple[str, int], tuple[int, str | None]] = {}

    def tx(
        self,
        inputs: list[tuple[str, int]],
        outputs: list[tuple[str | None, int]],
        height: int | None = None,
        name: str | None = None,
    ) -> str:
        """Spend ``inputs`` (txid, vout) into ``outputs`` (address, sats); no inputs = coinbase."""
        n = len(self.txs)
        txid = hashlib.sha256((name or f"tx{n}").encode()).hexdigest()
        height = n if height is None else height
        self.txs.append(
            {
                "txid": txid,
                "wtxid": txid,
                "block_hash": "00" * 32,
                "height": height,
                "tx_index": 0 if not inputs else 1,
                "version": 2,
                "locktime": 0,
                "size": 200,
                "vsize": 200,
                "weight": 800,
                "is_coinbase": not inputs,
                "input_count": max(len(inputs), 1),
                "output_count": len(outputs),
                "output_value": sum(v for _, v in outputs),
            }
        )
        for vout, (address, value) in enumerate(outputs):
            self.values[(txid, vout)] = (value, address)
            self.outs.append(
                {
                    "txid": txid,
                    "vout": vout,
                    "height": height,
                    "value": value,
                    "script_type": "witness_v0_keyhash" if address else "nulldata",
                    "address": address,
                    "address_derived": False,
                    "script": b"",
                }
            )
        for vin, (prev, pvout) in enumerate(inputs or [(None, None)]):
            value, address = self.values.get((prev, pvout), (None, None))
            self.ins.append(
                {
                    "txid": txid,
                    "vin": vin,
                    "height": height,
                    "prev_txid": prev,
                    "prev_vout": pvout,
                    "sequence": 0xFFFFFFFF,
                    "script_sig": b"",
                    "witness": [],
                    "prev_value": value,
                    "prev_address": address,
                    "prev_script_type": None,
                }
            )
        return txid

    def tables(self) -> tuple[pa.Table, pa.Table, pa.Table]:
        return tuple(
            pa.Table.from_pylist(rows, schema=arrow_schema(name))
            for name, rows in (
                ("transactions", self.txs),
                ("outputs", self.outs),
                ("inputs", self.ins),
            )
        )

    def graph(self) -> FlowGraph:
        return FlowGraph.from_arrow(*self.tables())
