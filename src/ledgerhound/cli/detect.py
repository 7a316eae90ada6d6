"""``ledgerhound detect``: name terror-finance typologies on chain, with the evidence."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from ledgerhound.cli.context import JSON_OPTION, emit, store_path


def detect_cmd(
    ctx: typer.Context,
    typology: list[str] = typer.Option(
        [], "--typology", "-t", help="Only these typologies (repeatable; default: all)."
    ),
    seed: list[str] = typer.Option(
        [], "--seed", help="Examine only the neighbourhood of these addresses (repeatable)."
    ),
    hops: int = typer.Option(2, help="With --seed: transactions to expand around the seeds."),
    overrides: list[str] = typer.Option(
        [], "--set", help="Override a parameter: TYPOLOGY.PARAMETER=NUMBER (repeatable)."
    ),
    prices: Path | None = typer.Option(
        None, "--prices", help="Daily BTC/USD CSV (date,usd): fiat structuring threshold."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Detect typologies (docs/methods/typologies.md); findings are heuristics, not attribution."""
    from ledgerhound.detect.run import scan
    from ledgerhound.market.prices import load_prices
    from ledgerhound.store import Store

    store = Store(store_path(ctx))
    table = load_prices(prices) if prices is not None else None
    if not sys.stderr.isatty():
        report = scan(store, typology, seed, hops, None, overrides, table)
    else:
        with _progress_bar() as bar:
            task = bar.add_task("detect", total=None)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            report = scan(store, typology, seed, hops, progress, overrides, table)
    emit(report, as_json, _human)


def _progress_bar() -> Any:
    """A stderr progress bar: stage name, stages done, elapsed time (rich, like ``ingest``)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=Console(stderr=True), transient=True)  # fmt: skip


def _human(report: dict) -> None:
    seeds = f" around {len(report['seeds'])} seed(s)" if report["seeds"] else ""
    typer.echo(f"{len(report['findings'])} findings ({report['mode']} scan{seeds}); "
               f"data {report['data_fingerprint'][:16]}")  # fmt: skip
    for name, n in report["counts"].items():
        typer.echo(f"  {name}: {n}")
    for f in report["findings"]:
        if f["typology"] in ("exchange-deposit-address", "coinjoin-use"):
            continue  # numerous; listed with --json
        first = f["addresses"][0] if f["addresses"] else f["txids"][0]
        typer.echo(
            f"{f['typology']} [{f['confidence']}] {first} (+{len(f['addresses']) - 1} addr, "
            f"{len(f['txids'])} tx) {f['value']} sat heights {f['first_seen']}..{f['last_seen']}"
            f" FATF {','.join(f['fatf_indicators'])}"
        )
    for note in report["notes"]:
        typer.echo(f"note: {note}")
    typer.echo(report["caveat"])


def register(app: typer.Typer) -> None:
    app.command("detect")(detect_cmd)
