"""What every command shares: the store location and how to print results.

Commands read the store path from the global ``--store`` option (or ``LEDGERHOUND_STORE``) via
:func:`store_path`, and print through :func:`emit`, which writes JSON for machines (``--json``)
or calls a human renderer. JSON is deterministic: fixed key order, no floats for amounts.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

DEFAULT_STORE = Path("ledgerhound-store")


@dataclass
class Settings:
    store: Path
    traceback: bool = False


def settings(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings(store=Path(os.environ.get("LEDGERHOUND_STORE", DEFAULT_STORE)))
    return root.obj


def store_path(ctx: typer.Context) -> Path:
    return settings(ctx).store


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=_default)


def _default(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return obj.hex()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def emit(data: Any, as_json: bool, human: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` as JSON, or with ``human`` (default: ``key: value`` lines)."""
    if as_json or human is None and not isinstance(data, dict):
        sys.stdout.write(to_json(data) + "\n")
    elif human is not None:
        human(data)
    else:
        for key, value in data.items():
            typer.echo(f"{key}: {value}")


JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")
