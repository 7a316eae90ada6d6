"""The simulator's posts (``ledgerhound simulate`` -> posts/, truth/osint.csv) as a labelled set."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("osint-sim") / "scenario"
    result = run_cli("simulate", "--out", str(out), "--network", "mainnet", "--seed", "7")
    assert result.exit_code == 0, result.stderr
    return out


def _rel(item: dict, posts: Path) -> str:
    return str(item["source"]["file"])[len(str(posts)) + 1 :]


def test_precision_recall_on_simulated_posts(scenario: Path) -> None:
    posts = scenario / "posts"
    truth = list(csv.DictReader((scenario / "truth" / "osint.csv").open(encoding="utf-8")))
    out = run_cli("osint", "extract", str(posts), "--json").json
    labelled = {row["source_file"] for row in truth}
    found = {(_rel(i, posts), i["address"]) for i in out["items"] if _rel(i, posts) in labelled}
    rejected = {(_rel(i, posts), i["address"]) for i in out["invalid"]}
    expected = {(row["source_file"], row["address"]) for row in truth}
    # every labelled address string is either a valid item or (the broken-checksum decoy) invalid
    assert found | {r for r in rejected if r[0] in labelled} == expected
    assert len(found) == len(expected) - 1 and len(rejected & expected) == 1
    assert found <= expected  # precision 1.0 on the labelled files


def test_verdicts_on_simulated_posts(scenario: Path) -> None:
    posts = scenario / "posts"
    truth = list(csv.DictReader((scenario / "truth" / "osint.csv").open(encoding="utf-8")))
    campaign = {row["address"] for row in truth if row["is_campaign_address"] == "true"}
    out = run_cli("osint", "extract", str(posts), "--json").json
    for item in out["items"]:
        rel = _rel(item, posts)
        if rel == "web/facemaskcenter.html":
            assert out["sources"][item["post"]]["scam_storefront"] and not item["solicitation"]
        else:  # appeals and donation pages ask for money; decoy posts (news, warnings) do not
            assert item["solicitation"] == (item["address"] in campaign), (rel, item["context"])


def test_html_export_matches_json_export(scenario: Path) -> None:
    posts = scenario / "posts" / "telegram"
    for channel in sorted(p for p in posts.iterdir() if p.is_dir()):
        by_json = run_cli("osint", "extract", str(channel / "result.json"), "--json").json
        by_html = run_cli("osint", "extract", str(channel / "messages.html"), "--json").json

        def key(out: dict) -> list:
            return [
                (i["source"]["message_id"], i["address"], i["solicitation"], i["author"])
                for i in out["items"]
            ]

        assert key(by_json) == key(by_html) and key(by_json)
