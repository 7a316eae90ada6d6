"""Turn user seeds (address, ``txid:vout``, cluster id) into the output ids a trace starts from.

Why outputs: value lives in outputs. An address or cluster seed stands for every output it
received inside the height window -- "the money of X" -- so both directions start from the same
set: forward asks where it went, backward where it came from.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerhound.errors import InvalidInputError, NotFoundError
from ledgerhound.trace.graph import FlowGraph

_OUTPOINT = re.compile(r"^([0-9a-fA-F]{64}):(\d+)$")
_CLUSTER = re.compile(r"^cluster:(\d+)$")


def resolve_seeds(
    graph: FlowGraph,
    seeds: list[str | int],
    clusters: np.ndarray | None = None,
    since: int | None = None,
    until: int | None = None,
) -> np.ndarray:
    """Sorted unique output ids for ``seeds``; raises a one-line error for an unknown seed."""
    if not seeds:
        raise InvalidInputError("no seed given: pass an address, txid:vout or cluster id")
    found: list[np.ndarray] = []
    for seed in seeds:
        outs = _one(graph, seed, clusters)
        if not isinstance(seed, str) or not _OUTPOINT.match(seed):
            outs = _in_window(graph, outs, since, until)
        if len(outs) == 0:
            raise NotFoundError(f"seed {seed} received nothing in the chosen height window")
        found.append(outs)
    return np.unique(np.concatenate(found)).astype(np.int64)


def _one(graph: FlowGraph, seed: str | int, clusters: np.ndarray | None) -> np.ndarray:
    if isinstance(seed, (int, np.integer)) or (isinstance(seed, str) and _CLUSTER.match(seed)):
        cid = int(seed) if not isinstance(seed, str) else int(seed.split(":")[1])
        if clusters is None:
            raise InvalidInputError(f"seed cluster:{cid} needs cluster ids (none loaded)")
        members = np.nonzero(clusters == cid)[0]
        if len(members) == 0:
            raise NotFoundError(f"cluster {cid} has no addresses in the flow graph")
        return np.concatenate([graph.address_outputs(int(a)) for a in members])
    m = _OUTPOINT.match(seed)
    if m:
        return np.array([graph.output_id(m.group(1).lower(), int(m.group(2)))], dtype=np.int64)
    return graph.address_outputs(graph.address_id(seed))


def _in_window(
    graph: FlowGraph, outs: np.ndarray, since: int | None, until: int | None
) -> np.ndarray:
    h = graph.tx_height[graph.out_tx[outs]]
    keep = np.ones(len(outs), dtype=bool)
    if since is not None:
        keep &= (h < 0) | (h >= since)
    if until is not None:
        keep &= (h < 0) | (h <= until)
    return outs[keep]


def height_window(
    blocks: pa.Table, since: str | int | None = None, until: str | int | None = None
) -> tuple[int | None, int | None]:
    """Turn ``--since/--until`` (heights, or ISO dates ``YYYY-MM-DD[THH:MM:SS]`` in UTC) into
    heights using the store's ``blocks`` table (main-chain rows with ``height`` and ``timestamp``).

    A date ``since`` becomes the first height whose header time is at or after it, a date
    ``until`` the last height whose header time is at or before it (header times are not strictly
    increasing, so both scan every block).
    """
    main = blocks.filter(pc.is_valid(blocks["height"]))
    heights = main["height"].to_numpy(zero_copy_only=False).astype(np.int64)
    times = main["timestamp"].to_numpy(zero_copy_only=False).astype(np.int64)

    def one(value: str | int | None, first: bool) -> int | None:
        if value is None or isinstance(value, int) or str(value).isdigit():
            return None if value is None else int(value)
        ts = _timestamp(str(value))
        pick = heights[times >= ts] if first else heights[times <= ts]
        if len(pick) == 0:
            side = "after" if first else "before"
            raise NotFoundError(f"no block in the store has a time {side} {value}")
        return int(pick.min() if first else pick.max())

    return one(since, True), one(until, False)


def _timestamp(text: str) -> int:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{text!r} is neither a block height nor an ISO date (YYYY-MM-DD)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp())
