"""Placeholder: filled in by the owning workstream before release."""

import typer


def register(app: typer.Typer) -> None:
    return None
