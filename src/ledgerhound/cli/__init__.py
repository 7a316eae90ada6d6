"""The ``ledgerhound`` command: a thin typer shell over the library API."""
