"""Precision and recall on the labelled corpus (tests/data/osint/corpus, labels.json)."""

from __future__ import annotations

from ledgerhound.osint import extract
from tests.osint.conftest import CORPUS


def _key(item: dict) -> list[str]:
    src = item["source"]
    rel = str(src["file"])[len(str(CORPUS)) + 1 :]
    locator = (
        src.get("message_id", src.get("line", "")) if rel.endswith((".json", ".jsonl")) else ""
    )
    return [rel, str(locator), item["address"]]


def _precision_recall(found: list[list[str]], truth: list[list[str]]) -> tuple[float, float]:
    got = {tuple(x) for x in found}
    want = {tuple(x) for x in truth}
    tp = len(got & want)
    return tp / len(got), tp / len(want)


def test_address_precision_and_recall(labels: dict) -> None:
    result = extract([CORPUS])
    precision, recall = _precision_recall([_key(i) for i in result["items"]], labels["valid"])
    assert (precision, recall) == (1.0, 1.0)
    assert sorted(_key(i) for i in result["invalid"]) == labels["invalid"]
    # every item of the corpus is a distinct occurrence; none is both valid and invalid
    assert len(result["items"]) == len(labels["valid"])


def test_solicitation_verdicts(labels: dict) -> None:
    result = extract([CORPUS])
    verdicts = {}
    for entry in result["sources"]:
        src = entry["source"]
        rel = str(src["file"])[len(str(CORPUS)) + 1 :]
        locator = src.get("message_id", src.get("line", ""))
        verdicts[f"{rel}#{locator}"] = entry["solicitation"]
    assert verdicts == labels["solicitation"]
    storefronts = [
        str(e["source"]["file"])[len(str(CORPUS)) + 1 :] + "#"
        for e in result["sources"]
        if e["scam_storefront"]
    ]
    assert storefronts == labels["storefront"]


def test_items_inherit_their_posts_verdict() -> None:
    result = extract([CORPUS])
    for item in result["items"] + result["invalid"]:
        post = result["sources"][item["post"]]
        assert item["solicitation"] == post["solicitation"]
        assert item["score"] == post["score"]
