"""Bitcoin Core ``getblock`` JSON (verbosity 2 or 3) -> :class:`ChainBatch`.

When every transaction carries its ``hex`` (Core always sends it at verbosity 2/3) the block is
reassembled byte for byte and decoded by the same path as block files, so both sources produce
identical rows (and wtxids, sizes, witnesses come from the bytes, not from re-typed fields). Only
when ``hex`` is missing are the rows built from the JSON fields. Verbosity 3 ``prevout`` objects
fill the inputs' ``prev_*`` columns. Amounts are parsed as :class:`~decimal.Decimal` (the caller
must use ``json.loads(parse_float=Decimal)``) and converted to integer satoshis, never floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from ledgerhound.codecs import compact
from ledgerhound.codecs.address import Network, script_to_address
from ledgerhound.codecs.hashes import hash256
from ledgerhound.codecs.script import classify
from ledgerhound.errors import CodecError, CorruptDataError
from ledgerhound.sources.rawblocks import RawBlock, blocks_to_batch
from ledgerhound.sources.verify import first_inconsistent_block
from ledgerhound.store.batch import CHAIN_TABLES, ChainBatch
from ledgerhound.store.schema import arrow_schema

COIN = Decimal(100_000_000)
ZERO_HASH_HEX = "00" * 32


def to_satoshi(value: Any, what: str = "amount") -> int:
    """A BTC amount (Decimal, int or decimal string) as integer satoshis; floats are refused."""
    if isinstance(value, float) or isinstance(value, bool):
        raise CorruptDataError(f"{what} {value!r} was parsed as a float: use parse_float=Decimal")
    sats = Decimal(value) * COIN
    if sats != sats.to_integral_value():
        raise CorruptDataError(f"{what} {value} has more than 8 decimal places")
    return int(sats)


def header_bytes(block: dict[str, Any]) -> bytes:
    """The 80-byte header rebuilt from ``getblock`` fields (its hash must equal ``hash``)."""
    prev = block.get("previousblockhash", ZERO_HASH_HEX)
    return b"".join(
        [
            (int(block["version"]) & 0xFFFFFFFF).to_bytes(4, "little"),
            bytes.fromhex(prev)[::-1],
            bytes.fromhex(block["merkleroot"])[::-1],
            int(block["time"]).to_bytes(4, "little"),
            int(block["bits"], 16).to_bytes(4, "little"),
            int(block["nonce"]).to_bytes(4, "little"),
        ]
    )


def blocks_json_to_batch(
    blocks: Sequence[dict[str, Any]], network: Network, origin: str
) -> ChainBatch:
    """Rows for ``getblock`` results (main-chain blocks with their ``height``), in order."""
    parts: list[ChainBatch] = []
    run: list[RawBlock] = []
    for block in blocks:
        label = f"block {block.get('hash')} at height {block.get('height')}"
        try:
            _check_header(block, label)
            raw = _raw_block(block)
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptDataError(f"{origin}: {label}: malformed getblock JSON ({exc})") from None
        if raw is not None:
            run.append(raw)
            continue
        if run:
            parts.append(_decode(run, network, origin))
            run = []
        parts.append(_json_batch(block, network, origin, label))
    if run:
        parts.append(_decode(run, network, origin))
    batch = concat_batches(parts, network, origin)
    bad = first_inconsistent_block(batch)
    if bad:
        raise CorruptDataError(f"{origin}: block {bad[0]}: {bad[1]}")
    return _fill_prevouts(batch, blocks, network)


def _check_header(block: dict[str, Any], label: str) -> None:
    if hash256(header_bytes(block))[::-1].hex() != block["hash"]:
        raise CorruptDataError(f"{label}: header fields do not hash to the block hash")


def _raw_block(block: dict[str, Any]) -> RawBlock | None:
    txs = block["tx"]
    if not txs or not all(isinstance(tx, dict) and "hex" in tx for tx in txs):
        return None
    body = [header_bytes(block), compact.encode(len(txs))]
    body += [bytes.fromhex(tx["hex"]) for tx in txs]
    return RawBlock(b"".join(body), int(block["height"]), True)


def _decode(run: list[RawBlock], network: Network, origin: str) -> ChainBatch:
    try:
        return blocks_to_batch(run, network, origin)
    except CodecError as exc:
        what = f"a transaction hex does not decode ({exc.message})"
        raise CorruptDataError(f"{origin}: {what}") from None


def concat_batches(parts: list[ChainBatch], network: Network, origin: str) -> ChainBatch:
    """One batch from several, rows in order (an empty list gives empty tables)."""
    if len(parts) == 1 and parts[0].origin == origin:
        return parts[0]
    tables = {
        name: pa.concat_tables([getattr(p, name) for p in parts])
        if parts
        else arrow_schema(name).empty_table()
        for name in CHAIN_TABLES
    }
    return ChainBatch(**tables, network=network.name, origin=origin)


# --- rows from JSON fields (no tx hex) ---------------------------------------------------------


def _json_batch(block: dict[str, Any], net: Network, origin: str, label: str) -> ChainBatch:
    cols: dict[str, dict[str, list]] = {
        name: {c: [] for c in arrow_schema(name).names} for name in CHAIN_TABLES
    }
    height = int(block["height"])
    try:
        _append(
            cols["blocks"],
            height=height, hash=block["hash"],
            prev_hash=block.get("previousblockhash", ZERO_HASH_HEX),
            merkle_root=block["merkleroot"], version=int(block["version"]),
            timestamp=int(block["time"]), bits=int(block["bits"], 16), nonce=int(block["nonce"]),
            tx_count=len(block["tx"]), size=block.get("size"),
            stripped_size=block.get("strippedsize"), weight=block.get("weight"),
            in_main_chain=block.get("confirmations", 1) != -1,
        )  # fmt: skip
        for index, tx in enumerate(block["tx"]):
            _json_tx(cols, tx, index, block["hash"], height, net)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CorruptDataError(f"{origin}: {label}: malformed transaction JSON ({exc})") from None
    tables = {n: pa.Table.from_pydict(c, schema=arrow_schema(n)) for n, c in cols.items()}
    return ChainBatch(**tables, network=net.name, origin=origin)


def _json_tx(cols, tx: dict, index: int, block_hash: str, height: int, net: Network) -> None:
    txid, vin, vout = tx["txid"], tx["vin"], tx["vout"]
    coinbase = len(vin) == 1 and "coinbase" in vin[0]
    size, vsize = tx.get("size"), tx.get("vsize")
    weight = tx.get("weight", 4 * size if size is not None and size == vsize else None)
    values = [to_satoshi(o["value"], f"tx {txid} output value") for o in vout]
    _append(
        cols["transactions"],
        txid=txid, wtxid=tx.get("hash"), block_hash=block_hash, height=height, tx_index=index,
        version=int(tx["version"]), locktime=int(tx["locktime"]), size=size, vsize=vsize,
        weight=weight, is_coinbase=coinbase, input_count=len(vin), output_count=len(vout),
        output_value=sum(values),
    )  # fmt: skip
    for out, value in zip(vout, values, strict=True):
        script = bytes.fromhex(out["scriptPubKey"]["hex"])
        kind = classify(script)
        addr = script_to_address(script, net, kind)
        _append(
            cols["outputs"],
            txid=txid, vout=int(out["n"]), height=height, value=value, script_type=kind,
            address=addr.address, address_derived=addr.derived, script=script,
        )  # fmt: skip
    for n, txin in enumerate(vin):
        is_cb = "coinbase" in txin
        sig = txin["coinbase"] if is_cb else txin["scriptSig"]["hex"]
        _append(
            cols["inputs"],
            txid=txid, vin=n, height=height,
            prev_txid=None if is_cb else txin["txid"],
            prev_vout=None if is_cb else int(txin["vout"]),
            sequence=int(txin["sequence"]), script_sig=bytes.fromhex(sig),
            witness=[bytes.fromhex(w) for w in txin.get("txinwitness", [])],
            prev_value=None, prev_address=None, prev_script_type=None,
        )  # fmt: skip


def _append(columns: dict[str, list], **row: object) -> None:
    for key, value in row.items():
        columns[key].append(value)


# --- verbosity 3 prevouts --------------------------------------------------------------------


def _fill_prevouts(batch: ChainBatch, blocks: Sequence[dict[str, Any]], net: Network) -> ChainBatch:
    """Copy ``prevout`` (verbosity 3) into ``prev_value/prev_address/prev_script_type``."""
    prevouts = [txin.get("prevout") for b in blocks for tx in b["tx"] for txin in tx["vin"]]
    if not any(prevouts):
        return batch
    if len(prevouts) != batch.inputs.num_rows:
        raise CorruptDataError(f"{batch.origin}: prevouts do not line up with the inputs")
    values, addresses, kinds = [], [], []
    for prevout in prevouts:
        if not prevout:
            values.append(None)
            addresses.append(None)
            kinds.append(None)
            continue
        script = bytes.fromhex(prevout["scriptPubKey"]["hex"])
        kind = classify(script)
        values.append(to_satoshi(prevout["value"], "prevout value"))
        addresses.append(script_to_address(script, net, kind).address)
        kinds.append(kind)
    inputs = batch.inputs
    schema = arrow_schema("inputs")
    for name, column in (
        ("prev_value", values),
        ("prev_address", addresses),
        ("prev_script_type", kinds),
    ):
        position = schema.get_field_index(name)
        inputs = inputs.set_column(
            position, schema.field(name), pa.array(column, type=schema.field(name).type)
        )
    return ChainBatch(
        batch.blocks, batch.transactions, batch.outputs, inputs, batch.network, batch.origin
    )
