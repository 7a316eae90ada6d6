"""Table schemas of the store, declared as data.

Each column is ``(name, arrow type, nullable, meaning)``. Sources produce tables with exactly
these schemas (see :class:`ledgerhound.store.batch.ChainBatch`); the store writes them to Parquet
partitioned by height range, and ``docs/data-model.md`` is generated from the same declarations.
Hashes and txids are lowercase hex in display order (as Bitcoin Core's RPC prints them); values are
integer satoshis; an unknown value is null, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    nullable: bool
    doc: str


TABLES: dict[str, tuple[Column, ...]] = {
    "blocks": (
        Column("height", pa.int32(), True, "height on the main chain; null for a stale block"),
        Column("hash", pa.string(), False, "block hash, display hex"),
        Column("prev_hash", pa.string(), False, "parent block hash, display hex"),
        Column("merkle_root", pa.string(), False, "merkle root, display hex"),
        Column("version", pa.int64(), False, "block version (signed 32-bit)"),
        Column("timestamp", pa.int64(), False, "header time, unix seconds"),
        Column("bits", pa.int64(), False, "compact target"),
        Column("nonce", pa.int64(), False, "header nonce"),
        Column("tx_count", pa.int32(), False, "number of transactions"),
        Column("size", pa.int32(), True, "serialized size in bytes (null if the source lacks it)"),
        Column("stripped_size", pa.int32(), True, "size without witness data"),
        Column("weight", pa.int32(), True, "BIP141 weight"),
        Column("in_main_chain", pa.bool_(), False, "false for stale/orphan blocks"),
    ),
    "transactions": (
        Column("txid", pa.string(), False, "transaction id, display hex"),
        Column("wtxid", pa.string(), True, "witness transaction id (= txid without witness)"),
        Column("block_hash", pa.string(), False, "containing block"),
        Column("height", pa.int32(), True, "height of the containing block"),
        Column("tx_index", pa.int32(), False, "position inside the block"),
        Column("version", pa.int64(), False, "tx version (signed 32-bit)"),
        Column("locktime", pa.int64(), False, "nLockTime"),
        Column("size", pa.int32(), True, "serialized size"),
        Column("vsize", pa.int32(), True, "virtual size"),
        Column("weight", pa.int32(), True, "BIP141 weight"),
        Column("is_coinbase", pa.bool_(), False, "true for the block's coinbase"),
        Column("input_count", pa.int32(), False, "inputs (coinbase counts 1)"),
        Column("output_count", pa.int32(), False, "outputs"),
        Column("output_value", pa.int64(), False, "sum of output values, satoshis"),
    ),
    "outputs": (
        Column("txid", pa.string(), False, "creating transaction"),
        Column("vout", pa.int32(), False, "output index"),
        Column("height", pa.int32(), True, "height of the creating transaction"),
        Column("value", pa.int64(), False, "satoshis"),
        Column("script_type", pa.string(), False, "Bitcoin Core type name"),
        Column("address", pa.string(), True, "address, null when the script has none"),
        Column("address_derived", pa.bool_(), False, "address is a convention (P2PK as P2PKH)"),
        Column("script", pa.binary(), False, "scriptPubKey bytes"),
    ),
    "inputs": (
        Column("txid", pa.string(), False, "spending transaction"),
        Column("vin", pa.int32(), False, "input index"),
        Column("height", pa.int32(), True, "height of the spending transaction"),
        Column("prev_txid", pa.string(), True, "spent output's txid; null for coinbase"),
        Column("prev_vout", pa.int64(), True, "spent output's index; null for coinbase"),
        Column("sequence", pa.int64(), False, "nSequence"),
        Column("script_sig", pa.binary(), False, "scriptSig (coinbase data for coinbase)"),
        Column("witness", pa.list_(pa.binary()), True, "witness stack, empty list if none"),
        Column("prev_value", pa.int64(), True, "resolved value of the spent output"),
        Column("prev_address", pa.string(), True, "resolved address of the spent output"),
        Column("prev_script_type", pa.string(), True, "resolved script type of the spent output"),
    ),
    "addresses": (
        Column(
            "address_id",
            pa.int64(),
            False,
            "dense integer id, in order of first appearance on the main chain",
        ),
        Column("address", pa.string(), False, "address string"),
        Column("first_height", pa.int32(), True, "height where it first received"),
    ),
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a store table (``blocks``, ``transactions``, ...)."""
    return pa.schema(
        [pa.field(c.name, c.type, nullable=c.nullable) for c in TABLES[table]],
        metadata={"ledgerhound.table": table, "ledgerhound.schema_version": str(SCHEMA_VERSION)},
    )
