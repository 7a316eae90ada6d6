"""The chain store: Parquet tables (schemas declared as data) with DuckDB views over them.

``Store`` is imported lazily: sources import :mod:`ledgerhound.store.schema`, and the store
imports the sources' ``ChainBatch``, so an eager import here would be circular.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledgerhound.store.chainstore import Store

__all__ = ["Store"]


def __getattr__(name: str) -> Any:
    if name == "Store":
        from ledgerhound.store.chainstore import Store

        return Store
    raise AttributeError(f"module 'ledgerhound.store' has no attribute {name!r}")
