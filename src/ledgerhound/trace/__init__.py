"""Follow the money: forward/backward tracing, paths between seeds, exposure screening.

Build a :class:`FlowGraph` once from the store's Arrow tables (:func:`graph_from_store`), attach
categories with
:class:`Labels`, then call :func:`trace`, :func:`find_paths` or :func:`screen`; write the flow
graph with :func:`write_graphml` / :func:`write_csv`. Methods and limits:
``docs/methods/tracing.md``.
"""

from ledgerhound.trace.engine import TraceParams, trace
from ledgerhound.trace.export import write_csv, write_graphml
from ledgerhound.trace.exposure import SeverityPolicy, load_policy, screen
from ledgerhound.trace.graph import FlowGraph
from ledgerhound.trace.labels import Labels
from ledgerhound.trace.loader import graph_from_store
from ledgerhound.trace.paths import find_paths
from ledgerhound.trace.result import Reason, TraceResult
from ledgerhound.trace.seeds import height_window

__all__ = [
    "FlowGraph",
    "Labels",
    "Reason",
    "SeverityPolicy",
    "TraceParams",
    "TraceResult",
    "find_paths",
    "graph_from_store",
    "height_window",
    "load_policy",
    "screen",
    "trace",
    "write_csv",
    "write_graphml",
]
