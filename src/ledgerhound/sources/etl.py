"""blockchain-etl ``bitcoin-etl`` JSON-lines exports (``blocks.json``, ``transactions.json``).

The export lacks some facts the raw path has; the rules below keep ETL rows equal to the raw
and RPC rows wherever the fact is recoverable, and null (never guessed) where it is not:

* script types and addresses are recomputed from ``script_hex`` with our codecs (bitcoin-etl
  overwrites address-less outputs with synthetic ``nonstandard…`` strings);
* the coinbase input, which bitcoin-etl drops, is re-emitted (``vin`` 0, null prevout, the
  block's ``coinbase_param`` as ``script_sig``). Its ``sequence`` is not exported: it is set to
  0xffffffff, the value Core's miner and nearly all pools use (documented in sources.md);
* a transaction whose ``size`` equals its ``virtual_size`` has no witness (any witness makes
  vsize < size), so its ``wtxid`` = ``txid``, ``weight`` = 4 x size and witnesses are empty;
  for a segwit transaction these are null;
* ``prev_hash`` is not exported: it is taken from the block one below in the same export,
  all-zero for genesis, else the empty string (unknown);
* enriched inputs (``value`` set) fill ``prev_value``, and ``prev_address``/``prev_script_type``
  when the export names one real address.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from ledgerhound.codecs.address import NETWORKS, Network, script_to_address
from ledgerhound.codecs.script import classify
from ledgerhound.errors import CorruptDataError, InvalidInputError
from ledgerhound.store.batch import CHAIN_TABLES, ChainBatch
from ledgerhound.store.schema import arrow_schema

COINBASE_SEQUENCE = 0xFFFFFFFF
UNKNOWN_PREV_HASH = ""


def read_etl_batches(
    paths: Sequence[Path], network: str = "mainnet", batch_blocks: int = 500
) -> Iterator[ChainBatch]:
    """Batches of ``batch_blocks`` blocks (height order) from bitcoin-etl exports.

    Both files are read and cross-checked (every transaction's block present, counts matching)
    before this returns, so a broken export fails before anything is stored.
    """
    if network not in NETWORKS:
        raise InvalidInputError(f"unknown network {network!r} (known: {', '.join(NETWORKS)})")
    blocks_file, txs_file = _locate(paths)
    blocks = {b["hash"]: b for b in _read_lines(blocks_file, _check_block)}
    txs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for tx in _read_lines(txs_file, _check_tx):
        if tx["block_hash"] not in blocks:
            raise CorruptDataError(
                f"{txs_file.name}: transaction {tx['hash']} names block {tx['block_hash']}, "
                f"which is not in {blocks_file.name}",
                file=str(txs_file),
            )
        txs[tx["block_hash"]].append(tx)
    ordered = sorted(blocks.values(), key=lambda b: b["number"])
    for block in ordered:
        found = len(txs.get(block["hash"], []))
        if found != block["transaction_count"]:
            raise CorruptDataError(
                f"{txs_file.name}: block {block['number']} declares "
                f"{block['transaction_count']} transactions, the export has {found}",
                file=str(txs_file),
            )
    by_height = {b["number"]: b["hash"] for b in ordered}
    return _emit(ordered, txs, by_height, NETWORKS[network], batch_blocks, blocks_file)


def _locate(paths: Sequence[Path]) -> tuple[Path, Path]:
    found: dict[str, Path] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            candidates = sorted(path.glob("*blocks.json")) + sorted(path.glob("*transactions.json"))
        elif path.is_file():
            candidates = [path]
        else:
            raise InvalidInputError(f"{path}: no such file or directory", file=str(path))
        for candidate in candidates:
            kind = _kind(candidate)
            if kind in found and found[kind] != candidate:
                raise InvalidInputError(f"two {kind} files: {found[kind]} and {candidate}")
            found[kind] = candidate
    missing = [k for k in ("blocks", "transactions") if k not in found]
    if missing:
        raise InvalidInputError(f"bitcoin-etl export incomplete: no {' or '.join(missing)} file")
    return found["blocks"], found["transactions"]


def _kind(path: Path) -> str:
    """``blocks`` or ``transactions``, from the first record (names vary: expected_blocks.json)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                record = _parse_line(path, 1, line)
                if "transaction_count" in record:
                    return "blocks"
                if "outputs" in record and "block_hash" in record:
                    return "transactions"
                break
    raise InvalidInputError(f"{path.name}: not a bitcoin-etl blocks or transactions export")


def _parse_line(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise CorruptDataError(
            f"{path.name}: line {number} is not JSON ({exc.msg})", file=str(path), line=number
        ) from None
    if not isinstance(record, dict):
        raise CorruptDataError(f"{path.name}: line {number} is not a JSON object", file=str(path))
    return record


def _read_lines(path: Path, check: Any) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                record = _parse_line(path, number, line)
                problem = check(record)
                if problem:
                    raise CorruptDataError(
                        f"{path.name}: line {number}: {problem}", file=str(path), line=number
                    )
                yield record


BLOCK_FIELDS = ("hash", "number", "version", "merkle_root", "timestamp", "nonce", "bits")
TX_FIELDS = ("hash", "block_hash", "block_number", "index", "version", "lock_time", "outputs")


def _check_block(record: dict[str, Any]) -> str | None:
    missing = [f for f in (*BLOCK_FIELDS, "transaction_count") if record.get(f) is None]
    return f"block record lacks {', '.join(missing)}" if missing else None


def _check_tx(record: dict[str, Any]) -> str | None:
    missing = [f for f in TX_FIELDS if record.get(f) is None]
    return f"transaction record lacks {', '.join(missing)}" if missing else None


def _emit(
    ordered: list[dict[str, Any]],
    txs: dict[str, list[dict[str, Any]]],
    by_height: dict[int, str],
    net: Network,
    batch_blocks: int,
    blocks_file: Path,
) -> Iterator[ChainBatch]:
    for lo in range(0, len(ordered), batch_blocks):
        chunk = ordered[lo : lo + batch_blocks]
        cols: dict[str, dict[str, list]] = {
            name: {c: [] for c in arrow_schema(name).names} for name in CHAIN_TABLES
        }
        for block in chunk:
            try:
                _add_block(cols, block, txs.get(block["hash"], []), by_height, net)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise CorruptDataError(
                    f"{blocks_file.name}: block {block['number']}: malformed export ({exc})",
                    file=str(blocks_file),
                ) from None
        tables = {n: pa.Table.from_pydict(c, schema=arrow_schema(n)) for n, c in cols.items()}
        origin = f"etl:{blocks_file.name} heights {chunk[0]['number']}-{chunk[-1]['number']}"
        yield ChainBatch(**tables, network=net.name, origin=origin)


def _add_block(cols, block: dict, txs: list[dict], by_height: dict[int, str], net) -> None:
    height = int(block["number"])
    prev = "00" * 32 if height == 0 else by_height.get(height - 1, UNKNOWN_PREV_HASH)
    _append(
        cols["blocks"],
        height=height, hash=block["hash"], prev_hash=prev, merkle_root=block["merkle_root"],
        version=int(block["version"]), timestamp=int(block["timestamp"]),
        bits=int(block["bits"], 16), nonce=int(block["nonce"], 16),
        tx_count=int(block["transaction_count"]), size=block.get("size"),
        stripped_size=block.get("stripped_size"), weight=block.get("weight"), in_main_chain=True,
    )  # fmt: skip
    for tx in sorted(txs, key=lambda t: t["index"]):
        _add_tx(cols, tx, height, block.get("coinbase_param") or "", net)


def _add_tx(cols, tx: dict, height: int, coinbase_param: str, net: Network) -> None:
    txid, size, vsize = tx["hash"], tx.get("size"), tx.get("virtual_size")
    plain = size is not None and size == vsize  # no witness anywhere in this transaction
    coinbase = bool(tx.get("is_coinbase"))
    outputs = sorted(tx["outputs"], key=lambda o: o["index"])
    inputs = sorted(tx.get("inputs") or [], key=lambda i: i["index"])
    _append(
        cols["transactions"],
        txid=txid, wtxid=txid if plain else None, block_hash=tx["block_hash"], height=height,
        tx_index=int(tx["index"]), version=int(tx["version"]), locktime=int(tx["lock_time"]),
        size=size, vsize=vsize, weight=4 * size if plain else None, is_coinbase=coinbase,
        input_count=len(inputs) + coinbase, output_count=len(outputs),
        output_value=sum(int(o["value"]) for o in outputs),
    )  # fmt: skip
    for out in outputs:
        script = bytes.fromhex(out.get("script_hex") or "")
        kind = classify(script)
        addr = script_to_address(script, net, kind)
        _append(
            cols["outputs"],
            txid=txid, vout=int(out["index"]), height=height, value=int(out["value"]),
            script_type=kind, address=addr.address, address_derived=addr.derived, script=script,
        )  # fmt: skip
    witness = [] if plain else None
    if coinbase:
        _append(
            cols["inputs"],
            txid=txid, vin=0, height=height, prev_txid=None, prev_vout=None,
            sequence=COINBASE_SEQUENCE, script_sig=bytes.fromhex(coinbase_param),
            witness=witness, prev_value=None, prev_address=None, prev_script_type=None,
        )  # fmt: skip
    for txin in inputs:
        _add_input(cols["inputs"], txid, height, txin, witness, int(coinbase))


def _add_input(columns, txid: str, height: int, txin: dict, witness, shift: int) -> None:
    value = txin.get("value")
    addresses = txin.get("addresses") or []
    real = len(addresses) == 1 and not addresses[0].startswith("nonstandard")
    _append(
        columns,
        txid=txid, vin=int(txin["index"]) + shift, height=height,
        prev_txid=txin["spent_transaction_hash"], prev_vout=int(txin["spent_output_index"]),
        sequence=int(txin["sequence"]), script_sig=bytes.fromhex(txin.get("script_hex") or ""),
        witness=witness, prev_value=None if value is None else int(value),
        prev_address=addresses[0] if real and value is not None else None,
        prev_script_type=txin.get("type") if real and value is not None else None,
    )  # fmt: skip


def _append(columns: dict[str, list], **row: object) -> None:
    for key, value in row.items():
        columns[key].append(value)
