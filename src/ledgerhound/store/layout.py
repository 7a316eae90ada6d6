"""Where each artefact lives inside a store directory: the one list of the store's paths.

Why one module: the chain tables and index are the store's own; clusters, tags, cases and the
trace caches are written by other packages but live in the same directory, and a store that
moves, is copied or is checked must be describable in one place. Other packages ask here for
their directory instead of joining names onto the store root themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

MANIFEST = "manifest.json"
TABLES = "tables"
STAGING = "staging"
INDEX = "index"  # the chain index (store.chainindex)
CLUSTERS = "cluster"  # cluster build (cluster.build)
TAGS = "attribution"  # imported tags (attribution.tagstore)
CASES = "cases"  # case files and audit logs (cases.case)
TRACE_CACHE = "trace-graph"  # cluster-id-per-address cache (trace.session)


def clusters_dir(root: str | os.PathLike[str]) -> Path:
    return Path(root) / CLUSTERS


def tags_file(root: str | os.PathLike[str]) -> Path:
    return Path(root) / TAGS / "tags.parquet"


def cases_dir(root: str | os.PathLike[str]) -> Path:
    return Path(root) / CASES


def trace_cache_dir(root: str | os.PathLike[str]) -> Path:
    return Path(root) / TRACE_CACHE
