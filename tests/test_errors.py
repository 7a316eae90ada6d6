"""The one error hierarchy: exit statuses, the JSON shape, and how the CLI reports them."""

from __future__ import annotations

import pytest

from ledgerhound import errors
from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("cls", "status", "code"),
    [
        (errors.NotFoundError, 3, "not_found"),
        (errors.InvalidInputError, 4, "invalid_input"),
        (errors.InvalidAddressError, 4, "invalid_address"),
        (errors.CodecError, 4, "decode_error"),
        (errors.CorruptDataError, 5, "corrupt_data"),
        (errors.SourceUnavailableError, 6, "source_unavailable"),
        (errors.StoreError, 7, "store_error"),
        (errors.ConflictError, 8, "conflict"),
    ],
)
def test_each_user_error_has_a_documented_status_and_code(cls, status, code):
    exc = cls("something is wrong", file="x.dat", offset=7)
    assert isinstance(exc, errors.UserError)
    assert int(exc.exit_status) == status
    assert exc.to_json() == {
        "error": {
            "code": code,
            "message": "something is wrong",
            "exit_status": status,
            "details": {"file": "x.dat", "offset": 7},
        }
    }


def test_version_and_help_exit_zero():
    assert run_cli("--version").stdout.startswith("ledgerhound ")
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_unknown_command_is_a_usage_error():
    result = run_cli("no-such-command")
    assert result.exit_code == 2
    assert "No such command" in result.stderr
