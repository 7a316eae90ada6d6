"""``ledgerhound trace|path|screen``: follow the money, flows between seeds, screening."""

from __future__ import annotations

from pathlib import Path

import typer

from ledgerhound.cli.context import JSON_OPTION, emit, store_path
from ledgerhound.errors import InvalidInputError

STOP_HELP = "Stop at these categories (comma-separated; default: any attributed service)."


def _session(ctx: typer.Context):
    from ledgerhound.store import Store
    from ledgerhound.trace.session import open_session

    return open_session(Store(store_path(ctx)))


def trace_cmd(
    ctx: typer.Context,
    seeds: list[str] = typer.Argument(..., help="Address, cluster id (cluster:N) or txid:vout."),
    direction: str = typer.Option("forward", help="forward (where it went) or backward."),
    hops: int = typer.Option(6, help="Maximum transactions to follow."),
    policy: str = typer.Option(
        "haircut", help="poison | haircut | fifo (docs/methods/tracing.md)."
    ),
    min_value: int = typer.Option(0, help="Stop following amounts below this many satoshis."),
    stop_at: str = typer.Option("service", help=STOP_HELP),
    max_degree: int | None = typer.Option(None, help="Do not expand addresses with more txs."),
    since: str | None = typer.Option(None, help="Start height or date (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, help="End height or date (YYYY-MM-DD)."),
    level: str = typer.Option("address", help="address or cluster."),
    fmt: str | None = typer.Option(
        None, "--format", help="Also write the flow graph: graphml|csv."
    ),
    out: Path | None = typer.Option(None, "--out", help="File for --format."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Follow value forward or backward from seeds, by a documented taint policy."""
    from ledgerhound.trace import trace, write_csv, write_graphml

    if fmt not in (None, "graphml", "csv") or (fmt is not None) != (out is not None):
        raise InvalidInputError("--format graphml|csv and --out FILE go together")
    s = _session(ctx)
    low, high = s.window(since, until)
    result = trace(
        s.graph, list(seeds), s.labels, fingerprint=s.fingerprint,
        direction=direction, hops=hops, policy=policy, min_value=min_value, stop_at=stop_at,
        max_degree=max_degree, since=low, until=high, level=level,
    )  # fmt: skip
    if fmt is not None and out is not None:
        (write_graphml if fmt == "graphml" else write_csv)(result, out)
    from ledgerhound.store import Store
    from ledgerhound.trace.session import attach_tags, seed_warnings

    doc = attach_tags(result.to_dict(), s, Store(store_path(ctx)).root)
    doc["warnings"] = seed_warnings(s, list(seeds))
    emit(doc, as_json, _human_trace)


def _human_trace(doc: dict) -> None:
    p = doc["parameters"]
    typer.echo(f"{p['direction']} trace, policy {p['policy']} ({doc['policy_note']})")
    typer.echo(f"seeds: {', '.join(doc['seeds'])}; data {doc['data_fingerprint']}")
    for warning in doc["warnings"]:
        typer.echo(f"warning: {warning}")
    for key, value in doc["totals"].items():
        typer.echo(f"{key}: {value}")
    typer.echo("endpoints:")
    for e in doc["endpoints"][:50]:
        cats = ",".join(e.get("categories") or e.get("tags") or []) or "-"
        typer.echo(
            f"  {e.get('address') or '-'}  {e['value']} sat  hops {e['hops']}  [{cats}]  "
            f"{e['stop_reason']}"
        )
    if len(doc["endpoints"]) > 50:
        typer.echo(f"  ... {len(doc['endpoints']) - 50} more (use --json)")


def path_cmd(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="Source address, cluster:N or txid:vout."),
    target: str = typer.Argument(..., help="Target address or cluster:N."),
    hops: int = typer.Option(6, help="Maximum depth."),
    max_degree: int | None = typer.Option(None, help="Do not expand addresses with more txs."),
    policy: str = typer.Option("haircut", help="poison | haircut | fifo."),
    max_paths: int = typer.Option(10, help="How many paths to list."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Value-weighted flows connecting two seeds, with depth and degree limits."""
    from ledgerhound.trace import find_paths

    s = _session(ctx)
    doc = find_paths(
        s.graph, [source], [target], s.labels, hops=hops, policy=policy, max_degree=max_degree,
        max_paths=max_paths, fingerprint=s.fingerprint,
    )  # fmt: skip
    emit(doc, as_json, None)


def screen_cmd(
    ctx: typer.Context,
    addresses: list[str] = typer.Argument(None, help="Addresses to screen."),
    file: Path | None = typer.Option(None, "--file", help="File with one address per line."),
    hops: int = typer.Option(4, help="Indirect exposure up to this many hops."),
    severity_policy: Path | None = typer.Option(None, help="YAML severity policy (see docs)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Direct and indirect exposure by category and direction, with a severity."""
    from ledgerhound.trace import load_policy, screen

    wanted = list(addresses or [])
    if file is not None:
        try:
            wanted += [ln.strip() for ln in file.read_text().splitlines() if ln.strip()]
        except OSError as exc:
            raise InvalidInputError(f"{file}: cannot read: {exc.strerror}") from None
    if not wanted:
        raise InvalidInputError("give addresses or --file")
    s = _session(ctx)
    doc = screen(
        s.graph, wanted, s.labels, hops=hops, policy=load_policy(severity_policy),
        fingerprint=s.fingerprint,
    )  # fmt: skip
    emit(doc, as_json, _human_screen)


def _human_screen(doc: dict) -> None:
    for row in doc.get("results", doc.get("addresses", [])):
        typer.echo(f"{row['address']}: {row.get('severity')}")
        for e in row.get("exposures", [])[:10]:
            typer.echo(
                f"  {e.get('category')} {e.get('exposure_type')} {e.get('direction')} "
                f"{e.get('value')} sat ({e.get('share')})"
            )


def register(app: typer.Typer) -> None:
    app.command("trace")(trace_cmd)
    app.command("path")(path_cmd)
    app.command("screen")(screen_cmd)
