"""Address categories for tracing: which addresses stop a trace and what an endpoint is called.

Why a separate object: the tag store, the clusterer and the OSINT importers all produce
"address -> categories" facts; the engine only needs per-address-id arrays. Categories follow the
GraphSense/Iknaio taxonomy (``ledgerhound.attribution.taxonomy``): stopping at ``service`` stops
at every narrower concept (exchange, mixing_service, ...). Unknown category names match exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pyarrow as pa

from ledgerhound.attribution.taxonomy import ancestors
from ledgerhound.trace.graph import FlowGraph

# Default --stop-at: attributed services, where funds lose identity (exchanges, brokers, ...).
DEFAULT_STOP_AT = ("service",)


@lru_cache(maxsize=4096)
def lineage(category: str) -> frozenset[str]:
    """``category`` and every broader concept of it in the taxonomy."""
    return frozenset(ancestors(category)) | {category}


def matches(category: str, concepts: Iterable[str]) -> bool:
    """True when ``category`` is one of ``concepts`` or narrower than one of them."""
    line = lineage(category)
    return any(c in line for c in concepts)


def is_service(category: str) -> bool:
    return matches(category, ("service",))


@dataclass
class Labels:
    """Categories per address id (cluster tags already pushed down to member addresses)."""

    address_count: int
    categories: dict[int, tuple[str, ...]] = field(default_factory=dict)
    clusters: np.ndarray | None = None  # int64[A]: cluster id per address, -1 none
    _masks: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        graph: FlowGraph,
        address_categories: Mapping[str, Iterable[str]] | None = None,
        clusters: np.ndarray | None = None,
        cluster_categories: Mapping[int, Iterable[str]] | None = None,
    ) -> Labels:
        """Map address strings (and optionally cluster ids) to categories.

        Addresses absent from the graph are ignored: they cannot be reached by a trace.
        ``clusters`` is indexed by the graph's address ids.
        """
        n = len(graph.addresses)
        if clusters is not None and len(clusters) != n:
            raise ValueError(f"clusters has {len(clusters)} entries, the graph {n} addresses")
        found: dict[int, set[str]] = {}
        categories = dict(address_categories or {})
        index = graph.address_ids(list(categories))
        for address, cats in categories.items():
            a = index.get(address)
            if a is not None:
                found.setdefault(a, set()).update(cats)
        if cluster_categories and clusters is not None:
            for a in np.nonzero(np.isin(clusters, list(cluster_categories)))[0]:
                found.setdefault(int(a), set()).update(cluster_categories[int(clusters[a])])
        cats = {a: tuple(sorted(c)) for a, c in found.items() if c}
        return cls(address_count=n, categories=cats, clusters=clusters)

    @staticmethod
    def cluster_array(graph: FlowGraph, addresses, cluster_ids) -> np.ndarray:
        """int64[A] cluster id per graph address id from (address strings, cluster ids) columns,
        e.g. the clusterer's Parquet joined to the store's ``addresses`` table; -1 = no cluster.
        """
        ids = np.asarray(cluster_ids, dtype=np.int64)
        out = np.full(len(graph.addresses), -1, dtype=np.int64)
        found = graph.find_addresses(pa.array(addresses, pa.string()))
        out[found[found >= 0]] = ids[found >= 0]
        return out

    def of(self, address_id: int) -> tuple[str, ...]:
        return self.categories.get(address_id, ())

    def cluster(self, address_id: int) -> int | None:
        if self.clusters is None or address_id < 0:
            return None
        c = int(self.clusters[address_id])
        return None if c < 0 else c

    def mask(self, concepts: Iterable[str]) -> np.ndarray:
        """bool[A + 1]: address carries a category matching ``concepts`` (last entry: no address).

        ``"*"`` matches any category (screening stops at the first attributed address).
        """
        concepts = tuple(concepts)
        if concepts not in self._masks:  # cached: screening asks for the same mask per trace
            if "*" in concepts:
                out = self.tagged_mask()
            else:
                out = np.zeros(self.address_count + 1, dtype=bool)
                for a, cats in self.categories.items():
                    out[a] = any(matches(c, concepts) for c in cats)
            self._masks[concepts] = out
        return self._masks[concepts]

    def stop_codes(self, stop_at: tuple[str, ...], service: int, other: int) -> np.ndarray:
        """int8[A + 1]: ``service`` / ``other`` code for addresses a trace stops at, else 0."""
        key = ("#codes", *stop_at)
        if key not in self._masks:
            stop = self.mask(stop_at)
            svc = self.mask(tuple(c for c in stop_at if is_service(c)) or ("service",))
            codes = np.where(stop, np.where(svc, service, other), 0).astype(np.int8)
            self._masks[key] = codes
        return self._masks[key]

    def tagged_mask(self) -> np.ndarray:
        """bool[A + 1]: address carries any category at all."""
        out = np.zeros(self.address_count + 1, dtype=bool)
        out[np.fromiter(self.categories, dtype=np.int64, count=len(self.categories))] = True
        return out
