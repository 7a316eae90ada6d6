"""``ChainBatch`` lives in :mod:`ledgerhound.store.batch` (the store owns its schemas); this name
stays so that code importing it from ``sources`` keeps working."""

from ledgerhound.store.batch import CHAIN_TABLES, ChainBatch

__all__ = ["CHAIN_TABLES", "ChainBatch"]
