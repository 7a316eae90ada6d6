"""Core JSON-RPC source against a local server replaying real recorded Core responses."""

from __future__ import annotations

import base64
import json
import socket
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerhound.errors import CorruptDataError, InvalidInputError, SourceUnavailableError
from ledgerhound.sources import rpc
from ledgerhound.sources.blkfiles import read_block_batches
from ledgerhound.sources.corejson import blocks_json_to_batch, to_satoshi
from ledgerhound.sources.rpc import read_rpc_batches
from tests.sources.blockfactory import frame, getblock_json, mainnet_block
from tests.sources.rpcreplay import ReplayServer

TABLES = ("blocks", "transactions", "outputs", "inputs")


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rpc, "BACKOFF_SECONDS", 0.01)


def read(url: str, start: int, end: int, **kw):
    return list(read_rpc_batches(url, start, end, **kw))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_blocks_0_and_1_match_the_block_file_path(tmp_path: Path) -> None:
    (tmp_path / "blk00000.dat").write_bytes(frame([mainnet_block(0), mainnet_block(1)], "mainnet"))
    (from_blk,) = read_block_batches([tmp_path])
    with ReplayServer() as server:
        (from_rpc,) = read(server.url, 0, 1)
    assert from_rpc.network == "mainnet"  # told by the recorded genesis hash
    for name in TABLES:
        assert getattr(from_rpc, name).equals(getattr(from_blk, name)), name
    assert from_rpc.origin == f"rpc:{server.url.rstrip('/')}/ heights 0-1"


def test_falls_back_to_verbosity_2_once() -> None:
    with ReplayServer() as server:
        batches = read(server.url, 50000, 50002, batch_blocks=2)
    assert [b.blocks["height"].to_pylist() for b in batches] == [[50000, 50001], [50002]]
    calls = [c for r in server.requests for c in (r["body"] if isinstance(r["body"], list) else [])]
    verbosities = [c["params"][1] for c in calls if c["method"] == "getblock"]
    assert verbosities == [3, 3, 2, 2, 2]  # one refused batch of 3, then 2 for the rest


def test_verbosity_3_prevouts_fill_inputs() -> None:
    with ReplayServer(prevouts=True) as server:
        (batch,) = read(server.url, 50001, 50001)
    rows = [r for r in batch.inputs.to_pylist() if r["prev_txid"]]
    assert [(r["prev_value"], r["prev_address"], r["prev_script_type"]) for r in rows] == [
        (5_000_000_000, "1DoQeKfU3dYhN9bxMpFFcVUnufCPDqSPae", "pubkey"),
        (5_000_000_000, "1PZMgkF2x161qvfP7dhoWSEEU3SjnQE1m9", "pubkey"),
        (5_000_000_000, "18dxbN6m8zxieN8F9BchXmhbeXUdFLr8fD", "pubkey"),
    ]


def test_user_password_sent_as_basic_auth() -> None:
    with ReplayServer(auth=("alice", "s3cret")) as server:
        read(server.url, 0, 0, user="alice", password="s3cret")
    assert {r["auth"] for r in server.requests} == {basic("alice", "s3cret")}


def test_credentials_in_url_and_cookie_file(tmp_path: Path) -> None:
    cookie = tmp_path / ".cookie"
    cookie.write_text("__cookie__:9f8e7d6c5b4a")
    with ReplayServer(auth=("__cookie__", "9f8e7d6c5b4a")) as server:
        read(server.url, 1, 1, cookie_file=cookie)
        url = server.url.replace("http://", "http://__cookie__:9f8e7d6c5b4a@")
        read(url, 1, 1)
    assert {r["auth"] for r in server.requests} == {basic("__cookie__", "9f8e7d6c5b4a")}


def test_wrong_password_is_a_clear_401_without_the_password() -> None:
    with ReplayServer(auth=("alice", "s3cret")) as server:
        with pytest.raises(SourceUnavailableError) as err:
            read(server.url.replace("http://", "http://alice:wrong@"), 0, 0)
    assert "authentication failed (HTTP 401)" in err.value.message
    assert "wrong" not in err.value.message and err.value.message.startswith("Bitcoin Core RPC")
    assert server.statuses == [401]  # not retried


def test_unreachable_port_is_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused
        with pytest.raises(SourceUnavailableError) as err:
            read_rpc_batches(f"http://127.0.0.1:{port}", 0, 0, retries=1)
    assert err.value.message == (
        f"cannot reach Bitcoin Core RPC at http://127.0.0.1:{port}: connection refused "
        "after 2 attempts"
    )


def test_retries_a_500_then_succeeds() -> None:
    with ReplayServer(fail_first=[500, 503]) as server:
        (batch,) = read(server.url, 0, 0, retries=2)
    assert batch.blocks["height"].to_pylist() == [0]
    assert server.statuses[:3] == [500, 503, 200]


def test_gives_up_after_the_retries() -> None:
    with ReplayServer(fail_first=[500, 500]) as server:
        with pytest.raises(SourceUnavailableError, match="server error HTTP 500 after 2 attempts"):
            read(server.url, 0, 0, retries=1)


def test_range_beyond_tip_and_missing_cookie(tmp_path: Path) -> None:
    with ReplayServer() as server:
        with pytest.raises(InvalidInputError, match="end height 50003 is beyond the node's tip"):
            read_rpc_batches(server.url, 50000, 50003)
        with pytest.raises(SourceUnavailableError, match="cannot read RPC cookie file"):
            read_rpc_batches(server.url, 0, 0, cookie_file=tmp_path / "missing")


def test_json_fields_path_equals_hex_path() -> None:
    """Without ``hex`` the rows are built from the JSON fields and must come out the same."""
    blocks = [json.loads(json.dumps(getblock_json(h)), parse_float=Decimal) for h in (50001, 50002)]
    with_hex = blocks_json_to_batch(blocks, rpc.NETWORKS["mainnet"], "t")
    for block in blocks:
        for tx in block["tx"]:
            del tx["hex"]
    without = blocks_json_to_batch(blocks, rpc.NETWORKS["mainnet"], "t")
    for name in TABLES:
        assert getattr(without, name).equals(getattr(with_hex, name)), name


def test_tampered_json_is_corrupt() -> None:
    block = json.loads(json.dumps(getblock_json(1)), parse_float=Decimal)
    block["nonce"] += 1
    with pytest.raises(CorruptDataError, match="header fields do not hash to the block hash"):
        blocks_json_to_batch([block], rpc.NETWORKS["mainnet"], "t")


def test_amounts_are_exact_satoshis() -> None:
    assert to_satoshi(Decimal("20999999.97690000")) == 2_099_999_997_690_000
    assert to_satoshi(Decimal("0.00000001")) == 1
    with pytest.raises(CorruptDataError, match="float"):
        to_satoshi(0.1)
    with pytest.raises(CorruptDataError, match="more than 8 decimal places"):
        to_satoshi(Decimal("0.000000001"))


def test_a_different_block_mid_run_is_reported_as_a_reorg() -> None:
    moved = {("getblockhash", 50002): json.dumps(getblock_json(50000)["hash"])}
    with ReplayServer(overrides=moved) as server:
        with pytest.raises(SourceUnavailableError, match="chain changed during the read at height"):
            read(server.url, 50001, 50002)


def test_non_json_answer_is_unavailable_not_a_traceback() -> None:
    with ReplayServer(overrides={("getblockhash", 0): "{not json"}) as server:
        with pytest.raises(SourceUnavailableError, match="body that is not JSON"):
            read(server.url, 0, 0)


@given(st.integers(0, 21_000_000 * 100_000_000))
def test_satoshi_round_trip(sats: int) -> None:
    text = f"{sats // 100_000_000}.{sats % 100_000_000:08d}"
    assert to_satoshi(json.loads(text, parse_float=Decimal)) == sats


def test_403_is_not_retried() -> None:
    with ReplayServer(fail_first=[403]) as server:
        with pytest.raises(SourceUnavailableError, match=r"access forbidden \(HTTP 403\)"):
            read(server.url, 0, 0)
    assert server.statuses == [403]
