"""``ledgerhound investigate``: run the whole pipeline and write a reproducible case folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ledgerhound.cli.context import JSON_OPTION, emit, store_path
from ledgerhound.errors import InvalidInputError
from ledgerhound.store import layout


def investigate_cmd(
    ctx: typer.Context,
    seeds: list[str] = typer.Argument(None, help="Seed addresses (or use --posts)."),
    posts: Path | None = typer.Option(None, "--posts", help="Posts to take seeds from (OSINT)."),
    case: str | None = typer.Option(None, "--case", help="Record the run in this case."),
    out: Path | None = typer.Option(None, "--out", help="Case folder to write (default: in case)."),
    prices: Path | None = typer.Option(None, "--prices", help="Daily BTC/USD CSV (date,usd)."),
    inputs: list[Path] = typer.Option(None, "--input", help="Also hash these files/folders."),
    forward_hops: int = typer.Option(12, help="Forward trace depth (to cash-out points)."),
    backward_hops: int = typer.Option(4, help="Backward trace depth (to donors' sources)."),
    policy: str = typer.Option("haircut", help="poison | haircut | fifo."),
    max_post_seeds: int = typer.Option(10, help="At most this many seeds from --posts."),
    pdf: bool = typer.Option(False, "--pdf", help="Also write report.pdf (WeasyPrint)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Seeds -> wallets, tags, donors' sources, cash-out points, screening -> case folder."""
    from ledgerhound import cases
    from ledgerhound.market.prices import load_prices
    from ledgerhound.report.pipeline import InvestigateParams, investigate
    from ledgerhound.report.write import write_case_folder
    from ledgerhound.store import Store

    root = store_path(ctx)
    if case is not None:
        cases.load(root, case)  # fails early when the case does not exist
        out = out or cases.case_dir(root, case) / "report"
    if out is None:
        raise InvalidInputError("give --out DIR (or --case NAME)")
    params = InvestigateParams(forward_hops=forward_hops, backward_hops=backward_hops,
                               policy=policy, max_post_seeds=max_post_seeds)  # fmt: skip
    given = list(seeds or [])
    if case is not None:
        given += [s["address"] for s in cases.load(root, case)["seeds"]]
    table = load_prices(prices)
    inv = investigate(Store(root), given, posts, params, table, case)
    hashed: list[tuple[str, Path]] = [("input", p) for p in inputs or []]
    if posts is not None:
        hashed.append(("posts", posts))
    if prices is not None:
        hashed.append(("prices", prices))
    tags = layout.tags_file(root)
    if tags.exists():
        hashed.append(("tags", tags))
    manifest = write_case_folder(inv, out, hashed, pdf)
    result = {"out": str(out), "summary": inv.report["summary"], "outputs": manifest["outputs"]}
    if case is not None:
        _record(root, case, inv.report, manifest, out)
    emit(result, as_json, _human)


def _record(root: Path, case: str, report: dict[str, Any], manifest: dict, out: Path) -> None:
    from ledgerhound import cases

    c = cases.load(root, case)
    sums = {o["file"]: o["sha256"] for o in manifest["outputs"]}
    c["reports"].append({"folder": str(out), "outputs": sums, "summary": report["summary"]})
    c["findings"] = [
        {"kind": "cash_out", "address": x["address"], "service": x["service"], "txid": x["txid"],
         "sats": x["sats"]} for x in report["cash_outs"]
    ]  # fmt: skip
    params = dict(report["parameters"], seeds=[s["address"] for s in report["seeds"]])
    cases.record(root, c, "investigate", params)


def _human(r: dict[str, Any]) -> None:
    s = r["summary"]
    typer.echo(f"report: {r['out']}/report.html")
    typer.echo(f"seeds: {s['seeds_in_store']} of {s['seeds']} in the data, {s['wallets']} wallets")
    typer.echo(
        f"cash-out points: {s['cash_out_points']} deposits at {s['cash_out_services']} services, "
        f"{s['cash_out_btc']} BTC"
    )
    typer.echo(f"donors' sources: {s['donor_source_services']} services")
    typer.echo(
        "typology detection: "
        + (
            f"{s['typology_findings']} findings"
            if s["typologies_available"]
            else "not available in this version"
        )  # fmt: skip
    )


def register(app: typer.Typer) -> None:
    app.command("investigate")(investigate_cmd)
