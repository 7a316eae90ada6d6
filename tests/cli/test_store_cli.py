"""The store commands end to end: exact stderr lines, exit codes, JSON shapes (httpie style)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgerhound.errors import ExitStatus
from ledgerhound.store import Store
from tests.conftest import DATA, run_cli
from tests.store.chain import batches, build_chain

RAW = DATA / "bitcoin" / "block413567.raw"
TXID = "10a6223202532fc0a1f92005e6554d7892f11e4acf04bac3b57a853172491f1d"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store"
    result = run_cli("ingest", "blocks", RAW, "--json", store=path)
    assert result.exit_code == 0, result.stderr
    assert result.json["blocks"] == 1 and result.json["transactions"] == 1557
    return path


def test_ingest_human_output_and_rerun(store):
    again = run_cli("ingest", "blocks", RAW, store=store)
    assert again.exit_code == 0 and again.stderr == ""
    assert again.stdout.startswith("ingested 0 blocks, 0 transactions")
    assert "skipped 1 blocks already in the store" in again.stdout


def test_stats_json(store):
    result = run_cli("stats", "--json", store=store)
    assert result.exit_code == 0
    data = result.json
    assert (data["blocks"], data["transactions"], data["inputs"], data["outputs"]) == (
        1, 1557, 4887, 3581,
    )  # fmt: skip
    assert data["addresses"] == 3064 and data["network"] == "mainnet"
    assert len(data["fingerprint"]) == 64


def test_stats_human(store):
    result = run_cli("stats", store=store)
    assert "transactions: 1557" in result.stdout.splitlines()


def test_tx_json_values_are_integer_satoshis(store):
    result = run_cli("tx", TXID, "--json", store=store)
    assert result.exit_code == 0
    data = result.json
    assert isinstance(data["fee"], int) and data["fee"] > 0
    assert data["input_value"] - data["output_value"] == data["fee"]
    assert all(isinstance(o["value"], int) for o in data["outputs"])


def test_tx_human(store):
    result = run_cli("tx", TXID, store=store)
    assert result.exit_code == 0
    assert f"txid: {TXID}" in result.stdout and "outputs:" in result.stdout


def test_block_and_address(store):
    block = run_cli("block", "413567", "--limit", "2", "--json", store=store).json
    assert len(block["txids"]) == 2 and block["tx_count"] == 1557
    addr = run_cli("address", "37fg2WxH8PNun92ZDmrjFX8J8qdZw2bqx3", "--json", store=store).json
    assert addr["balance"] == addr["received"] - addr["sent"]
    human = run_cli("address", "37fg2WxH8PNun92ZDmrjFX8J8qdZw2bqx3", store=store).stdout
    assert "first_seen: height 413567 (2016-05-26T23:58:43Z)" in human


def test_export_cli(store, tmp_path):
    out = tmp_path / "a.jsonl"
    result = run_cli("export", "addresses", "--out", out, store=store)
    assert result.exit_code == 0
    assert result.stdout == f"wrote 3,064 addresses rows to {out} (jsonl)\n"
    assert len(out.read_text().splitlines()) == 3064


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["tx", "abc"], ExitStatus.INVALID_INPUT,
         "txid must be 64 hex digits, got 'abc' (3 characters)"),
        (["tx", "ff" * 32], ExitStatus.NOT_FOUND, f"transaction {'ff' * 32} is not in the store"),
        (["block", "999999"], ExitStatus.NOT_FOUND, "block height 999999 is not in the store"),
        (["address", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"], ExitStatus.INVALID_INPUT,
         "invalid address 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx': "
         "testnet/testnet4/signet address (hrp 'tb') used on mainnet"),
        (["address", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"], ExitStatus.NOT_FOUND,
         "address 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy does not appear in the store"),
        (["export", "outputs", "--out", "x.xlsx"], ExitStatus.INVALID_INPUT,
         "x.xlsx: unsupported export format '.xlsx' (use .csv, .parquet or .jsonl)"),
    ],
)  # fmt: skip
def test_user_errors_are_one_line(store, args, status, message):
    result = run_cli(*args, store=store)
    assert result.exit_code == status
    assert result.stderr == f"ledgerhound: error: {message}\n"
    assert result.stdout == ""


def test_error_json_shape(store):
    result = run_cli("tx", "abc", "--json", store=store)
    assert result.json["error"]["code"] == "invalid_input"
    assert result.json["error"]["exit_status"] == ExitStatus.INVALID_INPUT


def test_missing_store(tmp_path):
    result = run_cli("stats", store=tmp_path / "none")
    assert result.exit_code == ExitStatus.STORE
    assert result.stderr == (
        f"ledgerhound: error: no store at {tmp_path / 'none'} "
        "(create one with `ledgerhound ingest`)\n"
    )


def test_unwritable_store(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("ingest", "blocks", RAW, store=blocker / "store")
    assert result.exit_code == ExitStatus.STORE
    assert result.stderr == (
        f"ledgerhound: error: cannot write store at {blocker / 'store'}: Not a directory\n"
    )


def test_network_conflict(tmp_path):
    path = tmp_path / "regtest-store"
    Store(path).ingest(batches(build_chain(2), range(2)))
    result = run_cli("ingest", "blocks", RAW, store=path)
    assert result.exit_code == ExitStatus.CONFLICT
    assert result.stderr.startswith("ledgerhound: error: ")  # origin is named by the source
    assert result.stderr.endswith(
        f"block413567.raw is mainnet data but the store {path} holds regtest\n"
    )


def test_export_unknown_table_is_usage_error(store, tmp_path):
    result = run_cli("export", "blocks", "--out", tmp_path / "b.csv", store=store)
    assert result.exit_code == ExitStatus.USAGE


def test_json_output_is_deterministic(store):
    first = run_cli("tx", TXID, "--json", store=store).stdout
    assert first == run_cli("tx", TXID, "--json", store=store).stdout
    assert json.loads(first)["txid"] == TXID


def test_ingest_etl_keeps_source_input_values(tmp_path):
    path = tmp_path / "etl"
    result = run_cli(
        "ingest", "etl", DATA / "bitcoin-etl" / "stream_50001_50002", "--json", store=path
    )
    assert result.exit_code == 0, result.stderr
    assert (result.json["blocks"], result.json["transactions"]) == (2, 4)
    assert result.json["unresolved_inputs"] == 0  # bitcoin-etl exports carry input values
    tx = run_cli(
        "tx", "7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a", "--json",
        store=path,
    ).json  # fmt: skip
    assert [i["value"] for i in tx["inputs"]] == [5_000_000_000, 5_000_000_000]
    assert tx["fee"] == tx["input_value"] - tx["output_value"]


def test_ingest_rpc_unreachable(tmp_path):
    result = run_cli(
        "ingest", "rpc", "--url", "http://127.0.0.1:9", "--from", "0", "--to", "1",
        store=tmp_path / "s",
    )  # fmt: skip
    assert result.exit_code == ExitStatus.SOURCE_UNAVAILABLE
    assert result.stderr.startswith("ledgerhound: error: cannot reach Bitcoin Core RPC at ")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "s").exists()  # a failed first ingest leaves no store behind
