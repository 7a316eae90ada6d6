"""Persistent investigation cases with an append-only, hash-chained audit log.

See :mod:`ledgerhound.cases.case` (seeds, notes, findings, seizures) and
:mod:`ledgerhound.cases.audit` (the log and its verification); ``docs/methods/reports.md``.
"""

from ledgerhound.cases.case import (
    SEIZURE_KINDS,
    add_seed,
    case_dir,
    export,
    list_cases,
    load,
    new,
    note,
    record,
    seize,
    verify,
)

__all__ = [
    "SEIZURE_KINDS",
    "add_seed",
    "case_dir",
    "export",
    "list_cases",
    "load",
    "new",
    "note",
    "record",
    "seize",
    "verify",
]
