"""Readers of chain data (Core block files, Core JSON-RPC, blockchain-etl exports).

Every source yields :class:`~ledgerhound.store.batch.ChainBatch` objects: columnar tables in the
store's schemas, so ingest is the same whatever the origin.
"""
