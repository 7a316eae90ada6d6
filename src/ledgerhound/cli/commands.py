"""The command groups, in ``--help`` order. Each entry is a ``register(app)`` function."""

from __future__ import annotations

from ledgerhound.cli import (
    case,
    cluster,
    detect,
    ingest,
    investigate,
    osint,
    query,
    simulate,
    tags,
    trace,
)

REGISTRY = [
    ingest.register,
    query.register,
    cluster.register,
    tags.register,
    trace.register,
    simulate.register,
    osint.register,
    investigate.register,
    case.register,
    detect.register,
]
