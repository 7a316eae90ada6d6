"""``--link`` against a real store built from mainnet block 413,567."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DATA, run_cli

IN_BLOCK = "1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY"  # receives 25.3131 BTC in block 413,567
ABSENT = "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX"  # OFAC-listed, not in that block
ETH = "0x983a81ca6FB1e441266D2FbcB7D8E530AC2E05A2"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("osint-link") / "store"
    result = run_cli("ingest", "blocks", str(DATA / "bitcoin" / "block413567.raw"), store=path)
    assert result.exit_code == 0, result.stderr
    return path


def test_link_reports_presence_and_amounts(store: Path, tmp_path: Path) -> None:
    post = tmp_path / "post.txt"
    post.write_text(f"donate: {IN_BLOCK} or {ABSENT} or {ETH}\n")
    result = run_cli("osint", "extract", str(post), "--link", "--json", store=store)
    assert result.exit_code == 0, result.stderr
    links = {entry["address"]: entry for entry in result.json["links"]}
    assert list(links) == [ABSENT, IN_BLOCK, ETH.lower()]  # sorted by (chain, address)
    present = links[IN_BLOCK]
    assert present["present"] is True and present["tx_count"] == 1
    assert present["received"] == 2531310238 and present["sent"] == 0
    assert present["cluster"] is None and present["tags"] == []
    assert links[ABSENT]["present"] is False and links[ABSENT]["tx_count"] is None
    assert links[ETH.lower()]["present"] is None and "Bitcoin only" in links[ETH.lower()]["note"]


def test_link_without_a_store_is_one_line_error(tmp_path: Path) -> None:
    post = tmp_path / "post.txt"
    post.write_text(f"{IN_BLOCK}\n")
    result = run_cli("osint", "extract", str(post), "--link", store=tmp_path / "nothing")
    assert result.exit_code != 0 and result.stderr.startswith("ledgerhound: error:")
    assert "Traceback" not in result.stderr
