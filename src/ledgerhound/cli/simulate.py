"""``simulate`` writes a ground-truth scenario; ``evaluate`` scores the pipeline against one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from ledgerhound.cli.context import JSON_OPTION, emit
from ledgerhound.errors import ExitStatus


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
    app.command("evaluate")(evaluate_cmd)


def simulate_cmd(
    out: Path = typer.Option(..., "--out", help="New or empty directory to write the scenario."),
    seed: int = typer.Option(1, "--seed", help="Random seed: same seed + options, same bytes."),
    size: str = typer.Option(
        "small", "--size", help="small (~3k txs), medium (~200k), large (~10M) or a tx count."
    ),
    xor: bool = typer.Option(False, "--xor", help="Obfuscate blk files with blocks/xor.dat."),
    network: str = typer.Option("regtest", "--network", help="regtest (default) or mainnet."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write a simulated terror-finance scenario: blocks/, truth/, intel/, posts/."""
    from ledgerhound.sim.scenario import Options, parse_size, simulate

    opts = Options(seed=seed, out=out, size=parse_size(size), xor=xor, network=network)
    progress = None if as_json or not sys.stderr.isatty() else _progress
    summary = simulate(opts, progress)
    elapsed = summary.pop("_elapsed_s")
    summary["elapsed_s"] = elapsed
    summary["tx_per_s"] = int(summary["transactions"] / elapsed) if elapsed else None
    emit(summary, as_json, _human_summary)


def _progress(height: int, txs: int) -> None:
    if height % 100 == 0:
        sys.stderr.write(f"\rheight {height:,}  transactions {txs:,}")
        sys.stderr.flush()


def _human_summary(s: dict[str, Any]) -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    typer.echo(
        f"wrote {s['blocks']:,} blocks, {s['transactions']:,} transactions "
        f"({s['inputs']:,} inputs, {s['outputs']:,} outputs) in {len(s['block_files'])} blk files"
    )
    typer.echo(f"seed {s['seed']}, network {s['network']}, xor {'on' if s['xor'] else 'off'}")
    typer.echo(f"throughput: {s['tx_per_s']:,} tx/s ({s['elapsed_s']} s)")


def evaluate_cmd(
    directory: Path = typer.Argument(..., help="A directory written by `ledgerhound simulate`."),
    metric: list[str] = typer.Option([], "--metric", help="Only these metrics (repeatable)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Ingest a simulated scenario into a fresh store and score every metric against truth."""
    from ledgerhound.sim.evaluate import evaluate

    report = evaluate(directory, metric)
    emit(report, as_json, _human_report)
    if report["failed"]:
        sys.stderr.write(f"ledgerhound: error: metrics failed: {', '.join(report['failed'])}\n")
        raise typer.Exit(int(ExitStatus.ERROR))


def _human_report(report: dict[str, Any]) -> None:
    typer.echo(f"scenario {report['scenario']} (seed {report['seed']}, size {report['size']})")
    for name, result in report["metrics"].items():
        if not isinstance(result, dict):
            result = {"value": result}
        typer.echo(f"\n{name}:")
        _lines(result, "  ")


def _lines(value: Any, indent: str) -> None:
    for key, val in value.items():
        if isinstance(val, dict) and val and all(isinstance(v, dict) for v in val.values()):
            typer.echo(f"{indent}{key}:")
            _lines(val, indent + "  ")
        elif isinstance(val, dict):
            inner = ", ".join(f"{k} {v}" for k, v in val.items())
            typer.echo(f"{indent}{key}: {inner}")
        else:
            typer.echo(f"{indent}{key}: {val}")
