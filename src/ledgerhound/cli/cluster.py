"""``ledgerhound cluster``: build the address clustering and show clusters."""

from __future__ import annotations

import typer

from ledgerhound.cli.context import JSON_OPTION, emit, store_path
from ledgerhound.cluster import lookup
from ledgerhound.cluster.build import ClusterParams, build

cluster_app = typer.Typer(help="Entities: co-spend clustering of addresses.", no_args_is_help=True)


def _store(ctx: typer.Context):
    from ledgerhound.store import Store

    return Store(store_path(ctx))


@cluster_app.command("build")
def build_cmd(
    ctx: typer.Context,
    guard: int = typer.Option(
        10_000, help="Hold for review any merge of two clusters both at least this large (0: off)."
    ),
    coinjoin_filter: bool = typer.Option(
        True, "--coinjoin-filter/--no-coinjoin-filter", help="Exclude detected CoinJoins."
    ),
    with_change: bool = typer.Option(
        False, "--with-change", help="Also merge confident change outputs (a second heuristic)."
    ),
    change_confidence: int = typer.Option(
        80, help="Minimum combined change confidence (0-100) for --with-change."
    ),
    full: bool = typer.Option(False, "--full", help="Rebuild from scratch (default: incremental)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Cluster addresses by co-spending (a heuristic: see docs/methods/clustering.md)."""
    params = ClusterParams(guard, coinjoin_filter, with_change, change_confidence)
    meta = build(_store(ctx), params, full)
    emit(meta, as_json, _human_build)


def _human_build(meta: dict) -> None:
    typer.echo(
        f"{meta['clusters']} clusters over {meta['addresses']} addresses ({meta['mode']}); "
        f"{meta['coinjoins_excluded']} CoinJoins excluded, {meta['held_merges']} merges held "
        "for review"
    )


@cluster_app.command("show")
def show_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="An address or a cluster id."),
    offset: int = typer.Option(0, help="First member address to list."),
    limit: int = typer.Option(100, help="How many member addresses to list."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a cluster: size, member addresses (paged), totals, first/last seen, tags."""
    store = _store(ctx)
    info = lookup.show(store.connect(), store.root, ref, offset, limit)
    emit(info, as_json, _human_show)


def _human_show(info: dict) -> None:
    typer.echo(f"cluster {info['id']}: {info['size']} addresses")
    typer.echo(
        f"received {info['received']} sat, sent {info['sent']} sat, balance {info['balance']}"
    )
    typer.echo(f"seen at heights {info['first_seen']}..{info['last_seen']}")
    for tag in info["tags"]:
        typer.echo(f"tag: {tag['label']} [{tag['category']}] via {tag['via']} {tag['address']}")
    for conflict in info["tag_conflicts"]:
        typer.echo(f"CONFLICT: categories {', '.join(conflict['categories'])}")
    for address in info["addresses"]:
        typer.echo(f"  {address}")


def register(app: typer.Typer) -> None:
    app.add_typer(cluster_app, name="cluster")
