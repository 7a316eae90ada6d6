"""Shared fixtures: paths to the real data in tests/data and an in-process CLI runner."""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(*args: str, store: Path | None = None) -> CliResult:
    """Run ``ledgerhound ARGS`` in-process and capture exit code, stdout and stderr."""
    from ledgerhound.cli.main import run

    argv = (["--store", str(store)] if store is not None else []) + [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    old_argv = sys.argv
    try:
        sys.argv = ["ledgerhound", *argv]
        with redirect_stdout(out), redirect_stderr(err):
            code = run(argv)
    finally:
        sys.argv = old_argv
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def block413567() -> bytes:
    return (DATA / "bitcoin" / "block413567.raw").read_bytes()
