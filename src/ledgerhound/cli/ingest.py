"""``ledgerhound ingest blocks|rpc|etl``: load chain data into the store, atomically.

Sources are imported lazily inside each command so ``--help`` stays fast. A progress bar
(blocks/s, tx/s) goes to stderr only when stderr is a terminal and ``--json`` is off; stdout
carries only the result.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from ledgerhound.cli.context import JSON_OPTION, emit, store_path
from ledgerhound.store.batch import ChainBatch

ingest_app = typer.Typer(
    name="ingest",
    help="Load blocks into the store (all-or-nothing, re-runs skip blocks already present).",
    no_args_is_help=True,
)

CHECKPOINT_OPTION = typer.Option(
    None,
    "--checkpoint-blocks",
    min=1,
    help="Commit every N new blocks so an interrupted run resumes (default: one commit).",
)
NETWORK_OPTION = typer.Option(
    None, "--network", help="mainnet|testnet|testnet4|signet|regtest (default: detect)."
)


@ingest_app.command("blocks")
def ingest_blocks(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(
        ..., help="blocks/ directory, blk*.dat files, or raw/hex block files."
    ),
    network: str | None = NETWORK_OPTION,
    batch_blocks: int = typer.Option(500, "--batch-blocks", min=1, help="Blocks per batch."),
    checkpoint_blocks: int | None = CHECKPOINT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Ingest Bitcoin Core block files or raw blocks."""
    from ledgerhound.sources.blkfiles import read_block_batches

    batches = read_block_batches(paths, network=network, batch_blocks=batch_blocks)
    _ingest(ctx, batches, checkpoint_blocks, as_json)


@ingest_app.command("rpc")
def ingest_rpc(
    ctx: typer.Context,
    url: str = typer.Option(..., "--url", help="Core RPC URL, e.g. http://127.0.0.1:8332"),
    start: int | None = typer.Option(None, "--from", min=0, help="First height (default 0)."),
    end: int | None = typer.Option(None, "--to", min=0, help="Last height (default: tip)."),
    user: str | None = typer.Option(None, "--user", help="RPC user."),
    password: str | None = typer.Option(None, "--password", help="RPC password."),
    cookie: Path | None = typer.Option(None, "--cookie", help="Core's .cookie file."),
    network: str | None = NETWORK_OPTION,
    batch_blocks: int = typer.Option(100, "--batch-blocks", min=1, help="Blocks per batch."),
    checkpoint_blocks: int | None = CHECKPOINT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Ingest main-chain blocks from a Bitcoin Core node over JSON-RPC."""
    from ledgerhound.sources.rpc import read_rpc_batches

    batches = read_rpc_batches(
        url, start, end, user=user, password=password, cookie_file=cookie,
        batch_blocks=batch_blocks, network=network,
    )  # fmt: skip
    _ingest(ctx, batches, checkpoint_blocks, as_json)


@ingest_app.command("etl")
def ingest_etl(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="bitcoin-etl blocks/transactions JSON files."),
    checkpoint_blocks: int | None = CHECKPOINT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Ingest bitcoin-etl exports (blocks.json + transactions.json)."""
    from ledgerhound.sources.etl import read_etl_batches

    _ingest(ctx, read_etl_batches(paths), checkpoint_blocks, as_json)


def _ingest(
    ctx: typer.Context, batches: Iterator[ChainBatch], checkpoint: int | None, as_json: bool
) -> None:
    from ledgerhound.store import Store

    store = Store(store_path(ctx))
    started = time.perf_counter()
    if sys.stderr.isatty() and not as_json:
        result = _with_progress(store, batches, checkpoint)
    else:
        result = store.ingest(batches, checkpoint_blocks=checkpoint)
    elapsed = time.perf_counter() - started
    emit(result, as_json, lambda r: _human(r, elapsed, store.root))


def _with_progress(store: Any, batches: Iterator[ChainBatch], checkpoint: int | None) -> dict:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.completed:,.0f} blocks  {task.fields[txs]:,} tx"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("ingest", total=None, txs=0, rate="")
        started = time.perf_counter()
        totals = {"txs": 0}

        def update(blocks: int, txs: int) -> None:
            totals["txs"] += txs
            bar.advance(task, blocks)
            seconds = max(time.perf_counter() - started, 1e-9)
            done = bar.tasks[0].completed
            rate = f"{done / seconds:,.0f} blocks/s  {totals['txs'] / seconds:,.0f} tx/s"
            bar.update(task, txs=totals["txs"], rate=rate)

        return store.ingest(batches, progress=update, checkpoint_blocks=checkpoint)


def _human(result: dict[str, Any], elapsed: float, root: Path) -> None:
    seconds = max(elapsed, 1e-9)
    typer.echo(
        f"ingested {result['blocks']:,} blocks, {result['transactions']:,} transactions "
        f"({result['inputs']:,} inputs, {result['outputs']:,} outputs, "
        f"{result['addresses']:,} new addresses) into {root} in {elapsed:.2f} s "
        f"({result['blocks'] / seconds:,.0f} blocks/s, "
        f"{result['transactions'] / seconds:,.0f} tx/s)"
    )
    if result["skipped_blocks"]:
        typer.echo(f"skipped {result['skipped_blocks']:,} blocks already in the store")
    typer.echo(
        f"resolved {result['resolved_inputs']:,} inputs; "
        f"{result['unresolved_inputs']:,} inputs in the store spend outputs it does not hold"
    )
    typer.echo(f"fingerprint: {result['fingerprint']}")


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")
