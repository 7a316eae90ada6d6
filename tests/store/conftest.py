"""Store fixtures: a crafted regtest chain and the real mainnet block 413,567 as batches."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerhound.sources.rawblocks import RawBlock, blocks_to_batch
from ledgerhound.store import Store
from tests.store.chain import batches, build_chain

CHAIN_LENGTH = 8


@pytest.fixture(scope="session")
def chain() -> list[bytes]:
    return build_chain(CHAIN_LENGTH)


@pytest.fixture(scope="session")
def real_batch():
    data = (Path(__file__).parents[1] / "data" / "bitcoin" / "block413567.raw").read_bytes()
    return blocks_to_batch([RawBlock(data, 413567)], origin="block413567.raw")


@pytest.fixture(scope="session")
def real_store(tmp_path_factory, real_batch) -> Store:
    """A store holding block 413,567 (read-only for the tests that share it)."""
    store = Store(tmp_path_factory.mktemp("real") / "store")
    store.ingest([real_batch])
    return store


def chain_store(path: Path, chain: list[bytes], heights=None, per_batch: int = 2) -> Store:
    store = Store(path)
    store.ingest(batches(chain, heights if heights is not None else range(len(chain)), per_batch))
    return store
