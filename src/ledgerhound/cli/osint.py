"""``ledgerhound osint extract``: addresses from posts, pages and channel exports.

JSON (``--json``) is the public contract: ``items`` (one per address occurrence), ``invalid``
(candidates whose checksum fails, never mixed with valid ones), ``sources`` (per-post
solicitation and scam-storefront verdicts with their cues), ``summary``, and with ``--link``
a ``links`` list from the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ledgerhound.cli.context import JSON_OPTION, emit, store_path


def extract(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(
        ..., metavar="PATH...|-", help="Files, directories (recursive) or - for stdin."
    ),
    link: bool = typer.Option(False, "--link", help="Look the addresses up in the store."),
    tagpack: Path | None = typer.Option(
        None, "--tagpack", metavar="OUT.yaml", help="Write the findings as a GraphSense TagPack."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Extract and checksum-validate crypto addresses; flag solicitations and scam storefronts."""
    from ledgerhound.osint.report import extract as run_extract

    result = run_extract(paths)
    if link:
        from ledgerhound.osint.link import link as run_link

        result["links"] = run_link(result, store_path(ctx))
    if tagpack is not None:
        from ledgerhound.osint.tagpack_out import write_tagpack

        tags = write_tagpack(result, tagpack)
        result["summary"]["tagpack"] = {"path": str(tagpack), "tags": tags}
    emit(result, as_json, _human)


def _human(result: dict[str, Any]) -> None:
    for item in result["items"]:
        verdict = "SOLICITATION" if item["solicitation"] else "-"
        typer.echo(
            f"{item['chain']:5} {item['address']}  {_where(item['source'])}  "
            f"{verdict} (score {item['score']})"
        )
    for item in result["invalid"]:
        typer.echo(f"INVALID {item['address']}  {_where(item['source'])}  {item['reason']}")
    for entry in result.get("links", []):
        if entry["present"]:
            state = (
                f"in store: {entry['tx_count']} tx, received {entry['received']} sat, "
                f"balance {entry['balance']} sat, cluster {entry['cluster']}, "
                f"{len(entry['tags'])} tag(s)"
            )
        else:
            state = "not in store" if entry["present"] is False else entry.get("note", "")
        typer.echo(f"link {entry['chain']} {entry['address']}: {state}")
    summary = result["summary"]
    typer.echo(
        f"{summary['items']} addresses ({summary['unique_addresses']} distinct), "
        f"{summary['invalid']} invalid candidates, {summary['solicitations']} solicitation "
        f"post(s), {summary['scam_storefronts']} scam storefront(s)"
    )


def _where(source: dict[str, Any]) -> str:
    keys = ("message_id", "post_id", "line", "offset")
    return source["file"] + "".join(f" {k}={source[k]}" for k in keys if k in source)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="osint",
        help="Open-source intake: addresses in posts, pages and channel exports.",
        no_args_is_help=True,
    )
    group.command("extract")(extract)
    app.add_typer(group, name="osint")
