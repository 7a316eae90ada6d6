"""bitcoin-etl exports: rows equal the RPC and block-file paths; broken exports fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerhound.errors import CorruptDataError, InvalidInputError
from ledgerhound.sources import rpc
from ledgerhound.sources.etl import read_etl_batches
from ledgerhound.sources.rpc import read_rpc_batches
from tests.sources.rpcreplay import DATA, ReplayServer

ROW_TABLES = ("transactions", "outputs", "inputs")
CASES = {
    "block_0": (0, 0),
    "block_1": (1, 1),
    "block_without_transactions": (50000, 50000),
    "block_with_transactions": (50001, 50002),
}


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rpc, "BACKOFF_SECONDS", 0.01)


@pytest.mark.parametrize("case", sorted(CASES))
def test_etl_rows_equal_replayed_rpc_rows(case: str) -> None:
    (etl,) = read_etl_batches([DATA / case])
    with ReplayServer() as server:
        (from_rpc,) = read_rpc_batches(server.url, *CASES[case])
    for name in ROW_TABLES:
        assert getattr(etl, name).equals(getattr(from_rpc, name)), name
    blocks_etl, blocks_rpc = etl.blocks.to_pylist(), from_rpc.blocks.to_pylist()
    for a, b in zip(blocks_etl, blocks_rpc, strict=True):
        if a["prev_hash"] == "":  # not in the export: the first block's parent is unknown
            a["prev_hash"] = b["prev_hash"]
        assert a == b


def test_enriched_inputs_equal_rpc_verbosity_3_prevouts() -> None:
    (etl,) = read_etl_batches([DATA / "stream_50001_50002"])
    with ReplayServer(prevouts=True) as server:
        (from_rpc,) = read_rpc_batches(server.url, 50001, 50002)
    assert etl.inputs.equals(from_rpc.inputs)
    coin = 5_000_000_000
    assert etl.inputs["prev_value"].to_pylist() == [None, coin, coin, coin, None]


def test_coinbase_input_reemitted_from_coinbase_param() -> None:
    (batch,) = read_etl_batches([DATA / "block_0"])
    (row,) = batch.inputs.to_pylist()
    assert row["prev_txid"] is None and row["sequence"] == 0xFFFFFFFF
    assert b"Chancellor on brink of second bailout for banks" in row["script_sig"]
    tx = batch.transactions.to_pylist()[0]
    assert (tx["input_count"], tx["wtxid"], tx["weight"]) == (1, tx["txid"], 4 * tx["size"])


def test_files_given_explicitly_and_batched(tmp_path: Path) -> None:
    case = DATA / "block_with_transactions"
    files = [case / "expected_transactions.json", case / "expected_blocks.json"]
    batches = list(read_etl_batches(files, batch_blocks=1))
    assert [b.blocks["height"].to_pylist() for b in batches] == [[50001], [50002]]
    assert batches[1].blocks["prev_hash"].to_pylist() == [batches[0].blocks["hash"][0].as_py()]
    assert batches[0].origin == "etl:expected_blocks.json heights 50001-50001"


def test_segwit_facts_left_null_when_not_exported(tmp_path: Path) -> None:
    blocks = (DATA / "block_1" / "expected_blocks.json").read_text()
    txs = (DATA / "block_1" / "expected_transactions.json").read_text()
    (tmp_path / "blocks.json").write_text(blocks)
    (tmp_path / "transactions.json").write_text(
        txs.replace('"virtual_size": 134', '"virtual_size": 110')
    )
    (batch,) = read_etl_batches([tmp_path])
    tx = batch.transactions.to_pylist()[0]
    assert (tx["wtxid"], tx["weight"], tx["vsize"]) == (None, None, 110)
    assert batch.inputs["witness"].to_pylist() == [None]


def test_missing_transaction_file_and_bad_lines(tmp_path: Path) -> None:
    blocks = (DATA / "block_with_transactions" / "expected_blocks.json").read_text()
    (tmp_path / "blocks.json").write_text(blocks)
    with pytest.raises(InvalidInputError, match="no transactions file"):
        read_etl_batches([tmp_path])
    txs = (DATA / "block_with_transactions" / "expected_transactions.json").read_text()
    lines = txs.splitlines()
    (tmp_path / "transactions.json").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(
        CorruptDataError, match="block 50002 declares 1 transactions, the export has 0"
    ):
        read_etl_batches([tmp_path])
    (tmp_path / "transactions.json").write_text(txs + "{not json\n")
    with pytest.raises(CorruptDataError, match=r"transactions.json: line 5 is not JSON"):
        read_etl_batches([tmp_path])
