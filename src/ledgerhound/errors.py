"""One exception hierarchy for the whole library, mapped once to exit codes and one JSON shape.

Library code raises these with a finished, one-line message meant for the user; the CLI and the
API only translate them (exit status, ``{"error": {...}}``), they never re-word them. This module
imports nothing else of ours so every layer can use it.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitStatus(IntEnum):
    """Documented process exit codes (see ``docs/cli.md``)."""

    OK = 0
    ERROR = 1  # unexpected internal error (a bug): reported with a traceback hint
    USAGE = 2  # bad command-line usage (typer/click's own code)
    NOT_FOUND = 3  # unknown address, txid, block, cluster, case
    INVALID_INPUT = 4  # malformed address, txid, hex, file content the user supplied
    CORRUPT_DATA = 5  # corrupt or truncated chain data (block files, exports)
    SOURCE_UNAVAILABLE = 6  # RPC node unreachable, refused, or authentication failed
    STORE = 7  # store missing, unwritable, locked or inconsistent
    CONFLICT = 8  # operation conflicts with the store's state (e.g. network mismatch)


class LedgerhoundError(Exception):
    """Root of every error ledgerhound raises on purpose.

    ``message`` is a complete sentence fragment for one stderr line; ``details`` carries
    machine-readable context (file, offset, field) for ``--json`` output and the API.
    """

    exit_status: ExitStatus = ExitStatus.ERROR
    code: str = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        """The one JSON error shape used by the CLI (``--json``) and the REST API."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "exit_status": int(self.exit_status),
                "details": self.details,
            }
        }


class UserError(LedgerhoundError):
    """Something the user can fix: reported as one line, never with a traceback."""


class NotFoundError(UserError):
    exit_status = ExitStatus.NOT_FOUND
    code = "not_found"


class InvalidInputError(UserError):
    exit_status = ExitStatus.INVALID_INPUT
    code = "invalid_input"


class InvalidAddressError(InvalidInputError):
    """A malformed address; ``reason`` names the part that is wrong."""

    code = "invalid_address"


class CodecError(InvalidInputError):
    """Bytes that do not decode as the format they claim to be."""

    code = "decode_error"


class CorruptDataError(UserError):
    """Chain data (block file, export) that is corrupt or truncated: names file and offset."""

    exit_status = ExitStatus.CORRUPT_DATA
    code = "corrupt_data"


class SourceUnavailableError(UserError):
    exit_status = ExitStatus.SOURCE_UNAVAILABLE
    code = "source_unavailable"


class StoreError(UserError):
    exit_status = ExitStatus.STORE
    code = "store_error"


class ConflictError(UserError):
    exit_status = ExitStatus.CONFLICT
    code = "conflict"
