"""The unit a source hands to the store: a few blocks' worth of rows in the store's schemas."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ledgerhound.store.schema import arrow_schema

CHAIN_TABLES = ("blocks", "transactions", "outputs", "inputs")


@dataclass
class ChainBatch:
    """Rows for a set of blocks. ``inputs`` carry null ``prev_*`` columns: the store resolves them.

    ``fingerprint_parts`` name what the batch came from (file + offset range, RPC url + heights)
    so ingest records provenance.
    """

    blocks: pa.Table
    transactions: pa.Table
    outputs: pa.Table
    inputs: pa.Table
    network: str = "mainnet"
    origin: str = ""

    def __post_init__(self) -> None:
        for name in CHAIN_TABLES:
            table = getattr(self, name)
            expected = arrow_schema(name)
            if not table.schema.remove_metadata().equals(expected.remove_metadata()):
                raise TypeError(f"ChainBatch.{name} does not match the store schema")

    @property
    def block_count(self) -> int:
        return self.blocks.num_rows
