"""``ledgerhound stats|block|tx|address|export``: read the store.

The library returns plain dicts with integer satoshis; ``--json`` prints them as they are, the
human view adds BTC amounts next to satoshis.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from ledgerhound.cli.context import JSON_OPTION, emit, store_path


class ExportTable(StrEnum):
    addresses = "addresses"
    transactions = "transactions"
    outputs = "outputs"
    inputs = "inputs"


def _store(ctx: typer.Context) -> Any:
    from ledgerhound.store import Store

    return Store(store_path(ctx))


def btc(sats: int | None) -> str:
    """``123456789`` -> ``'123456789 sat (1.23456789 BTC)'`` with integer arithmetic only."""
    if sats is None:
        return "unknown"
    sign = "-" if sats < 0 else ""
    whole, frac = divmod(abs(sats), 100_000_000)
    return f"{sats} sat ({sign}{whole}.{frac:08d} BTC)"


def stats(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Row counts, height range, unresolved inputs and the data fingerprint."""
    emit(_store(ctx).stats(), as_json)


def block(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="HEIGHT|HASH", help="Block height or hash."),
    offset: int = typer.Option(0, "--offset", min=0, help="First txid to list."),
    limit: int = typer.Option(25, "--limit", min=0, help="How many txids to list."),
    as_json: bool = JSON_OPTION,
) -> None:
    """A block's header fields and (a page of) its txids."""
    emit(_store(ctx).block(ref, offset=offset, limit=limit), as_json, _human_block)


def _human_block(info: dict[str, Any]) -> None:
    for key, value in info.items():
        if key not in ("txids", "txids_offset"):
            typer.echo(f"{key}: {value}")
    first = info["txids_offset"]
    shown = len(info["txids"])
    typer.echo(
        f"txids {first}..{first + shown - 1} of {info['tx_count']}:" if shown else "txids: -"
    )
    for txid in info["txids"]:
        typer.echo(f"  {txid}")


def tx(
    ctx: typer.Context,
    txid: str = typer.Argument(..., metavar="TXID", help="Transaction id (64 hex digits)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """A transaction with resolved inputs, outputs, fee and CoinJoin verdict (a heuristic)."""
    from ledgerhound.cluster.annotate import describe_tx

    store = _store(ctx)
    emit(describe_tx(store, store.tx(txid)), as_json, _human_tx)


def _human_tx(info: dict[str, Any]) -> None:
    for key, value in info.items():
        if key in ("inputs", "outputs", "coinjoin", "change"):
            continue
        shown = btc(value) if key in ("input_value", "output_value", "fee") else value
        typer.echo(f"{key}: {shown}")
    typer.echo("inputs:")
    for i in info["inputs"]:
        spent = "coinbase" if i["prev_txid"] is None else f"{i['prev_txid']}:{i['prev_vout']}"
        who = i["address"] or ("-" if i["value"] is not None else "unresolved")
        typer.echo(f"  {i['index']:>4}  {spent}  {who}  {btc(i['value'])}")
    typer.echo("outputs:")
    for o in info["outputs"]:
        typer.echo(
            f"  {o['index']:>4}  {o['address'] or '-'}  {o['script_type']}  {btc(o['value'])}"
        )
    ch = info.get("change")
    if ch:
        typer.echo(f"change (heuristic): output {ch['index']}, confidence {ch['confidence']}, "
                   f"agreeing: {', '.join(ch['heuristics'])}")  # fmt: skip
    cj = info.get("coinjoin")
    if cj:
        typer.echo(
            f"coinjoin (heuristic): {cj['protocol']}, confidence {cj['confidence']}: {cj['rule']}"
        )


def address(
    ctx: typer.Context,
    addr: str = typer.Argument(..., metavar="ADDRESS", help="Address on the store's network."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Received, sent, balance, first/last seen, cluster and tags for one address."""
    from ledgerhound.cluster.annotate import describe_address

    store = _store(ctx)
    emit(describe_address(store, store.address(addr)), as_json, _human_address)


def _human_address(info: dict[str, Any]) -> None:
    for key, value in info.items():
        if key in ("received", "sent", "balance"):
            value = btc(value)
        elif key in ("first_seen", "last_seen") and value is not None:
            value = f"height {value['height']} ({value['time']})"
        elif key == "cluster" and value is not None:
            value = f"{value['id']} ({value['size']} addresses)"
        elif key == "tags":
            for tag in value:
                typer.echo(f"tag: {tag['label']} [{tag['category']}] {tag['confidence']} "
                           f"via {tag['via']} ({tag['source']})")  # fmt: skip
            continue
        typer.echo(f"{key}: {value}")


def export(
    ctx: typer.Context,
    table: ExportTable = typer.Argument(..., help="Table to export."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file: .csv, .parquet or .jsonl."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Export a table (streamed; format from the file extension)."""
    from ledgerhound.cluster.annotate import clusters_file

    store = _store(ctx)
    result = store.export(table.value, out, clusters=clusters_file(store.root))
    emit(result, as_json, _human_export)


def _human_export(info: dict[str, Any]) -> None:
    typer.echo(f"wrote {info['rows']:,} {info['table']} rows to {info['path']} ({info['format']})")


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)
    app.command("block")(block)
    app.command("tx")(tx)
    app.command("address")(address)
    app.command("export")(export)
