"""``ledgerhound tags``: import attribution (TagPacks, OFAC SDN XML, lists), list, export."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer

from ledgerhound.attribution import tagstore
from ledgerhound.attribution.importer import FORMATS, ListFields, import_files
from ledgerhound.attribution.tagpack import write_tagpack
from ledgerhound.cli.context import JSON_OPTION, emit, store_path
from ledgerhound.errors import InvalidInputError

tags_app = typer.Typer(help="Attribution tags: import, list and export.", no_args_is_help=True)


@tags_app.command("import")
def import_(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="TagPack .yaml, OFAC SDN .xml or address lists."),
    fmt: str = typer.Option("auto", "--format", help=f"One of {', '.join(FORMATS)}."),
    label: str | None = typer.Option(None, help="Label for a plain address list."),
    category: str | None = typer.Option(None, help="Concept (e.g. terrorism_financing)."),
    source: str | None = typer.Option(None, help="Where the list comes from (URL, case file)."),
    confidence: str = typer.Option("unknown", help="Confidence id (e.g. authority_data)."),
    currency: str = typer.Option("BTC", help="Currency of a plain address list."),
    default_confidence: str = typer.Option(
        "unknown", help="Confidence for TagPacks that omit it (older public packs)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Import tags; re-importing a file replaces its earlier tags. No re-ingest needed."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    fields = ListFields(label, category, source, confidence, currency)
    report = import_files(store_path(ctx), files, fmt, fields, default_confidence)
    if not as_json:
        for problem in report.problems:
            typer.echo(f"warning: {problem}", err=True)
    emit(asdict(report), as_json, _human_import)


def _human_import(report: dict) -> None:
    typer.echo(
        f"imported {report['imported']} tags from {len(report['files'])} file(s) "
        f"({report['invalid']} invalid addresses flagged); {report['total']} tags in the store"
    )


@tags_app.command("list")
def list_(
    ctx: typer.Context,
    address: list[str] = typer.Argument(None, help="Only these addresses."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List imported tags (all, or those of the given addresses)."""
    store = store_path(ctx)
    if address:
        tags = [t for ts in tagstore.tags_for(store, address).values() for t in ts]
    else:
        tags = tagstore.table_to_tags(tagstore.load_tags(store))
    rows = [t.to_dict() for t in tags]
    emit({"tags": rows}, as_json, _human_list)


def _human_list(data: dict) -> None:
    for t in data["tags"]:
        cats = ",".join(c for c in (t["category"], t["abuse"]) if c)
        typer.echo(f"{t['address']}  {t['label']}  [{cats}]  {t['confidence']}  {t['source']}")


@tags_app.command("export")
def export(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="TagPack YAML file to write."),
    title: str = typer.Option("ledgerhound tag export", help="TagPack title."),
    creator: str = typer.Option("ledgerhound", help="TagPack creator."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write every imported tag as one valid GraphSense TagPack."""
    tags = tagstore.table_to_tags(tagstore.load_tags(store_path(ctx)))
    count = write_tagpack(tags, out, title=title, creator=creator)
    emit(
        {"out": str(out), "tags": count},
        as_json,
        lambda d: typer.echo(f"wrote {d['tags']} tags to {d['out']}"),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(tags_app, name="tags")
