"""Read queries over the committed store, returning plain dicts (the CLI only formats them).

Values are integer satoshis; unknown values are ``None``, never guessed: a fee is ``None`` when
any input is unresolved, and ``sent`` counts only inputs resolved against outputs in the store.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ledgerhound.codecs.address import address_to_script, get_network
from ledgerhound.errors import InvalidAddressError, InvalidInputError, NotFoundError
from ledgerhound.store import manifest as mf
from ledgerhound.store.schema import SCHEMA_VERSION, TABLES
from ledgerhound.store.sql import connect, define_table, one, run

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")

# Chain-agnostic value movements: one row per (transaction, address, direction). UTXO inputs
# give 'out' rows (resolved inputs only), outputs give 'in' rows; main-chain rows only.
TRANSFERS_SQL = """
CREATE VIEW transfers AS
SELECT 'bitcoin' AS chain, 'BTC' AS asset, txid, height, vout::BIGINT AS position,
       address, 'in' AS direction, value
FROM outputs WHERE address IS NOT NULL AND height IS NOT NULL
UNION ALL
SELECT 'bitcoin', 'BTC', txid, height, vin::BIGINT, prev_address, 'out', prev_value
FROM inputs WHERE prev_address IS NOT NULL AND height IS NOT NULL
"""


def open_views(root: Path, manifest: mf.Manifest) -> duckdb.DuckDBPyConnection:
    con = connect()
    for table in TABLES:
        define_table(con, table, table, [root / p.file for p in manifest.sorted_parts(table)])
    run(con, TRANSFERS_SQL)
    return con


def iso_time(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def stats(root: Path, manifest: mf.Manifest) -> dict[str, Any]:
    low, high = manifest.height_range()
    con = open_views(root, manifest)
    try:
        (stale,) = one(con, "SELECT count(*) FROM blocks WHERE NOT in_main_chain")
    finally:
        con.close()
    return {
        "store": str(root),
        "network": manifest.network,
        "schema_version": SCHEMA_VERSION,
        "blocks": manifest.row_count("blocks"),
        "stale_blocks": int(stale),
        "transactions": manifest.row_count("transactions"),
        "inputs": manifest.row_count("inputs"),
        "outputs": manifest.row_count("outputs"),
        "addresses": manifest.row_count("addresses"),
        "unresolved_inputs": manifest.unresolved_inputs(),
        "min_height": low,
        "max_height": high,
        "generation": manifest.generation,
        "fingerprint": manifest.fingerprint,
    }


def parse_txid(txid: str) -> str:
    if not _HEX64.fullmatch(txid):
        raise InvalidInputError(
            f"txid must be 64 hex digits, got {txid!r} ({len(txid)} characters)", txid=txid
        )
    return txid.lower()


def block(root: Path, manifest: mf.Manifest, ref: str, offset: int, limit: int) -> dict[str, Any]:
    if offset < 0 or limit < 0:
        raise InvalidInputError("--offset and --limit must not be negative")
    if ref.isdigit() and len(ref) <= 9:
        where, param, missing = "height = ? AND in_main_chain", int(ref), f"height {ref}"
    elif _HEX64.fullmatch(ref):
        where, param, missing = "hash = ?", ref.lower(), ref.lower()
    else:
        raise InvalidInputError(
            f"block must be a height or a 64-hex-digit hash, got {ref!r}", block=ref
        )
    con = open_views(root, manifest)
    try:
        found = _rows(con, f"SELECT * FROM blocks WHERE {where} ORDER BY hash LIMIT 1", [param])
        if not found:
            raise NotFoundError(f"block {missing} is not in the store", block=ref)
        info = found[0]
        txids = run(
            con,
            "SELECT txid FROM transactions WHERE block_hash = ? ORDER BY tx_index LIMIT ? OFFSET ?",
            [info["hash"], limit, offset],
        )
    finally:
        con.close()
    info["time"] = iso_time(info["timestamp"])
    info["txids_offset"] = offset
    info["txids"] = [t for (t,) in txids]
    return info


def tx(root: Path, manifest: mf.Manifest, txid: str, height: int | None = None) -> dict[str, Any]:
    """One transaction; ``height`` (from the chain index) lets Parquet skip every other part."""
    txid = parse_txid(txid)
    con = open_views(root, manifest)
    try:
        at = "" if height is None else f" AND t.height = {int(height)}"
        sql = f"""SELECT t.*, b.in_main_chain, b.timestamp FROM transactions t
               JOIN blocks b ON b.hash = t.block_hash WHERE t.txid = ?{at}
               ORDER BY b.in_main_chain DESC, t.height, t.block_hash LIMIT 1"""
        found = _rows(con, sql, [txid])
        if not found:
            raise NotFoundError(f"transaction {txid} is not in the store", txid=txid)
        info = found[0]
        same = "txid = ? AND height IS NOT DISTINCT FROM ?"
        inputs = _rows(
            con,
            f"""SELECT vin AS index, prev_txid, prev_vout, prev_address AS address,
                       prev_value AS value, prev_script_type AS script_type, sequence
                FROM inputs WHERE {same}
                QUALIFY row_number() OVER (PARTITION BY vin) = 1 ORDER BY vin""",
            [txid, info["height"]],
        )
        outputs = _rows(
            con,
            f"""SELECT vout AS index, value, address, address_derived, script_type
                FROM outputs WHERE {same}
                QUALIFY row_number() OVER (PARTITION BY vout) = 1 ORDER BY vout""",
            [txid, info["height"]],
        )
    finally:
        con.close()
    return _tx_result(info, inputs, outputs)


def _tx_result(info: dict, inputs: list[dict], outputs: list[dict]) -> dict[str, Any]:
    values = [i["value"] for i in inputs]
    input_value = None if info["is_coinbase"] or None in values else sum(values)
    fee = None if input_value is None else input_value - info["output_value"]
    keys = ("txid", "wtxid", "block_hash", "height", "tx_index", "in_main_chain", "version",
            "locktime", "size", "vsize", "weight", "is_coinbase")  # fmt: skip
    result = {k: info[k] for k in keys}
    result["time"] = iso_time(info["timestamp"])
    result.update(
        input_count=info["input_count"],
        output_count=info["output_count"],
        input_value=input_value,
        output_value=info["output_value"],
        fee=fee,
        inputs=inputs,
        outputs=outputs,
    )
    return result


def normalize_address(address: str, network: str) -> str:
    """The stored spelling of ``address``; raises InvalidAddressError naming what is wrong."""
    net = get_network(network)
    try:
        address_to_script(address, net)
    except InvalidAddressError as exc:
        raise InvalidAddressError(
            f"invalid address {address!r}: {exc.message}", address=address, **exc.details
        ) from None
    lowered = address.lower()
    return lowered if lowered.startswith(net.hrp + "1") else address


def address(root: Path, manifest: mf.Manifest, addr: str) -> dict[str, Any]:
    addr = normalize_address(addr.strip(), manifest.network or "mainnet")
    con = open_views(root, manifest)
    try:
        summary = _rows(
            con,
            """SELECT count(DISTINCT txid) AS tx_count,
                      count(*) FILTER (WHERE direction = 'in') AS outputs_received,
                      count(*) FILTER (WHERE direction = 'out') AS inputs_spent,
                      coalesce(sum(value) FILTER (WHERE direction = 'in'), 0)::BIGINT AS received,
                      coalesce(sum(value) FILTER (WHERE direction = 'out'), 0)::BIGINT AS sent,
                      min(height) AS first_height, max(height) AS last_height
               FROM transfers WHERE address = ?""",
            [addr],
        )[0]
        ident = run(con, "SELECT address_id FROM addresses WHERE address = ?", [addr])
        if not summary["tx_count"] and not ident:
            raise NotFoundError(f"address {addr} does not appear in the store", address=addr)
        times = dict(
            run(
                con,
                "SELECT height, timestamp FROM blocks WHERE in_main_chain AND height IN (?, ?)",
                [summary["first_height"], summary["last_height"]],
            )
        )
    finally:
        con.close()
    return {
        "address": addr,
        "address_id": ident[0][0] if ident else None,
        "tx_count": summary["tx_count"],
        "outputs_received": summary["outputs_received"],
        "inputs_spent": summary["inputs_spent"],
        "received": summary["received"],
        "sent": summary["sent"],
        "balance": summary["received"] - summary["sent"],
        "first_seen": _seen(summary["first_height"], times),
        "last_seen": _seen(summary["last_height"], times),
        "note": "sent and balance count only inputs resolved against outputs in this store",
    }


def _seen(height: int | None, times: dict[int, int]) -> dict[str, Any] | None:
    if height is None:
        return None
    return {"height": height, "time": iso_time(times.get(height))}
