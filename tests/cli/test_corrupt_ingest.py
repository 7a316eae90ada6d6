"""A corrupt block file fails with one line naming file and offset; the store is untouched."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli
from tests.sources.blockfactory import child_block, frame, regtest_genesis
from tests.store.helpers import file_state


def _chain(n: int) -> list[bytes]:
    blocks = [regtest_genesis()]
    for height in range(1, n):
        blocks.append(child_block(blocks[-1], height))
    return blocks


@pytest.mark.parametrize("damage", ["bit-flip", "truncated"])
def test_corrupt_file_leaves_store_byte_for_byte_unchanged(tmp_path, damage):
    blocks = _chain(12)
    store = tmp_path / "store"
    first = tmp_path / "first.dat"
    first.write_bytes(frame(blocks[:4]))
    assert run_cli("ingest", "blocks", first, store=store).exit_code == 0
    before, stats = file_state(store), run_cli("stats", "--json", store=store).stdout
    data = bytearray(frame(blocks))
    if damage == "bit-flip":
        data[len(data) - 10] ^= 0x01  # inside the last block's coinbase: merkle mismatch
    else:
        del data[-100:]
    bad = tmp_path / "blk00000.dat"
    bad.write_bytes(bytes(data))
    # small batches: earlier blocks are staged before the damage is reached
    result = run_cli("ingest", "blocks", bad, "--batch-blocks", "2", store=store)
    assert result.exit_code == 5
    assert result.stderr.startswith(f"ledgerhound: error: {bad.name}: ")
    assert "offset" in result.stderr and result.stderr.count("\n") == 1
    assert file_state(store) == before
    assert run_cli("stats", "--json", store=store).stdout == stats
