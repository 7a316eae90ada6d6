"""Save a FlowGraph next to the store and map it back in milliseconds.

Why: building the graph reads and hashes every txid (~15 s per million transactions); a CLI call
should not pay that each time. Arrays are written as ``.npy`` files and opened memory-mapped, the
txid and address strings as Arrow IPC files; ``graph.json`` records the format and the data
fingerprint the caller passes, so a stale cache can be detected and rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ledgerhound.errors import StoreError
from ledgerhound.trace.graph import FlowGraph, Slots

FORMAT = "ledgerhound-flowgraph/1"
_STRINGS = ("txids", "addresses")


def save_graph(graph: FlowGraph, directory: str | os.PathLike[str], fingerprint: str = "") -> None:
    """Write ``graph`` to ``directory`` atomically (a crash leaves the old cache or none)."""
    target = Path(directory)
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, value in _arrays(graph).items():
        np.save(tmp / f"{name}.npy", value, allow_pickle=False)
    for name in _STRINGS:
        table = pa.table({name: getattr(graph, name)})
        with pa.OSFile(str(tmp / f"{name}.arrow"), "wb") as sink:
            with pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
    meta = {
        "format": FORMAT,
        "fingerprint": fingerprint,
        "transactions": graph.tx_count,
        "outputs": graph.output_count,
        "addresses": len(graph.addresses),
    }
    (tmp / "graph.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)


def graph_meta(directory: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The cache's ``graph.json`` (format, fingerprint, counts), or None if there is no cache."""
    path = Path(directory) / "graph.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def load_graph(directory: str | os.PathLike[str]) -> FlowGraph:
    """Map a saved graph back (arrays memory-mapped read-only, strings zero-copy)."""
    d = Path(directory)
    meta = graph_meta(d)
    if meta is None or meta.get("format") != FORMAT:
        raise StoreError(f"{d}: no flow-graph cache in format {FORMAT}", path=str(d))
    try:
        arrays = {p.stem: np.load(p, mmap_mode="r", allow_pickle=False) for p in d.glob("*.npy")}
        strings = {
            name: pa.ipc.open_file(pa.memory_map(str(d / f"{name}.arrow"))).read_all()[name]
            for name in _STRINGS
        }
    except (OSError, ValueError, pa.ArrowInvalid) as exc:
        raise StoreError(f"{d}: flow-graph cache is unreadable ({exc})", path=str(d)) from None
    try:
        kw = {f.name: arrays[f.name] for f in fields(FlowGraph) if _is_array_field(f.name)}
        for side in ("forward", "backward"):
            kw[side] = Slots(
                **{k: arrays[f"{side}.{k}"] for k in ("ptr", "weight", "offset", "target")}
            )
    except KeyError as exc:
        raise StoreError(f"{d}: flow-graph cache is incomplete (missing {exc.args[0]})") from None
    return FlowGraph(
        txids=strings["txids"].combine_chunks(),
        addresses=strings["addresses"].combine_chunks(),
        **kw,
    )


def _is_array_field(name: str) -> bool:
    return not name.startswith("_") and name not in (*_STRINGS, "forward", "backward")


def _arrays(graph: FlowGraph) -> dict[str, np.ndarray]:
    out = {f.name: getattr(graph, f.name) for f in fields(FlowGraph) if _is_array_field(f.name)}
    for side in ("forward", "backward"):
        slots = getattr(graph, side)
        for k in ("ptr", "weight", "offset", "target"):
            out[f"{side}.{k}"] = getattr(slots, k)
    return out
