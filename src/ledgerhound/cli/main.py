"""Entry point: global options, command groups, and the one place errors become exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from ledgerhound import __version__
from ledgerhound.cli import context
from ledgerhound.errors import LedgerhoundError, UserError

app = typer.Typer(
    name="ledgerhound",
    help="Investigate terrorist financing and money laundering on public blockchains.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ledgerhound {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    store: Path = typer.Option(
        context.DEFAULT_STORE,
        "--store",
        envvar="LEDGERHOUND_STORE",
        help="Store directory (Parquet tables + DuckDB views).",
        show_default=True,
    ),
    traceback: bool = typer.Option(False, "--traceback", help="Show tracebacks (developers)."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    ctx.obj = context.Settings(store=store, traceback=traceback)


def _register_commands() -> None:
    """Each domain's CLI module adds its commands; the order here is the order in ``--help``."""
    from ledgerhound.cli import commands

    for register in commands.REGISTRY:
        register(app)


_register_commands()


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; map library errors to one stderr line and a documented exit status."""
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="ledgerhound", standalone_mode=True)
    except SystemExit as exc:  # typer's own exits: --help, usage errors (2), typer.Exit
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except LedgerhoundError as exc:
        return _report(exc, args)
    except (BrokenPipeError, KeyboardInterrupt):
        return 130
    return 0


def _report(exc: LedgerhoundError, args: list[str]) -> int:
    if "--json" in args:
        sys.stdout.write(context.to_json(exc.to_json()) + "\n")
    sys.stderr.write(f"ledgerhound: error: {exc.message}\n")
    if not isinstance(exc, UserError) or "--traceback" in args or os.environ.get("LH_TRACEBACK"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    return int(exc.exit_status)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
